/**
 * Runs on a thread: every `run()` is a new run (its own plan, usage, budgets and clock), `resume` continues one,
 * and a plain `graph.invoke` with input behaves as documented in the README.
 */
import { MemorySaver } from "@langchain/langgraph";
import { describe, expect, it } from "vitest";
import { compileOrchestrator } from "../../graphs/orchestrator.js";
import { agentWorker, createOrchestrator, functionWorker, RunStoppedError } from "../../src/index.js";
import type { State } from "../../src/state.js";
import { WorkerRegistry } from "../../src/workers/registry.js";
import { echoWorker, planReply, task, WorkLog } from "../helpers/fixtures.js";
import { scriptedProvider } from "../helpers/scripted-model.js";

const offline = () => scriptedProvider({}, { configured: false });

describe("every run() on a thread is a new run", () => {
  it("runs a second goal's plan on the same thread even when the goal is the same", async () => {
    const log = new WorkLog();
    const orchestrator = await createOrchestrator({
      checkpointer: "memory",
      models: offline(),
      workers: [echoWorker(log)],
    });
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

describe("run() with a named run id runs that run once", () => {
  const plan = { tasks: [task("a"), task("b", ["a"])] };

  it("only summarises a finished run named again: no task runs twice, and the run is not reported as started", async () => {
    const log = new WorkLog();
    const orchestrator = await createOrchestrator({
      checkpointer: "memory",
      models: offline(),
      workers: [echoWorker(log)],
    });
    const starts: boolean[] = [];
    const request = { threadId: "t", runId: "run-1", plan, onStart: (resumed: boolean) => void starts.push(resumed) };
    const first = await orchestrator.run("g", request);
    const again = await orchestrator.run("g", request);
    expect(log.started).toEqual(["a", "b"]);
    expect(starts).toEqual([false]);
    expect(again).toEqual(first);
    await orchestrator.close();
  });

  it("continues a stopped run named again from its checkpoint: finished tasks keep their results", async () => {
    const log = new WorkLog();
    const drain = new AbortController();
    // a asks for a graceful stop as it runs: it finishes and is checkpointed, and b is not launched.
    const worker = echoWorker(log, { behaviour: (input) => void (input.task.id === "a" && drain.abort()) });
    const orchestrator = await createOrchestrator({ checkpointer: "memory", models: offline(), workers: [worker] });
    const starts: boolean[] = [];
    const request = { threadId: "t", runId: "run-1", plan, onStart: (resumed: boolean) => void starts.push(resumed) };
    await expect(orchestrator.run("g", { ...request, drain: drain.signal })).rejects.toThrow(RunStoppedError);
    expect(log.started).toEqual(["a"]);
    const summary = await orchestrator.run("g", request);
    expect(summary.tasks.map((t) => [t.id, t.status])).toEqual([
      ["a", "done"],
      ["b", "done"],
    ]);
    expect(log.started).toEqual(["a", "b"]);
    expect(starts).toEqual([false, true]);
    expect((await orchestrator.state("t")).runId).toBe("run-1");
    await orchestrator.close();
  });
});

describe("a plain graph.invoke on a thread", () => {
  const compiled = (log: WorkLog) =>
    compileOrchestrator(
      { registry: new WorkerRegistry([echoWorker(log)]), models: offline() },
      { checkpointer: new MemorySaver() },
    );
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

describe("re-driving dead letters continues the run", () => {
  /** A function worker that fails task "a" while `broken` says so, and records `tokens` per attempt. */
  function flaky(state: { broken: boolean }, tokens: number) {
    return functionWorker({
      name: "flaky",
      description: "Fails task a while its upstream is broken.",
      async run(input, context) {
        context.recordUsage({ totalTokens: tokens });
        if (input.task.id === "a" && state.broken) throw new Error("upstream broken");
        return `${input.task.id} done`;
      },
    });
  }

  it("resets the deadline clock: a re-driven task runs though the run's first deadline has long passed", async () => {
    const upstream = { broken: true };
    const waiting = functionWorker({
      name: "waiting",
      description: "Works until it is cancelled.",
      run: (_input, context) =>
        new Promise((_, reject) => context.signal.addEventListener("abort", () => reject(context.signal.reason))),
    });
    const orchestrator = await createOrchestrator({
      checkpointer: "memory",
      models: offline(),
      workers: [flaky(upstream, 0), waiting],
      settings: { deadlineMs: 300, maxRetries: 0 },
    });
    // The first run lasts until its deadline: "slow" is cancelled there.
    const first = await orchestrator.run("g", {
      threadId: "t",
      plan: { tasks: [task("a", [], { worker: "flaky" }), task("slow", [], { worker: "waiting" })] },
    });
    expect(first.tasks.map((t) => [t.id, t.status])).toEqual([
      ["a", "dead"],
      ["slow", "skipped"],
    ]);
    upstream.broken = false;
    const second = await orchestrator.redrive("t", ["a"]);
    expect(second.tasks.map((t) => [t.id, t.status])).toEqual([
      ["a", "done"],
      ["slow", "skipped"],
    ]);
    expect(second.deadLetters).toEqual([]);
    await orchestrator.close();
  });

  it("keeps the usage of the earlier attempts in the run's totals", async () => {
    const upstream = { broken: true };
    const orchestrator = await createOrchestrator({
      checkpointer: "memory",
      models: offline(),
      workers: [flaky(upstream, 10)],
      settings: { maxRetries: 0 },
    });
    const first = await orchestrator.run("g", {
      threadId: "t",
      plan: { tasks: [task("a", [], { worker: "flaky" }), task("b", [], { worker: "flaky" })] },
    });
    expect(first.usage).toMatchObject({ totalTokens: 20, modelCalls: 2 });
    upstream.broken = false;
    const second = await orchestrator.redrive("t", ["a"]);
    expect(second.tasks.map((t) => [t.id, t.status, t.tokens])).toEqual([
      ["a", "done", 10],
      ["b", "done", 10],
    ]);
    expect(second.usage).toMatchObject({ totalTokens: 30, modelCalls: 3 });
    await orchestrator.close();
  });

  it("gives the re-drive the run's budgets afresh: a run stopped at its call cap can re-drive its dead letters", async () => {
    let broken = true;
    const models = scriptedProvider({
      worker: (call) => {
        if (call.prompt.includes('Your task "a"') && broken) throw Object.assign(new Error("bad key"), { status: 401 });
        return "done";
      },
    });
    const agent = agentWorker({ name: "agent", description: "An LLM worker.", systemPrompt: "You do tasks well." });
    const orchestrator = await createOrchestrator({
      checkpointer: "memory",
      models,
      workers: [agent],
      settings: { maxModelCalls: 2 },
    });
    const plan = {
      tasks: [
        task("a", [], { worker: "agent" }),
        task("x", [], { worker: "agent" }),
        task("y", ["x"], { worker: "agent" }),
      ],
    };
    const first = await orchestrator.run("g", { threadId: "t", plan });
    expect(first.tasks.map((t) => [t.id, t.status])).toEqual([
      ["a", "dead"],
      ["x", "done"],
      ["y", "skipped"],
    ]);
    broken = false;
    const second = await orchestrator.redrive("t", ["a"]);
    expect(second.tasks.map((t) => [t.id, t.status])).toEqual([
      ["a", "done"],
      ["x", "done"],
      ["y", "skipped"],
    ]);
    expect(second.usage.modelCalls).toBe(3);
    await orchestrator.close();
  });
});
