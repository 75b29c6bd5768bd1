/**
 * The eager pool (continuous scheduling): tasks start the moment their dependencies are done, the pool hands back to
 * the orchestrator at a result that needs a decision, and its record of landings is batched.
 */
import { describe, expect, it } from "vitest";
import { agentWorker, functionWorker } from "../../src/index.js";
import { echoWorker, harness, planReply, task, type WorkLog } from "../helpers/fixtures.js";
import { scriptedProvider, type ModelCall } from "../helpers/scripted-model.js";

const isExpand = (call: ModelCall) => call.prompt.includes("Break this task into");

describe("continuous scheduling", () => {
  const slowPlan = { tasks: [task("slow"), task("a"), task("b", ["a"]), task("c", ["a"]), task("d", ["b", "c"])] };
  const slowWorkers = (log: WorkLog) => [
    echoWorker(log, { delayMs: (input) => (input.task.id === "slow" ? 300 : 10) }),
  ];

  it("starts a task the moment its dependencies are done, without waiting for a slow unrelated one", async () => {
    const h = harness({ settings: { scheduling: "continuous", maxParallel: 3 }, workers: slowWorkers });
    const summary = await h.run({ goal: "g", plan: slowPlan });
    expect(summary.tasks.every((t) => t.status === "done")).toBe(true);
    expect(h.log.timeline.indexOf("end:d")).toBeLessThan(h.log.timeline.indexOf("end:slow"));
    expect(h.log.maxRunning).toBe(3);
    expect(h.log.inputs.find((input) => input.task.id === "d")!.dependencies).toEqual({
      b: { title: "Task b", worker: "echo", output: "b:a", data: undefined },
      c: { title: "Task c", worker: "echo", output: "c:a", data: undefined },
    });
  });

  it("waits for the slow task in waves, as LangGraph supersteps do", async () => {
    const h = harness({ settings: { scheduling: "waves", maxParallel: 3 }, workers: slowWorkers });
    await h.run({ goal: "g", plan: slowPlan });
    expect(h.log.timeline.indexOf("start:b")).toBeGreaterThan(h.log.timeline.indexOf("end:slow"));
  });

  it("never runs more than maxParallel tasks at once", async () => {
    const h = harness({
      settings: { scheduling: "continuous", maxParallel: 3 },
      workers: (log) => [echoWorker(log, { delayMs: 5 })],
    });
    const summary = await h.run({ goal: "g", plan: { tasks: Array.from({ length: 10 }, (_, i) => task(`t${i}`)) } });
    expect(summary.tasks.filter((t) => t.status === "done")).toHaveLength(10);
    expect(h.log.maxRunning).toBe(3);
  });

  it("dead-letters a failing task, skips its dependents and finishes the rest", async () => {
    const h = harness({
      settings: { scheduling: "continuous", maxRetries: 0 },
      workers: (log) => [
        echoWorker(log, {
          behaviour: (input) => {
            if (input.task.id === "a") throw new Error("broken");
            return undefined;
          },
        }),
      ],
    });
    const summary = await h.run({
      goal: "g",
      plan: { tasks: [task("a"), task("b", ["a"]), task("c"), task("d", ["c"])] },
    });
    expect(summary.tasks.map((t) => [t.id, t.status])).toEqual([
      ["a", "dead"],
      ["b", "skipped"],
      ["c", "done"],
      ["d", "done"],
    ]);
    expect(h.log.started).not.toContain("b");
  });
});

describe("handing back from an eager pool", () => {
  const replanSpy = (onReplan: () => void) =>
    scriptedProvider({
      planner: () => {
        onReplan();
        return { structured: { decision: "continue", reason: "fine", addTasks: [], cancelTaskIds: [] } };
      },
      synthesizer: () => "answer",
    });

  it("stops launching at a proposed follow-up, so a follow-up that blocks a ready task runs before it", async () => {
    const followUp = { id: "f", title: "F", worker: "echo", dependsOn: [], blocks: ["t"] };
    const h = harness({
      settings: { maxParallel: 1 },
      workers: (log) => [
        echoWorker(log, {
          behaviour: (input) => (input.task.id === "a" ? { output: "a", followUps: [followUp] } : undefined),
        }),
      ],
    });
    const summary = await h.run({ goal: "g", plan: { tasks: [task("a"), task("t")] } });
    expect(h.log.started).toEqual(["a", "f", "t"]);
    expect(summary.tasks.find((t) => t.id === "t")!.dependsOn).toEqual(["f"]);
  });

  it("stops launching at a failure when replan is on-failure: the planner decides before another task starts", async () => {
    const seen: string[][] = [];
    const h = harness({
      models: replanSpy(() => seen.push([...h.log.started])),
      settings: { maxParallel: 1, maxRetries: 0, replan: "on-failure" },
      workers: (log) => [
        echoWorker(log, {
          behaviour: (input) => {
            if (input.task.id === "a") throw new Error("broken");
            return undefined;
          },
        }),
      ],
    });
    const summary = await h.run({ goal: "g", plan: { tasks: [task("a"), task("t")] } });
    expect(seen).toEqual([["a"]]);
    expect(summary.tasks.map((t) => [t.id, t.status])).toEqual([
      ["a", "dead"],
      ["t", "done"],
    ]);
  });

  it("with replan after-wave, hands back once the tasks ready at the pool's start have finished", async () => {
    const seen: string[][] = [];
    const h = harness({
      models: replanSpy(() => seen.push([...h.log.started])),
      settings: { replan: "after-wave", maxReplans: 5 },
    });
    await h.run({ goal: "g", plan: { tasks: [task("a"), task("b", ["a"]), task("c", ["a"]), task("d", ["b", "c"])] } });
    expect(seen).toEqual([["a"], ["a", "b", "c"], ["a", "b", "c", "d"]]);
  });

  it("hands back once a complex task is ready to expand (top-down), before the pool's other tasks start", async () => {
    const seen: string[][] = [];
    const h = harness({
      models: scriptedProvider({
        planner: (call) => {
          if (isExpand(call)) seen.push([...h.log.started]);
          return planReply([task("s1")]);
        },
        synthesizer: () => "answer",
      }),
      settings: { strategy: "top-down", maxDepth: 1, maxParallel: 1, replan: "never" },
    });
    const summary = await h.run({
      goal: "g",
      plan: { tasks: [task("a"), task("big", ["a"], { complex: true }), task("x"), task("y")] },
    });
    expect(seen).toEqual([["a"]]);
    expect(summary.tasks.every((t) => t.status === "done")).toBe(true);
  });

  it("checks the run budget before every launch: under maxModelCalls 1 the pool starts no task after the call is made", async () => {
    const models = scriptedProvider({ worker: () => "done", synthesizer: () => "partial answer" });
    const agent = agentWorker({ name: "agent", description: "An LLM worker.", systemPrompt: "You do tasks well." });
    const h = harness({ models, settings: { maxParallel: 1, maxModelCalls: 1 }, workers: () => [agent] });
    const summary = await h.run({
      goal: "g",
      plan: { tasks: ["a", "b", "c"].map((id) => task(id, [], { worker: "agent" })) },
    });
    expect(h.events.filter((e) => e.type === "task.queued").map((e) => ("taskId" in e ? e.taskId : ""))).toEqual(["a"]);
    expect(models.callsOf("worker")).toHaveLength(1);
    expect(summary.tasks.map((t) => [t.id, t.status, t.reason])).toEqual([
      ["a", "done", undefined],
      ["b", "skipped", "run budget reached: 1 model calls made of 1"],
      ["c", "skipped", "run budget reached: 1 model calls made of 1"],
    ]);
  });

  it("streams each task's result in `updates` under `<worker>:<task id>` as it lands, and no `run_task`", async () => {
    const h = harness({ settings: { maxParallel: 2 } });
    const names: string[] = [];
    const config = { configurable: { thread_id: "names" }, streamMode: "updates" as const };
    for await (const chunk of await h.graph.stream(
      { goal: "g", plan: { tasks: [task("a"), task("b", ["a"])] } },
      config,
    ))
      names.push(...Object.keys(chunk));
    expect(names.filter((name) => name.includes(":"))).toEqual(["echo:a", "echo:b"]);
    expect(names).not.toContain("run_task");
    expect(names.indexOf("echo:b")).toBeLessThan(names.lastIndexOf("worker"));
  });
});

describe("the eager pool's record of landings", () => {
  it("records tasks that land in the same turn of the event loop as one batch, not one record per task", async () => {
    // The first five tasks wait until all five have started, then each ends in its own setImmediate callback: the
    // five land one after another within one turn of the event loop.
    let release: () => void;
    const allStarted = new Promise<void>((resolve) => (release = resolve));
    let started = 0;
    const worker = functionWorker({
      name: "echo",
      description: "Ends in a setImmediate callback once five tasks have started.",
      async run(input) {
        if (++started === 5) release();
        await allStarted;
        await new Promise((resolve) => setImmediate(resolve));
        return input.task.id;
      },
    });
    const h = harness({ settings: { maxParallel: 5 }, workers: () => [worker] });
    const names: string[] = [];
    const config = { configurable: { thread_id: "batches" }, streamMode: "updates" as const };
    const plan = { tasks: Array.from({ length: 10 }, (_, i) => task(`t${i}`)) };
    for await (const chunk of await h.graph.stream({ goal: "g", plan }, config)) names.push(...Object.keys(chunk));
    expect(names.filter((name) => name.startsWith("echo:"))).toHaveLength(10);
    expect(names.filter((name) => name === "tasks_landed")).toEqual(["tasks_landed"]);
  });
});
