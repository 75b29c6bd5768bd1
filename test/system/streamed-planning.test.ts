/**
 * Streamed planning against the real ChatOpenAI and a loopback server that writes the plan slowly: tasks start while
 * the plan is still streaming, a final plan that drops or changes a started task is reconciled, and the planner's
 * tokens stay out of the chat's messages stream. Times are the loopback server's own.
 */
import { afterEach, describe, expect, it } from "vitest";
import { agentWorker, createOrchestrator } from "../../src/index.js";
import { openAIProvider } from "../../src/models.js";
import type { SettingsInput } from "../../src/settings.js";
import { planReply, task } from "../helpers/fixtures.js";
import {
  describeRequest,
  startOpenAIServer,
  taskOf,
  type OpenAIServer,
  type ReceivedRequest,
  type Reply,
} from "../helpers/openai-server.js";

const agent = agentWorker({
  name: "echo",
  description: "Does a task.",
  systemPrompt: "You do the task you are given.",
});

/** a, b, c first; d after a, e after b and c, f after d. */
const SIX = [task("a"), task("b"), task("c"), task("d", ["a"]), task("e", ["b", "c"]), task("f", ["d"])];

let server: OpenAIServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

/** A loopback model: the planner's replies in turn (each may stream slowly), workers echo their task, one answer. */
async function loopback(plans: Reply[]): Promise<OpenAIServer> {
  let planned = 0;
  server = await startOpenAIServer({
    handler: (body) => {
      const view = describeRequest(body);
      if (view.structured === "plan") return plans[Math.min(planned++, plans.length - 1)]!;
      if (view.system.includes("You write the final answer")) return { content: "the answer" };
      const id = taskOf(body);
      if (!id) throw new Error(`unexpected request: ${view.prompt.slice(0, 80)}`);
      return { content: `did ${id} knowing ${view.prompt.match(/### \w+/g)?.join(" ") ?? "nothing"}` };
    },
  });
  return server;
}

const isPlanner = (request: ReceivedRequest) => request.body && describeRequest(request.body).structured === "plan";
const workerRequests = (requests: readonly ReceivedRequest[]) =>
  requests.filter((request) => request.body && taskOf(request.body));
const countsByTask = (requests: readonly ReceivedRequest[]) => {
  const counts: Record<string, number> = {};
  for (const request of workerRequests(requests))
    counts[taskOf(request.body!)!] = (counts[taskOf(request.body!)!] ?? 0) + 1;
  return counts;
};

async function runGoal(model: OpenAIServer, settings: SettingsInput = {}) {
  const orchestrator = await createOrchestrator({
    checkpointer: "memory",
    models: openAIProvider({ openaiBaseUrl: model.url, openaiApiKey: "test-key" }),
    workers: [agent],
    settings: { maxParallel: 8, ...settings },
  });
  try {
    return await orchestrator.run("six things");
  } finally {
    await orchestrator.close();
  }
}

describe("streamed planning", () => {
  it("sends the first worker's request well before a 6-task plan that streams over 3 s has ended", async () => {
    const model = await loopback([{ ...planReply(SIX), streamMs: 3_000 }]);
    const summary = await runGoal(model);

    const planner = model.requests.find(isPlanner)!;
    expect(planner.answeredAt! - planner.time).toBeGreaterThanOrEqual(2_900);
    const first = Math.min(...workerRequests(model.requests).map((request) => request.time));
    expect(planner.answeredAt! - first).toBeGreaterThan(1_500);
    expect(summary.tasks.map((t) => [t.id, t.status])).toEqual(SIX.map((t) => [t.id, "done"]));
    expect(countsByTask(model.requests)).toEqual({ a: 1, b: 1, c: 1, d: 1, e: 1, f: 1 });
    // Dependents still wait for their dependencies, and see their results.
    const requestOf = (id: string) => workerRequests(model.requests).find((request) => taskOf(request.body!) === id)!;
    expect(requestOf("d").time).toBeGreaterThanOrEqual(requestOf("a").answeredAt!);
    expect(describeRequest(requestOf("e").body!).prompt).toMatch(/### b:[\s\S]*### c:/);
  }, 30_000);

  it("starts no worker before the plan has ended with streamPlan off", async () => {
    const model = await loopback([{ ...planReply(SIX), streamMs: 1_000 }]);
    await runGoal(model, { streamPlan: false });
    const planner = model.requests.find(isPlanner)!;
    const first = Math.min(...workerRequests(model.requests).map((request) => request.time));
    expect(first).toBeGreaterThanOrEqual(planner.answeredAt!);
    expect(countsByTask(model.requests)).toEqual({ a: 1, b: 1, c: 1, d: 1, e: 1, f: 1 });
  }, 30_000);

  it("discards a started task the repaired plan drops and runs a re-wired one again after its new dependency", async () => {
    // The first plan streams a, b, c (started at once) and x, which depends on a task that does not exist: the plan
    // goes back for repair, and the repaired plan drops b, makes c depend on a and points x at a.
    const first = planReply([task("a"), task("b"), task("c"), task("x", ["ghost"])]);
    const repaired = planReply([task("a"), task("c", ["a"]), task("x", ["a"])]);
    const model = await loopback([{ ...first, streamMs: 800 }, repaired]);
    const summary = await runGoal(model);

    expect(summary.tasks.map((t) => [t.id, t.status])).toEqual([
      ["a", "done"],
      ["c", "done"],
      ["x", "done"],
    ]);
    // a ran once and was kept; b ran once, early, and is gone; c ran early and once more as re-wired; x once.
    expect(countsByTask(model.requests)).toEqual({ a: 1, b: 1, c: 2, x: 1 });
    const cRequests = workerRequests(model.requests).filter((request) => taskOf(request.body!) === "c");
    expect(describeRequest(cRequests[0]!.body!).prompt).not.toContain("### a:");
    expect(describeRequest(cRequests[1]!.body!).prompt).toContain("### a:");
    expect(summary.notes).toEqual(
      expect.arrayContaining([
        'Task "b" started while the plan streamed, but the final plan dropped it: its result is discarded.',
        'Task "c" started while the plan streamed, but the final plan changed it: its early result is discarded and it runs again as planned.',
        "The plan was repaired 1 time(s) before it validated.",
      ]),
    );
    expect(summary.answer).toBe("the answer");
  }, 30_000);

  it("keeps the streamed plan out of the chat's messages stream", async () => {
    const model = await loopback([{ ...planReply(SIX.slice(0, 3)), streamMs: 300 }]);
    const orchestrator = await createOrchestrator({
      checkpointer: "memory",
      models: openAIProvider({ openaiBaseUrl: model.url, openaiApiKey: "test-key" }),
      workers: [agent],
    });
    const streamed: string[] = [];
    const stream = await orchestrator.graph.stream(
      { goal: "three things" },
      { configurable: { thread_id: "chat" }, streamMode: "messages" },
    );
    for await (const [message] of stream as AsyncIterable<[{ text?: string; tool_call_chunks?: { args?: string }[] }]>)
      streamed.push(`${message.text ?? ""}${(message.tool_call_chunks ?? []).map((c) => c.args ?? "").join("")}`);
    await orchestrator.close();
    const text = streamed.join("");
    // The chat's stream carries the plan message a line per task as the plan streams, never the planner's JSON.
    expect(text).toContain("Plan:\n- a (echo): Task a\n- b (echo): Task b\n- c (echo): Task c");
    expect(text).not.toContain("rationale");
    expect(text).not.toContain('"dependsOn"');
    expect(countsByTask(model.requests)).toEqual({ a: 1, b: 1, c: 1 });
  }, 30_000);
});
