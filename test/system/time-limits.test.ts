/**
 * Time limits of model calls, with the real ChatOpenAI against the loopback server: the limit a call runs under
 * is the one configured for it, on the worker side and on the planner side alike.
 */
import { describe, expect, it } from "vitest";
import { agentWorker, createOrchestrator, llmCheck, type SettingsInput } from "../../src/index.js";
import { openAIProvider } from "../../src/models.js";
import {
  describeRequest,
  type Handler,
  type OpenAIServer,
  type Reply,
  type RequestView,
} from "../helpers/openai-server.js";
import { loopbackServers } from "../helpers/loopback.js";
import { task } from "../helpers/fixtures.js";
import { deferred, within } from "../helpers/wait.js";

const serve = loopbackServers();

const provider = (server: OpenAIServer) => openAIProvider({ openaiBaseUrl: server.url, openaiApiKey: "test-key" });

/** True for the synthesizer's request. */
const isSynthesis = (body: Parameters<Handler>[0]) => describeRequest(body).system.includes("final answer");

describe("a worker's own time limit", () => {
  it("governs its model client too: a reply slower than workerTimeoutMs but within the worker's timeoutMs is used", async () => {
    const arrived = deferred();
    const release = deferred();
    const server = await serve(async (body) => {
      if (isSynthesis(body)) return { content: "ANSWER" };
      arrived.resolve();
      await release.promise;
      return { content: "slow but within my own limit" };
    });
    const orchestrator = await createOrchestrator({
      checkpointer: "memory",
      models: provider(server),
      workers: [
        agentWorker({
          name: "patient_agent",
          description: "An LLM worker with a long time limit.",
          systemPrompt: "You do the task.",
          timeoutMs: 10_000,
        }),
      ],
      settings: { maxRetries: 0, workerTimeoutMs: 300 },
    });
    const run = orchestrator.run("wait for a slow model", {
      plan: { tasks: [task("slow", [], { worker: "patient_agent" })] },
    });
    await within(arrived.promise, 5_000, "the worker's model request");
    // The reply is held until well past workerTimeoutMs (300 ms), and released long before the worker's own 10 s.
    const arrivedAt = Date.now();
    await new Promise((resolve) => setTimeout(resolve, 900));
    release.resolve();
    const summary = await run;
    expect(Date.now() - arrivedAt).toBeGreaterThanOrEqual(900);
    expect(summary.tasks.map((t) => [t.id, t.status, t.attempts, t.output])).toEqual([
      ["slow", "done", 1, "slow but within my own limit"],
    ]);
    expect(summary.deadLetters).toEqual([]);
    await orchestrator.close();
  });
});

/**
 * Planner-side limits: every call below hangs at the endpoint, and must end at its own limit (300 ms) with a clear
 * outcome. Worker attempts get 20 s, so a call bounded only by the attempt (or by nothing) overstays `within`.
 */
describe("planner-side calls against a hung endpoint", () => {
  const SHORT: SettingsInput = {
    plannerTimeoutMs: 300,
    synthesizerTimeoutMs: 300,
    workerTimeoutMs: 20_000,
    maxRetries: 0,
    planRepairs: 0,
  };
  const hang: Reply = { fault: "hang" };
  const agent = agentWorker({
    name: "agent",
    description: "An LLM worker.",
    systemPrompt: "You do the task you are given.",
  });

  /** Runs one plan against an endpoint answering by `route` (everything unrouted answers "done: <task>"). */
  async function runAgainst(
    route: (view: RequestView) => Reply | undefined,
    plan: Parameters<typeof task>[],
    settings: SettingsInput = {},
    workers = [agent],
  ) {
    const server = await serve((body, index) => {
      const view = describeRequest(body, index);
      return route(view) ?? { content: `done: ${/Your task "([^"]+)"/.exec(view.prompt)?.[1] ?? "?"}` };
    });
    const orchestrator = await createOrchestrator({
      checkpointer: "memory",
      models: provider(server),
      workers,
      settings: { ...SHORT, ...settings },
    });
    const summary = await within(
      orchestrator.run("limits", { plan: { tasks: plan.map((args) => task(...args)) } }),
      10_000,
      "the run",
    );
    await orchestrator.close();
    return summary;
  }

  it("the synthesizer gives up at synthesizerTimeoutMs and the template answer is written instead", async () => {
    const summary = await runAgainst(
      (view) => (view.system.includes("final answer") ? hang : undefined),
      [["a", [], { worker: "agent" }]],
    );
    expect(summary.tasks.map((t) => [t.id, t.status])).toEqual([["a", "done"]]);
    expect(summary.answer).toContain(
      "_The synthesizer model was unavailable, so this is a template report of the workers' results._",
    );
    expect(summary.answer).toContain("## Task a\n\ndone: a");
    expect(summary.notes).toEqual([
      expect.stringMatching(/^The synthesizer failed \(.*time.*\); a template report is shown instead\.$/i),
    ]);
  });

  it("an expansion gives up at plannerTimeoutMs and the complex task runs as one task", async () => {
    const summary = await runAgainst(
      (view) =>
        view.prompt.includes("Break this task into")
          ? hang
          : view.system.includes("final answer")
            ? { content: "ANSWER" }
            : undefined,
      [["big", [], { worker: "agent", complex: true }]],
      { strategy: "top-down" },
    );
    expect(summary.tasks.map((t) => [t.id, t.status, t.output])).toEqual([["big", "done", "done: big"]]);
    expect(summary.notes).toEqual([
      expect.stringMatching(
        /^Task "big" could not be expanded \(The planner call failed \(timeout\): .+\); it runs as one task\.$/,
      ),
    ]);
  });

  it("a replan gives up at plannerTimeoutMs and the plan is kept", async () => {
    const summary = await runAgainst(
      (view) =>
        view.prompt.includes("Decide whether the plan still reaches the goal")
          ? hang
          : view.system.includes("final answer")
            ? { content: "ANSWER" }
            : undefined,
      [
        ["a", [], { worker: "agent" }],
        ["b", ["a"], { worker: "agent" }],
      ],
      { replan: "after-wave", maxReplans: 1 },
    );
    expect(summary.tasks.map((t) => [t.id, t.status])).toEqual([
      ["a", "done"],
      ["b", "done"],
    ]);
    expect(summary.notes).toEqual([
      expect.stringMatching(/^The planner kept the plan: the replan call failed: .*time/i),
    ]);
  });

  it("clarifying an underspecified task gives up at plannerTimeoutMs and the next attempt keeps the old description", async () => {
    let asked = 0;
    const summary = await runAgainst(
      (view) => {
        if (view.system.includes("final answer")) return { content: "ANSWER" };
        if (view.system.includes("Rewrite the task description")) return hang;
        return ++asked === 1 ? { content: "UNDERSPECIFIED: which city?" } : { content: "Three days in Paris." };
      },
      [["trip", [], { worker: "agent", description: "Plan a trip" }]],
      { maxRetries: 1 },
    );
    expect(summary.tasks.map((t) => [t.id, t.status, t.attempts, t.output])).toEqual([
      ["trip", "done", 2, "Three days in Paris."],
    ]);
  });

  it("a result check by the orchestrator's model gives up at plannerTimeoutMs and the attempt fails as a timeout", async () => {
    const checked = agentWorker({
      name: "checked",
      description: "A checked LLM worker.",
      systemPrompt: "You do the task you are given.",
      check: llmCheck(),
    });
    const summary = await runAgainst(
      (view) =>
        view.structured === "review" ? hang : view.system.includes("final answer") ? { content: "ANSWER" } : undefined,
      [["a", [], { worker: "checked" }]],
      {},
      [checked],
    );
    expect(summary.tasks.map((t) => [t.id, t.status])).toEqual([["a", "dead"]]);
    expect(summary.deadLetters.map((letter) => [letter.taskId, letter.error.kind])).toEqual([["a", "timeout"]]);
  });
});
