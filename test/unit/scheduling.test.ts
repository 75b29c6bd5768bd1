/**
 * Scheduling the next round: run budgets, dispatching ready tasks or a continuous pool, and the tail of a round.
 */
import { describe, expect, it } from "vitest";
import { budgetExceeded, hasRunBudget } from "../../src/budget/budgets.js";
import { dispatchPool, dispatchReady, scheduleNext } from "../../src/orchestration/dispatch.js";
import { toRecords } from "../../src/orchestration/task-board.js";
import type { TaskSpec } from "../../src/schemas.js";
import { parseSettings, type SettingsInput } from "../../src/settings.js";
import { ZERO_USAGE } from "../../src/budget/usage.js";
import { RunMeter } from "../../src/budget/meter.js";
import { planReply, task } from "../helpers/fixtures.js";
import { scriptedProvider } from "../helpers/scripted-model.js";
import { as, boardOf, recorder, records, result, roundOf, running, done, usage } from "../helpers/boards.js";

describe("run budgets", () => {
  const none = { deadlineMs: 0, maxTokens: 0, maxModelCalls: 0 };
  const start = "2026-01-01T00:00:00.000Z";
  const at = (ms: number) => Date.parse(start) + ms;

  it("has a budget when any of the deadline, the token budget or the call cap is set", () => {
    expect(hasRunBudget(none)).toBe(false);
    expect(hasRunBudget({ ...none, deadlineMs: 1 })).toBe(true);
    expect(hasRunBudget({ ...none, maxTokens: 1 })).toBe(true);
    expect(hasRunBudget({ ...none, maxModelCalls: 1 })).toBe(true);
  });

  it("passes the deadline once the elapsed time reaches it, counted from the start of planning", () => {
    const budget = { ...none, deadlineMs: 1000 };
    expect(budgetExceeded(budget, ZERO_USAGE, start, at(999))).toBeUndefined();
    expect(budgetExceeded(budget, ZERO_USAGE, start, at(1000))).toBe("the deadline of 1000 ms passed (1000 ms)");
    expect(budgetExceeded(budget, ZERO_USAGE, start, at(2500))).toBe("the deadline of 1000 ms passed (2500 ms)");
    expect(budgetExceeded(budget, ZERO_USAGE, undefined, at(1_000_000))).toBeUndefined();
  });

  it("uses up the token budget and the call cap when usage reaches them", () => {
    expect(budgetExceeded({ ...none, maxTokens: 500 }, usage(499, 1), start, at(0))).toBeUndefined();
    expect(budgetExceeded({ ...none, maxTokens: 500 }, usage(500, 1), start, at(0))).toBe("500 tokens used of 500");
    expect(budgetExceeded({ ...none, maxModelCalls: 3 }, usage(10_000, 2), start, at(0))).toBeUndefined();
    expect(budgetExceeded({ ...none, maxModelCalls: 3 }, usage(10_000, 4), start, at(0))).toBe(
      "4 model calls made of 3",
    );
  });

  it("reports the deadline first, then tokens, then calls, and nothing without a budget", () => {
    const all = { deadlineMs: 10, maxTokens: 10, maxModelCalls: 1 };
    expect(budgetExceeded(all, usage(100, 100), start, at(10))).toBe("the deadline of 10 ms passed (10 ms)");
    expect(budgetExceeded(all, usage(100, 100), start, at(0))).toBe("100 tokens used of 10");
    expect(budgetExceeded(all, usage(0, 100), start, at(0))).toBe("100 model calls made of 1");
    expect(budgetExceeded(none, usage(1e9, 1e9), start, at(1e9))).toBeUndefined();
  });
});

describe("dispatching ready tasks", () => {
  it("sends the highest-ranked ready tasks up to capacity, marks them running and counts the dispatch", () => {
    const [a, b, c, d] = records(
      task("a"),
      task("b", [], { estimatedCost: 3 }),
      task("c", ["a"], { estimatedCost: 5 }),
      task("d", [], { estimatedCost: 2 }),
    );
    const board = boardOf(a!, b!, c!, d!);
    const { events, emit } = recorder();
    expect(dispatchReady(board, 2, false, emit)).toEqual([{ tasks: ["a"] }, { tasks: ["b"] }]);
    expect(board.changes()).toEqual({ a: running(a, 1), b: running(b, 1) });
    expect(events).toEqual([
      { type: "task.queued", taskId: "a", worker: "echo", rank: 6 },
      { type: "task.queued", taskId: "b", worker: "echo", rank: 3 },
    ]);
  });

  it("counts a re-dispatch on top of the earlier ones", () => {
    const [a] = records(task("a"));
    const board = boardOf(as(a, { dispatches: 2, attempts: 3 }));
    const { emit } = recorder();
    expect(dispatchReady(board, 1, true, emit)).toEqual([{ tasks: ["a"] }]);
    expect(board.get("a")).toEqual(as(a, { status: "running", dispatches: 3, attempts: 3 }));
  });

  it("runs each task's only newly-ready dependent in the same worker and queues only the chain's head", () => {
    const [a, b, c, x, y] = records(task("a"), task("b", ["a", "x"]), task("c", ["b"]), task("x"), task("y"));
    const board = boardOf(a!, b!, c!, done(x), y!);
    const { events, emit } = recorder();
    expect(dispatchReady(board, 8, true, emit)).toEqual([{ tasks: ["a", "b", "c"] }, { tasks: ["y"] }]);
    expect(board.changes()).toEqual({ a: running(a), b: running(b), c: running(c), y: running(y) });
    expect(events).toEqual([
      { type: "task.queued", taskId: "a", worker: "echo", rank: 3 },
      { type: "task.queued", taskId: "y", worker: "echo", rank: 1 },
    ]);
  });

  it("sends one task per worker when chains are off", () => {
    const [a, b] = records(task("a"), task("b", ["a"]));
    const board = boardOf(a!, b!);
    const { emit } = recorder();
    expect(dispatchReady(board, 8, false, emit)).toEqual([{ tasks: ["a"] }]);
    expect(board.get("b")!.status).toBe("pending");
  });

  it.each<[string, TaskSpec[], string[]]>([
    ["at a task that makes two dependents ready", [task("a"), task("b", ["a"]), task("c", ["a"])], ["a"]],
    ["before a complex task", [task("a"), task("b", ["a"], { complex: true }), task("c", ["b"])], ["a"]],
    [
      "before a dependent that also waits for a task outside the chain",
      [task("a", [], { estimatedCost: 3 }), task("b", ["a", "z"]), task("z", ["w"]), task("w")],
      ["a"],
    ],
    [
      "after the second task when that one makes two dependents ready",
      [task("a"), task("b", ["a"]), task("c", ["b"]), task("d", ["b"])],
      ["a", "b"],
    ],
  ])("ends a chain %s", (_name, specs, chain) => {
    const board = boardOf(...records(...specs));
    const { emit } = recorder();
    expect(dispatchReady(board, 1, true, emit)[0]).toEqual({ tasks: chain });
  });

  it("sends nothing and emits nothing when no task is ready", () => {
    const [a, b] = records(task("a"), task("b", ["a"]));
    const board = boardOf(running(a), b!);
    const { events, emit } = recorder();
    expect(dispatchReady(board, 8, true, emit)).toEqual([]);
    expect(board.changes()).toEqual({});
    expect(events).toEqual([]);
  });
});

describe("dispatching a continuous pool", () => {
  it("pools every pending task that can run without another decision, highest rank first, with capacity slots", () => {
    const [a, b, c, e, f, g, h] = records(
      task("a"),
      task("b", ["a"]),
      task("c", [], { estimatedCost: 2 }),
      task("e", [], { complex: true }),
      task("f", ["e"]),
      task("g", ["dead"]),
      task("dead"),
    );
    const board = boardOf(a!, b!, c!, e!, f!, g!, as(h, { status: "dead" }));
    expect(dispatchPool(board, 3, (t) => t.complex)).toEqual([{ tasks: ["a", "c", "b"], pool: 3 }]);
    expect(board.changes()).toEqual({ a: running(a), c: running(c), b: running(b) });
  });

  it("hands back once the pool's tasks a complex task waits on are done, and keeps the rules it was given", () => {
    const [a, b, big, late] = records(
      task("a"),
      task("b"),
      task("big", ["a", "b"], { complex: true }),
      task("late", ["big"]),
    );
    const board = boardOf(done(a), b!, big!, late!);
    expect(dispatchPool(board, 2, (t) => t.complex, { onFailure: true })).toEqual([
      { tasks: ["b"], pool: 2, handBack: { onFailure: true, expandAfter: [["b"]] } },
    ]);
  });

  it("returns nothing when no task can run", () => {
    const [a, b] = records(task("a", [], { complex: true }), task("b", ["a"]));
    const board = boardOf(a!, b!);
    expect(dispatchPool(board, 3, (t) => t.complex)).toEqual([]);
    expect(board.changes()).toEqual({});
  });
});

describe("scheduling the next round", () => {
  const chainAndOne = () => {
    const [a, b, c] = records(task("a"), task("b", ["a"]), task("c"));
    return boardOf(a!, b!, c!);
  };

  it("dispatches chains with waves scheduling, with no usage and no results of its own", async () => {
    const round = roundOf({ settings: { scheduling: "waves" } });
    const board = chainAndOne();
    expect(await scheduleNext(round, board, {})).toEqual({
      dispatch: [{ tasks: ["a", "b"] }, { tasks: ["c"] }],
      usage: ZERO_USAGE,
      results: {},
    });
    expect(round.events).toEqual([
      { type: "task.queued", taskId: "a", worker: "echo", rank: 2 },
      { type: "task.queued", taskId: "c", worker: "echo", rank: 1 },
    ]);
  });

  it("dispatches one pool of maxParallel slots by default (continuous scheduling)", async () => {
    const round = roundOf({ settings: { maxParallel: 4 } });
    const board = chainAndOne();
    expect((await scheduleNext(round, board, {})).dispatch).toEqual([
      { tasks: ["a", "b", "c"], pool: 4, handBack: { onFailure: true } },
    ]);
    expect(round.events).toEqual([]);
  });

  it.each<[SettingsInput, object | undefined]>([
    [{ replan: "on-failure" }, { onFailure: true }],
    [{ replan: "after-wave" }, { afterFirstLevel: true }],
    [{ replan: "never" }, undefined],
  ])("tells the pool when to hand back under %j", async (settings, handBack) => {
    const round = roundOf({ settings });
    expect((await scheduleNext(round, chainAndOne(), {})).dispatch[0]!.handBack).toEqual(handBack);
  });

  it.each<[string, SettingsInput, object[]]>([
    ["a deadline", { deadlineMs: 60_000, replan: "never" }, [{ tasks: ["a", "b", "c"], pool: 8 }]],
    ["a token budget", { maxTokens: 1000, replan: "never" }, [{ tasks: ["a", "b", "c"], pool: 8 }]],
    [
      "a model-call cap, in waves",
      { maxModelCalls: 5, scheduling: "waves" },
      [{ tasks: ["a", "b"] }, { tasks: ["c"] }],
    ],
  ])(
    "dispatches as without a budget under %s, each unit carrying the run's spend for the meter",
    async (_name, settings, units) => {
      const startedAt = new Date().toISOString();
      const round = {
        ...roundOf({ settings }),
        runId: "run-1",
        meter: new RunMeter(parseSettings(settings), ZERO_USAGE, startedAt),
      };
      const dispatch = (await scheduleNext(round, chainAndOne(), {})).dispatch;
      expect(dispatch).toEqual(
        units.map((unit) => ({ ...unit, budget: { runId: "run-1", startedAt, used: ZERO_USAGE } })),
      );
    },
  );

  it("completes parents and skips blocked tasks before it dispatches, so a finished parent's dependents run at once", async () => {
    const [p, x, q, dead, z] = records(task("p"), task("p.x"), task("q", ["p"]), task("dead"), task("z", ["dead"]));
    const board = boardOf(
      as(p, { status: "running", children: ["p.x"], dependsOn: ["p.x"] }),
      done(x),
      q!,
      as(dead, { status: "dead" }),
      z!,
    );
    const round = roundOf({ settings: { scheduling: "waves" } });
    const next = await scheduleNext(round, board, { "p.x": result("p.x") });
    expect(next.dispatch).toEqual([{ tasks: ["q"] }]);
    expect(Object.keys(next.results)).toEqual(["p"]);
    expect(round.events).toEqual([
      { type: "task.done", taskId: "p", worker: "echo", attempts: 0, durationMs: 0, usage: ZERO_USAGE },
      { type: "task.skipped", taskId: "z", worker: "echo", reason: 'dependency "dead" was dead-lettered' },
      { type: "task.queued", taskId: "q", worker: "echo", rank: 1 },
    ]);
  });

  it("skips every pending task when nothing can be dispatched", async () => {
    const [a, b, c] = records(task("a"), task("b", ["ghost"]), task("c", ["b"]));
    const board = boardOf(done(a), b!, c!);
    const round = roundOf();
    expect((await scheduleNext(round, board, {})).dispatch).toEqual([]);
    const reason = "its dependencies can never complete";
    expect(board.changes()).toEqual({
      b: as(b, { status: "skipped", reason }),
      c: as(c, { status: "skipped", reason }),
    });
    expect(round.events).toEqual([
      { type: "task.skipped", taskId: "b", worker: "echo", reason },
      { type: "task.skipped", taskId: "c", worker: "echo", reason },
    ]);
  });

  it("skips nothing when every task is already terminal", async () => {
    const [a, b] = records(task("a"), task("b"));
    const board = boardOf(done(a), as(b, { status: "dead" }));
    const round = roundOf();
    expect(await scheduleNext(round, board, {})).toEqual({ dispatch: [], usage: ZERO_USAGE, results: {} });
    expect(board.changes()).toEqual({});
    expect(round.events).toEqual([]);
  });

  it("expands a ready complex task with the planner first and dispatches its subtasks, counting the planner's usage", async () => {
    const models = scriptedProvider({ planner: () => planReply([task("x"), task("y", ["x"])]) });
    const round = roundOf({ models, settings: { strategy: "top-down", maxDepth: 1, scheduling: "waves" } });
    const [a, b] = records(task("a", [], { complex: true }), task("b", ["a"]));
    const board = boardOf(a!, b!);
    const next = await scheduleNext(round, board, {});
    expect(next.dispatch).toEqual([{ tasks: ["a.x", "a.y"] }]);
    expect(next.usage.modelCalls).toBe(1);
    expect(board.get("a")).toEqual(as(a, { status: "running", children: ["a.x", "a.y"], dependsOn: ["a.x", "a.y"] }));
    expect(board.get("a.y")).toEqual({
      ...toRecords([task("y", [], { id: "a.y", dependsOn: ["a.x"] })], "expansion", 3, { depth: 1, parent: "a" })[0]!,
      status: "running",
      dispatches: 1,
    });
    expect(round.events).toEqual([
      { type: "task.expanded", taskId: "a", worker: "echo", children: ["a.x", "a.y"] },
      { type: "task.queued", taskId: "a.x", worker: "echo", rank: 4 },
    ]);
  });

  it("runs a complex task as it is in waves when no model can expand it", async () => {
    const round = roundOf({ settings: { strategy: "top-down", scheduling: "waves" } });
    const board = boardOf(...records(task("a", [], { complex: true })));
    expect((await scheduleNext(round, board, {})).dispatch).toEqual([{ tasks: ["a"] }]);
  });

  it("runs a complex task as it is in a continuous pool when no model can expand it, instead of skipping it", async () => {
    const round = roundOf({ settings: { strategy: "top-down", scheduling: "continuous" } });
    const board = boardOf(...records(task("a", [], { complex: true }), task("b", ["a"])));
    expect((await scheduleNext(round, board, {})).dispatch).toEqual([
      { tasks: ["a", "b"], pool: 8, handBack: { onFailure: true } },
    ]);
    expect(round.events).toEqual([]);
  });

  it("expands complex subtasks that are ready at once before dispatching, in waves and in a pool", async () => {
    for (const scheduling of ["waves", "continuous"] as const) {
      let call = 0;
      const models = scriptedProvider({
        planner: () =>
          call++ === 0
            ? planReply([task("x", [], { complex: true }), task("y", [], { complex: true })])
            : planReply([task("p"), task("q")]),
      });
      const round = roundOf({ models, settings: { strategy: "top-down", maxDepth: 2, scheduling } });
      const board = boardOf(...records(task("a", [], { complex: true })));
      const next = await scheduleNext(round, board, {});
      expect(next.usage.modelCalls, scheduling).toBe(3);
      expect(
        round.events.filter((event) => event.type === "task.expanded"),
        scheduling,
      ).toEqual([
        { type: "task.expanded", taskId: "a", worker: "echo", children: ["a.x", "a.y"] },
        { type: "task.expanded", taskId: "a.x", worker: "echo", children: ["a.x.p", "a.x.q"] },
        { type: "task.expanded", taskId: "a.y", worker: "echo", children: ["a.y.p", "a.y.q"] },
      ]);
      const dispatched = next.dispatch.flatMap((unit) => unit.tasks).sort();
      expect(dispatched, scheduling).toEqual(["a.x.p", "a.x.q", "a.y.p", "a.y.q"]);
      expect(
        board.all().filter((t) => t.status === "skipped"),
        scheduling,
      ).toEqual([]);
    }
  });
});
