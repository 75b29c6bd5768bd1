/**
 * Run budgets are exact: no model call starts once `maxModelCalls` or `maxTokens` is reached, checked before every
 * call across parallel workers; at `deadlineMs` the work in flight is cancelled and recorded as not run.
 */
import { tool } from "@langchain/core/tools";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { agentWorker, functionWorker, RunBudgetReachedError } from "../../src/index.js";
import { ZERO_USAGE } from "../../src/budget/usage.js";
import { RunMeter } from "../../src/budget/meter.js";
import { echoWorker, harness, planReply, task } from "../helpers/fixtures.js";
import { scriptedProvider } from "../helpers/scripted-model.js";
import { within } from "../helpers/wait.js";

const agent = (name = "agent", extra: Partial<Parameters<typeof agentWorker>[0]> = {}) =>
  agentWorker({ name, description: "An LLM worker.", systemPrompt: "You do tasks well.", ...extra });

const statuses = (summary: { tasks: { status: string }[] }) => summary.tasks.map((t) => t.status).sort();

describe("the model-call cap", () => {
  it("lets one of four parallel agent tasks call the model under maxModelCalls 1 and records the other three as not run", async () => {
    const models = scriptedProvider({
      worker: (call) => `answer to ${call.prompt.match(/Your task "(\w+)"/)?.[1]}`,
      synthesizer: () => "partial answer",
    });
    const h = harness({ models, settings: { maxModelCalls: 1 }, workers: () => [agent()] });
    const plan = { tasks: ["a", "b", "c", "d"].map((id) => task(id, [], { worker: "agent" })) };
    const summary = await h.run({ goal: "g", plan });

    expect(models.callsOf("worker")).toHaveLength(1);
    expect(statuses(summary)).toEqual(["done", "skipped", "skipped", "skipped"]);
    for (const skipped of summary.tasks.filter((t) => t.status === "skipped"))
      expect(skipped.reason).toBe("run budget reached: 1 model calls made of 1");
    expect(summary.deadLetters).toEqual([]);
    // The synthesizer's single call may pass the cap: the answer is written from what exists.
    expect(models.callsOf("synthesizer")).toHaveLength(1);
    expect(summary.answer).toBe("partial answer");
    expect(summary.usage.modelCalls).toBe(2);
    const state = await h.graph.getState({ configurable: { thread_id: "thread-1" } });
    expect(state.values.stopReason).toBe("run budget reached: 1 model calls made of 1");
    const skippedEvents = h.events.filter((e) => e.type === "task.skipped");
    expect(skippedEvents).toHaveLength(3);
    expect(h.events.filter((e) => e.type === "task.failed" || e.type === "task.dead")).toEqual([]);
  });

  it("lets the planner make no repair call once the cap is reached", async () => {
    const models = scriptedProvider({ planner: () => planReply([task("a", ["ghost"])]), synthesizer: () => "answer" });
    const h = harness({ models, settings: { maxModelCalls: 1 } });
    const summary = await h.run({ goal: "g" });
    expect(models.callsOf("planner")).toHaveLength(1);
    expect(summary.notes[0]).toMatch(
      /^Planning failed \(The planner call failed \(budget\): run budget reached: 1 model calls made of 1\); the goal runs as a single task\.$/,
    );
    expect(summary.tasks.map((t) => [t.id, t.status, t.reason])).toEqual([
      ["goal", "skipped", "run budget reached: 1 model calls made of 1"],
    ]);
    expect(h.log.started).toEqual([]);
  });
});

describe("the token budget", () => {
  it("starts no further tool round once maxTokens is used up and records the task as not run", async () => {
    const search = tool(async () => "a long search result ".repeat(20), {
      name: "search",
      description: "Searches.",
      schema: z.object({ q: z.string() }),
    });
    const models = scriptedProvider({
      worker: (call) =>
        call.prompt.includes("tool-call budget is used up")
          ? "final"
          : { toolCalls: [{ name: "search", args: { q: "more" } }] },
    });
    const h = harness({
      models,
      settings: { maxTokens: 50 },
      workers: () => [agent("searcher", { tools: [search], maxToolRounds: 3 })],
    });
    const summary = await h.run({ goal: "g", plan: { tasks: [task("a", [], { worker: "searcher" })] } });

    const calls = models.callsOf("worker");
    expect(calls).toHaveLength(1);
    expect(summary.tasks.map((t) => t.status)).toEqual(["skipped"]);
    const used = summary.usage.totalTokens;
    expect(used).toBeGreaterThanOrEqual(50);
    expect(summary.tasks[0]!.reason).toBe(`run budget reached: ${used} tokens used of 50`);
    expect(summary.usage.modelCalls).toBe(1);
    expect(summary.deadLetters).toEqual([]);
  });
});

describe("the deadline", () => {
  it("cancels the work in flight at deadlineMs, records it as not run and writes the answer from what exists", async () => {
    const aborted: string[] = [];
    const waiting = functionWorker({
      name: "waiting",
      description: "Works until it is cancelled.",
      run: (input, context) =>
        new Promise((_, reject) => {
          context.signal.addEventListener("abort", () => {
            aborted.push(input.task.id);
            reject(context.signal.reason);
          });
        }),
    });
    const models = scriptedProvider(
      { worker: () => "too late" },
      { latencyMs: (call) => (call.role === "worker" ? 20_000 : 0), onAbort: () => aborted.push("model call") },
    );
    const h = harness({
      models,
      settings: { deadlineMs: 300, workerTimeoutMs: 20_000 },
      workers: (log) => [echoWorker(log), waiting, agent()],
    });
    const plan = {
      tasks: [
        task("quick"),
        task("slow", [], { worker: "waiting" }),
        task("thinking", [], { worker: "agent" }),
        task("later", ["slow"]),
      ],
    };
    const summary = await within(h.run({ goal: "g", plan }), 10_000, "the run to end at its deadline");

    expect(summary.tasks.map((t) => [t.id, t.status])).toEqual([
      ["quick", "done"],
      ["slow", "skipped"],
      ["thinking", "skipped"],
      ["later", "skipped"],
    ]);
    for (const id of ["slow", "thinking"])
      expect(summary.tasks.find((t) => t.id === id)!.reason).toMatch(
        /^run budget reached: the deadline of 300 ms passed \(\d+ ms\)$/,
      );
    expect(summary.tasks[3]!.reason).toMatch(
      /^dependency "slow" was skipped$|^run budget reached: the deadline of 300 ms passed/,
    );
    expect(aborted.sort()).toEqual(["model call", "slow"]);
    expect(summary.deadLetters).toEqual([]);
    expect(summary.answer).toContain("## Task quick\n\nquick:");
    expect(summary.answer).toMatch(
      /\*\*slow\*\* \(Task slow\): skipped — run budget reached: the deadline of 300 ms passed/,
    );
  });
});

describe("the run meter", () => {
  it("admits calls until a budget is reached, counting each at once and its tokens when it ends", () => {
    const meter = new RunMeter(
      { deadlineMs: 0, maxTokens: 100, maxModelCalls: 3 },
      { ...ZERO_USAGE, modelCalls: 1, totalTokens: 10 },
    );
    meter.admit();
    expect(meter.used()).toMatchObject({ modelCalls: 2, totalTokens: 10 });
    meter.settle({ totalTokens: 95 });
    expect(meter.reached()).toBe("105 tokens used of 100");
    expect(() => meter.admit()).toThrow(new RunBudgetReachedError("105 tokens used of 100"));
    expect(meter.used()).toMatchObject({ modelCalls: 2, totalTokens: 105 });
    const capped = new RunMeter({ deadlineMs: 0, maxTokens: 0, maxModelCalls: 2 });
    capped.admit();
    capped.admit();
    expect(() => capped.admit()).toThrow("run budget reached: 2 model calls made of 2");
  });

  it("passes the deadline counted from the window's start, and has none without deadlineMs", () => {
    const startedAt = new Date(Date.now() - 1_000).toISOString();
    expect(new RunMeter({ deadlineMs: 500, maxTokens: 0, maxModelCalls: 0 }, ZERO_USAGE, startedAt).reached()).toMatch(
      /^the deadline of 500 ms passed \(\d+ ms\)$/,
    );
    expect(new RunMeter({ deadlineMs: 5_000, maxTokens: 0, maxModelCalls: 0 }, ZERO_USAGE, startedAt).deadlineAt).toBe(
      Date.parse(startedAt) + 5_000,
    );
    expect(
      new RunMeter({ deadlineMs: 0, maxTokens: 0, maxModelCalls: 1 }, ZERO_USAGE, startedAt).deadlineAt,
    ).toBeUndefined();
  });

  it("travels with each wave's Sends: every dispatch carries the run's spend so far, so a resumed wave rebuilds it from state", async () => {
    const models = scriptedProvider({ worker: () => "done", synthesizer: () => "answer" });
    const h = harness({
      models,
      settings: { maxModelCalls: 5, scheduling: "waves", chainDispatch: false },
      workers: () => [agent()],
    });
    await h.run({
      goal: "g",
      plan: { tasks: [task("a", [], { worker: "agent" }), task("b", ["a"], { worker: "agent" })] },
    });
    // Each dispatch stays in state until the next round replaces it: one entry per round, oldest first.
    const dispatched = new Set<string>();
    const history = [];
    for await (const snapshot of h.graph.getStateHistory({ configurable: { thread_id: "thread-1" } }))
      history.unshift(snapshot);
    for (const snapshot of history) {
      for (const unit of snapshot.values.dispatch ?? [])
        dispatched.add(JSON.stringify([unit.tasks, unit.budget?.used.modelCalls]));
    }
    expect([...dispatched]).toEqual(['[["a"],0]', '[["b"],1]']);
  });
});

describe("the run's usage", () => {
  it("counts an expanded task's subtasks once: the parent's joined result is not counted again", async () => {
    const models = scriptedProvider({
      planner: () => planReply([task("x", [], { worker: "agent" }), task("y", ["x"], { worker: "agent" })]),
      worker: () => "done",
      synthesizer: () => "answer",
    });
    const h = harness({ models, settings: { strategy: "top-down" }, workers: () => [agent()] });
    const summary = await h.run({ goal: "g", plan: { tasks: [task("big", [], { worker: "agent", complex: true })] } });
    expect(summary.tasks.map((t) => [t.id, t.status])).toEqual([
      ["big", "done"],
      ["big.x", "done"],
      ["big.y", "done"],
    ]);
    // expansion + big.x + big.y + synthesizer
    expect(models.calls).toHaveLength(4);
    expect(summary.usage.modelCalls).toBe(4);
  });
});
