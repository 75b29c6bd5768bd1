import { describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import { Command, MemorySaver } from "@langchain/langgraph";
import { graph as exportedGraph } from "../../graphs/orchestrator.js";
import { echoWorker, harness, planReply, task } from "../helpers/fixtures.js";
import { edgeList, TOPOLOGY } from "../helpers/topology.js";
import { scriptedProvider, type ModelCall } from "../helpers/scripted-model.js";

const isExpand = (call: ModelCall) => call.prompt.includes("Break this task into");
const isReplan = (call: ModelCall) => call.prompt.includes("Decide whether the plan still reaches the goal");

describe("a full orchestration cycle", () => {
  it("plans, runs waves, accepts a follow-up, replans once and synthesizes", async () => {
    const models = scriptedProvider({
      planner: (call) =>
        isReplan(call)
          ? {
              structured: {
                decision: "revise",
                reason: "a cross-check is needed",
                addTasks: [{ ...planReply([task("extra", ["a"])]).structured.tasks[0] }],
                cancelTaskIds: [],
              },
            }
          : planReply([task("a"), task("b", ["a"]), task("c", ["a"]), task("d", ["b", "c"])]),
      synthesizer: (call) => `ANSWER from ${call.prompt.match(/### /g)?.length} results`,
    });
    const h = harness({
      models,
      settings: { replan: "after-wave", maxReplans: 1 },
      workers: (log) => [
        echoWorker(log, {
          behaviour: (input) =>
            input.task.id === "b"
              ? {
                  output: "b done",
                  followUps: [{ id: "f", title: "Follow-up of b", worker: "echo", dependsOn: ["b"], blocks: ["d"] }],
                }
              : undefined,
        }),
      ],
    });
    const summary = await h.run({ goal: "build the thing" });

    expect(summary.status).toBe("done");
    expect(summary.answer).toBe("ANSWER from 6 results");
    expect(summary.planSource).toBe("planner");
    expect(summary.tasks.map((t) => [t.id, t.status, t.dependsOn])).toEqual([
      ["a", "done", []],
      ["b", "done", ["a"]],
      ["c", "done", ["a"]],
      ["d", "done", ["b", "c", "f"]],
      ["extra", "done", ["a"]],
      ["f", "done", ["b"]],
    ]);
    expect(h.log.started).toEqual(["a", "b", "c", "extra", "f", "d"]);
    const outputs = Object.fromEntries(
      h.log.inputs.map((input) => [input.task.id, Object.keys(input.dependencies).sort()]),
    );
    expect(outputs).toEqual({ a: [], b: ["a"], c: ["a"], extra: ["a"], f: ["b"], d: ["b", "c", "f"] });
    const state = await h.graph.getState({ configurable: { thread_id: "thread-1" } });
    expect(state.values.results.d.output).toBe("d:b,c,f");
    expect(state.values.tasks.f.origin).toBe("follow-up");
    expect(state.values.tasks.extra.origin).toBe("replan");
    expect(state.values.replans).toBe(1);
    expect(summary.notes).toEqual(["Replanned: a cross-check is needed"]);
    expect(models.callsOf("planner").filter(isReplan)).toHaveLength(1);
    expect(
      h.events
        .map((e) => e.type)
        .filter((t) => t.startsWith("plan") || t.startsWith("synthesis") || t === "task.follow_up"),
    ).toEqual(["plan.created", "plan.replanned", "task.follow_up", "synthesis.started", "synthesis.finished"]);
    expect(summary.usage.modelCalls).toBe(3);
  });

  it("routes to each worker exactly the results of its dependencies", async () => {
    const h = harness();
    await h.run({ goal: "g", plan: { tasks: [task("a"), task("b"), task("c", ["a"]), task("d", ["c", "b"])] } });
    const d = h.log.inputs.find((input) => input.task.id === "d")!;
    expect(d.goal).toBe("g");
    expect(d.dependencies).toEqual({
      b: { title: "Task b", worker: "echo", output: "b:", data: undefined },
      c: { title: "Task c", worker: "echo", output: "c:a", data: undefined },
    });
  });
});

describe("parallelism", () => {
  const flat = { tasks: ["a", "b", "c", "d", "e"].map((id) => task(id)) };

  it("runs independent tasks of a flat plan in one wave", async () => {
    const h = harness({ workers: (log) => [echoWorker(log, { delayMs: 20 })] });
    const summary = await h.run({ goal: "g", plan: flat });
    expect(summary.tasks.every((t) => t.status === "done")).toBe(true);
    expect(h.log.maxRunning).toBe(5);
  });

  it("with maxParallel 1 runs tasks strictly one at a time and completes", async () => {
    const h = harness({ settings: { maxParallel: 1 }, workers: (log) => [echoWorker(log, { delayMs: 5 })] });
    const summary = await h.run({ goal: "g", plan: flat });
    expect(summary.tasks.map((t) => t.status)).toEqual(["done", "done", "done", "done", "done"]);
    expect(h.log.maxRunning).toBe(1);
    expect(h.log.started).toEqual(["a", "b", "c", "d", "e"]);
  });

  it("with maxParallel N never has more than N in flight", async () => {
    const h = harness({ settings: { maxParallel: 2 }, workers: (log) => [echoWorker(log, { delayMs: 10 })] });
    await h.run({ goal: "g", plan: flat });
    expect(h.log.maxRunning).toBe(2);
    expect(h.log.started).toHaveLength(5);
  });

  it("dispatches the critical path first when capacity is short", async () => {
    const h = harness({ settings: { maxParallel: 1, chainDispatch: false } });
    await h.run({
      goal: "g",
      plan: { tasks: [task("leaf"), task("head"), task("mid", ["head"]), task("tail", ["mid"])] },
    });
    expect(h.log.started).toEqual(["head", "mid", "leaf", "tail"]);
  });

  it("runs a chain of dependent tasks in one worker without waiting for the rest of the wave", async () => {
    const h = harness({
      workers: (log) => [echoWorker(log, { delayMs: (input) => (input.task.id === "slow" ? 300 : 10) })],
    });
    const summary = await h.run({
      goal: "g",
      plan: { tasks: [task("slow"), task("a"), task("b", ["a"]), task("c", ["b"]), task("end", ["c", "slow"])] },
    });
    expect(summary.tasks.every((t) => t.status === "done")).toBe(true);
    const queued = h.events.filter((e) => e.type === "task.queued").map((e) => ("taskId" in e ? e.taskId : ""));
    expect(queued).toEqual(["a", "slow", "b", "c", "end"]);
    expect(h.log.maxRunning).toBe(2);
    const c = h.log.inputs.find((input) => input.task.id === "c")!;
    expect(c.dependencies).toEqual({ b: { title: "Task b", worker: "echo", output: "b:a", data: undefined } });
    const state = await h.graph.getState({ configurable: { thread_id: "thread-1" } });
    expect(state.values.results.c.dispatch).toBe(1);
  });

  it.each(["waves", "continuous"] as const)(
    "leaves the dependents of a task that proposes follow-ups to the orchestrator (%s scheduling)",
    async (scheduling) => {
      const followUp = { id: "f", title: "F", worker: "echo", dependsOn: ["a"], blocks: ["b"] };
      const h = harness({
        settings: { scheduling },
        workers: (log) => [
          echoWorker(log, {
            behaviour: (input) => (input.task.id === "a" ? { output: "a", followUps: [followUp] } : undefined),
          }),
        ],
      });
      const summary = await h.run({ goal: "g", plan: { tasks: [task("a"), task("b", ["a"])] } });
      expect(summary.tasks.map((t) => [t.id, t.status, t.dependsOn])).toEqual([
        ["a", "done", []],
        ["b", "done", ["a", "f"]],
        ["f", "done", ["a"]],
      ]);
      expect(h.log.started).toEqual(["a", "f", "b"]);
    },
  );

  it("runs a diamond in three waves", async () => {
    const h = harness({ workers: (log) => [echoWorker(log, { delayMs: 10 })] });
    const summary = await h.run({
      goal: "g",
      plan: { tasks: [task("s"), task("l", ["s"]), task("r", ["s"]), task("j", ["l", "r"])] },
    });
    expect(h.log.started).toEqual(["s", "l", "r", "j"]);
    expect(h.log.maxRunning).toBe(2);
    expect(summary.tasks.find((t) => t.id === "j")!.status).toBe("done");
  });
});

describe("top-down decomposition", () => {
  it("expands a complex task into subtasks and completes the parent when they are done", async () => {
    const models = scriptedProvider({
      planner: (call) =>
        isExpand(call)
          ? planReply([task("s1"), task("s2", ["s1"])])
          : planReply([task("big", [], { complex: true, title: "Big" }), task("final", ["big"])]),
      synthesizer: () => "answer",
    });
    const h = harness({ models, settings: { strategy: "top-down", maxDepth: 1 } });
    const summary = await h.run({ goal: "g" });
    expect(summary.tasks.map((t) => [t.id, t.status, t.dependsOn])).toEqual([
      ["big", "done", ["big.s1", "big.s2"]],
      ["final", "done", ["big"]],
      ["big.s1", "done", []],
      ["big.s2", "done", ["big.s1"]],
    ]);
    expect(h.log.started).toEqual(["big.s1", "big.s2", "final"]);
    const final = h.log.inputs.find((input) => input.task.id === "final")!;
    expect(final.dependencies.big!.output).toBe("## Task s1\nbig.s1:\n\n## Task s2\nbig.s2:big.s1");
    const state = await h.graph.getState({ configurable: { thread_id: "thread-1" } });
    expect(state.values.tasks["big.s1"]).toMatchObject({ parent: "big", depth: 1, origin: "expansion" });
    expect(h.events.filter((e) => e.type === "task.expanded")).toMatchObject([
      { taskId: "big", children: ["big.s1", "big.s2"] },
    ]);
  });

  it("runs a complex task as one task once maxDepth is reached", async () => {
    const models = scriptedProvider({
      planner: () => planReply([task("big", [], { complex: true })]),
      synthesizer: () => "answer",
    });
    const h = harness({ models, settings: { strategy: "top-down", maxDepth: 0 } });
    await h.run({ goal: "g" });
    expect(h.log.started).toEqual(["big"]);
    expect(models.callsOf("planner").filter(isExpand)).toHaveLength(0);
  });
});

describe("plans from the caller", () => {
  it("rejects an invalid plan with an error naming the problem", async () => {
    const h = harness();
    await expect(h.run({ goal: "g", plan: { tasks: [task("a", ["nope"])] } })).rejects.toThrow(
      'Task "a" depends on "nope", which is not a task in the plan.',
    );
  });

  it("breaks a cycle in the plan, records the dropped edge and still runs every task", async () => {
    const h = harness();
    const summary = await h.run({ goal: "g", plan: { tasks: [task("a", ["b"]), task("b", ["a"])] } });
    expect(summary.droppedEdges).toEqual([{ task: "b", dependsOn: "a", cycle: ["a", "b", "a"] }]);
    expect(summary.tasks.map((t) => [t.id, t.status, t.dependsOn])).toEqual([
      ["a", "done", ["b"]],
      ["b", "done", []],
    ]);
    expect(summary.notes).toEqual(["Dropped dependency b → a to break the cycle a → b → a."]);
    expect(summary.answer).toContain("Offline mode");
  });
});

describe("resuming", () => {
  it("resumes a run whose orchestrator step failed without re-running finished tasks", async () => {
    let planners = 0;
    const base = scriptedProvider({
      planner: (call) =>
        isReplan(call)
          ? { structured: { decision: "continue", reason: "fine", addTasks: [], cancelTaskIds: [] } }
          : planReply([task("a"), task("b", ["a"]), task("c", ["a"])]),
      synthesizer: () => "answer",
    });
    const models = {
      configured: true,
      create: (request: Parameters<typeof base.create>[0]) => {
        if (request.role === "planner" && ++planners === 2) throw new Error("planner endpoint misconfigured");
        return base.create(request);
      },
    };
    const checkpointer = new MemorySaver();
    const h = harness({ models, checkpointer, settings: { replan: "after-wave" } });
    await expect(h.run({ goal: "g" })).rejects.toThrow("planner endpoint misconfigured");
    expect(h.log.started).toEqual(["a"]);

    const summary = await h.run(null);
    expect(summary.status).toBe("done");
    expect(summary.tasks.map((t) => t.status)).toEqual(["done", "done", "done"]);
    expect(h.log.started).toEqual(["a", "b", "c"]);
    expect(h.log.runsOf("a")).toBe(1);
  });
});

describe("plan review", () => {
  const plan = { tasks: [task("a"), task("b", ["a"])] };

  it("pauses with the plan and runs it when approved", async () => {
    const h = harness({ settings: { reviewPlan: true } });
    const paused = await h.run({ goal: "g", plan });
    expect(paused.status).toBe("interrupted");
    expect(paused.review).toMatchObject({ kind: "approve_plan", tasks: [{ id: "a" }, { id: "b" }] });
    expect(h.log.started).toEqual([]);
    const done = await h.run(new Command({ resume: { action: "approve" } }));
    expect(done.status).toBe("done");
    expect(h.log.started).toEqual(["a", "b"]);
  });

  it("runs the reviewer's edited plan instead", async () => {
    const h = harness({ settings: { reviewPlan: true } });
    await h.run({ goal: "g", plan });
    const done = await h.run(new Command({ resume: { action: "edit", plan: { tasks: [task("x")] } } }));
    expect(done.planSource).toBe("human");
    expect(done.tasks.map((t) => t.id)).toEqual(["x"]);
    expect(h.log.started).toEqual(["x"]);
  });

  it("asks again when the edited plan is invalid", async () => {
    const h = harness({ settings: { reviewPlan: true } });
    await h.run({ goal: "g", plan });
    const again = await h.run(
      new Command({ resume: { action: "edit", plan: { tasks: [task("x", [], { worker: "nobody" })] } } }),
    );
    expect(again.status).toBe("interrupted");
    expect(again.review!.errors).toEqual(['Task "x" names unknown worker "nobody"; use one of: echo.']);
  });

  it("skips every task when the plan is rejected", async () => {
    const h = harness({ settings: { reviewPlan: true } });
    await h.run({ goal: "g", plan });
    const done = await h.run(new Command({ resume: { action: "reject", reason: "too broad" } }));
    expect(done.tasks.map((t) => [t.status, t.reason])).toEqual([
      ["skipped", "plan rejected by the reviewer: too broad"],
      ["skipped", "plan rejected by the reviewer: too broad"],
    ]);
    expect(h.log.started).toEqual([]);
    expect(done.answer).toContain("## Gaps");
  });
});

describe("the compiled graph", () => {
  it("has the orchestrator-worker topology", async () => {
    const drawable = await exportedGraph.getGraphAsync();
    expect(Object.keys(drawable.nodes).sort()).toEqual(TOPOLOGY.nodes);
    expect(edgeList(drawable.edges)).toEqual(TOPOLOGY.edges);
  });

  it("loads every graph that langgraph.json names", async () => {
    const config = JSON.parse(readFileSync(new URL("../../langgraph.json", import.meta.url), "utf8")) as {
      graphs: Record<string, string>;
    };
    expect(Object.keys(config.graphs)).toContain("orchestrator");
    for (const entry of Object.values(config.graphs)) {
      const [file, exportName] = entry.split(":");
      const module = (await import(new URL(`../../${file}`, import.meta.url).href)) as Record<
        string,
        { invoke?: unknown; checkpointer?: unknown }
      >;
      expect(typeof module[exportName!]!.invoke, entry).toBe("function");
      expect(module[exportName!]!.checkpointer, entry).toBeUndefined();
    }
  });
});
