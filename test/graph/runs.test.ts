/**
 * Runs on a thread: every `run()` is a new run (its own plan, usage, budgets and clock), `resume` continues one,
 * and a plain `graph.invoke` with input behaves as documented in the README.
 */
import { MemorySaver } from "@langchain/langgraph";
import { describe, expect, it } from "vitest";
import { compileOrchestrator } from "../../graphs/orchestrator.js";
import { agentWorker, createOrchestrator } from "../../src/index.js";
import type { State } from "../../src/state.js";
import { WorkerRegistry } from "../../src/workers/registry.js";
import { echoWorker, planReply, task, WorkLog } from "../helpers/fixtures.js";
import { scriptedProvider } from "../helpers/scripted-model.js";

const offline = () => scriptedProvider({}, { configured: false });

describe("every run() on a thread is a new run", () => {
  it("runs a second goal's plan on the same thread even when the goal is the same", async () => {
    const log = new WorkLog();
    const orchestrator = await createOrchestrator({ checkpointer: "memory", models: offline(), workers: [echoWorker(log)] });
    const first = await orchestrator.run("g", { threadId: "t", plan: { tasks: [task("a"), task("b", ["a"])] } });
    const firstState = await orchestrator.state("t");
    const second = await orchestrator.run("g", { threadId: "t", plan: { tasks: [task("c")] } });
    const secondState = await orchestrator.state("t");

    expect(first.tasks.map((t) => [t.id, t.status])).toEqual([
      ["a", "done"],
      ["b", "done"],
    ]);
    expect(second.tasks.map((t) => [t.id, t.status])).toEqual([["c", "done"]]);
    expect(log.started).toEqual(["a", "b", "c"]);
    expect(second.answer).toContain("## Task c");
    expect(second.answer).not.toContain("## Task a");
    expect(secondState.runId).toEqual(expect.any(String));
    expect(secondState.runId).not.toBe(firstState.runId);
    expect(Date.parse(secondState.startedAt!)).toBeGreaterThanOrEqual(Date.parse(firstState.startedAt!));
    await orchestrator.close();
  });

  it("counts only the run's own usage, against its budgets and in its totals", async () => {
    const models = scriptedProvider({
      planner: () => planReply([task("a", [], { worker: "agent" }), task("b", ["a"], { worker: "agent" })]),
      worker: () => "done",
      synthesizer: () => "answer",
    });
    const orchestrator = await createOrchestrator({
      checkpointer: "memory",
      models,
      workers: [agentWorker({ name: "agent", description: "An LLM worker.", systemPrompt: "You do tasks well." })],
    });
    const first = await orchestrator.run("first goal", { threadId: "t" });
    // planner + a + b + synthesizer
    expect(first.usage.modelCalls).toBe(4);
    const second = await orchestrator.run("second goal", { threadId: "t", settings: { maxModelCalls: 3 } });
    expect(second.tasks.map((t) => [t.id, t.status])).toEqual([
      ["a", "done"],
      ["b", "done"],
    ]);
    expect(second.usage.modelCalls).toBe(4);
    await orchestrator.close();
  });
});

describe("a plain graph.invoke on a thread", () => {
  const compiled = (log: WorkLog) => compileOrchestrator({ registry: new WorkerRegistry([echoWorker(log)]), models: offline() }, { checkpointer: new MemorySaver() });
  const config = { configurable: { thread_id: "t" } };

  it("starts a new run with new input once the thread's run has finished, even with the same goal", async () => {
    const log = new WorkLog();
    const graph = compiled(log);
    await graph.invoke({ goal: "g", plan: { tasks: [task("a")] } }, config);
    const out = await graph.invoke({ goal: "g", plan: { tasks: [task("b")] } }, config);
    expect(Object.keys(out.tasks)).toEqual(["b"]);
    expect(log.started).toEqual(["a", "b"]);
  });

  it("starts a new run when the input brings a new runId", async () => {
    const log = new WorkLog();
    const graph = compiled(log);
    await graph.invoke({ goal: "g", plan: { tasks: [task("a")] }, runId: "run-1" }, config);
    const second = await graph.invoke({ goal: "g", plan: { tasks: [task("b")] }, runId: "run-2" }, config);
    expect(Object.keys(second.tasks)).toEqual(["b"]);
    expect(((await graph.getState(config)).values as State).runId).toBe("run-2");
  });

  it("continues an unfinished run when the same input comes again, as a resume would", async () => {
    const log = new WorkLog();
    const graph = compileOrchestrator(
      { registry: new WorkerRegistry([echoWorker(log)]), models: offline(), settings: { reviewPlan: true } },
      { checkpointer: new MemorySaver() },
    );
    const input = { goal: "g", plan: { tasks: [task("a")] } };
    await graph.invoke(input, config);
    const paused = (await graph.getState(config)).values as State;
    expect(paused.pendingReview?.kind).toBe("approve_plan");
    expect(paused.runId).toEqual(expect.any(String));
    await graph.invoke(input, config);
    const again = (await graph.getState(config)).values as State;
    expect(again.runId).toBe(paused.runId);
    expect(again.pendingReview?.kind).toBe("approve_plan");
    expect(log.started).toEqual([]);
  });
});
