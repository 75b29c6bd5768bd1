/**
 * Changing a running plan: adding tasks, accepting follow-ups, deciding whether to replan and applying a replan.
 */
import { describe, expect, it } from "vitest";
import { acceptFollowUps, addTasks } from "../../src/orchestration/follow-ups.js";
import { applyReplan, shouldReplan } from "../../src/orchestration/replans.js";
import type { Absorbed } from "../../src/orchestration/results.js";
import { toRecords } from "../../src/orchestration/task-board.js";
import type { DeadLetter, TaskSpec } from "../../src/schemas.js";
import type { SettingsInput } from "../../src/settings.js";
import { ZERO_USAGE } from "../../src/budget/usage.js";
import { task } from "../helpers/fixtures.js";
import {
  as,
  boardOf,
  configuredButUnused,
  records,
  registryOf,
  roundOf,
  unconfigured,
  running,
  done,
} from "../helpers/boards.js";

const absorbedOf = (finished: number, dead: number): Absorbed => ({
  finished,
  dead: Array.from({ length: dead }, (_, i) => ({ taskId: `d${i}` }) as DeadLetter),
  followUps: [],
  notes: [],
});

describe("adding tasks to a running plan", () => {
  const options = { registry: registryOf("echo", "writer"), maxTasks: 10, origin: "follow-up" as const, depth: 1 };
  /** a (done) → b (pending) → c (pending), and d (running). */
  const running3 = () => {
    const [a, b, c, d] = records(task("a"), task("b", ["a"]), task("c", ["b"]), task("d"));
    return boardOf(done(a), b!, c!, running(d));
  };

  it("adds a valid task as a pending record after the last one and makes the tasks it blocks wait for it", () => {
    const board = running3();
    const added = addTasks(board, [task("f", ["a"], { worker: "writer", blocks: ["c"] })], options);
    expect(added).toEqual({ accepted: ["f"], rejected: [] });
    expect(board.changes()).toEqual({
      f: {
        id: "f",
        title: "Task f",
        description: "Do f",
        worker: "writer",
        dependsOn: ["a"],
        expectedOutput: "",
        estimatedCost: 1,
        complex: false,
        status: "pending",
        origin: "follow-up",
        order: 4,
        depth: 1,
        attempts: 0,
        dispatches: 0,
      },
      c: as(board.get("c"), { dependsOn: ["b", "f"] }),
    });
    expect(board.get("c")!.dependsOn).toEqual(["b", "f"]);
  });

  it.each<[string, TaskSpec, string]>([
    [
      "an unknown worker",
      task("f", [], { worker: "poet" }),
      'Task "f" names unknown worker "poet"; use one of: echo, writer.',
    ],
    ["an id already in the run", task("b"), 'Task id "b" is used more than once.'],
    [
      "a dependency on an unknown task",
      task("f", ["ghost"]),
      'Task "f" depends on "ghost", which is not a task in the plan.',
    ],
    ["a dependency on itself", task("f", ["f"]), 'Task "f" depends on itself.'],
    ["blocks on an unknown task", task("f", [], { blocks: ["ghost"] }), 'blocks unknown task "ghost"'],
    ["blocks on a done task", task("f", [], { blocks: ["a"] }), 'blocks "a", which is already done'],
    ["blocks on a running task", task("f", [], { blocks: ["d"] }), 'blocks "d", which is already running'],
    ["a cycle closed through blocks", task("f", ["c"], { blocks: ["b"] }), "would close the cycle b → f → c → b"],
    [
      "a cycle with a task it both needs and blocks",
      task("f", ["b"], { blocks: ["b"] }),
      "would close the cycle b → f → b",
    ],
  ])("rejects %s with the reason and leaves the board unchanged", (_name, spec, reason) => {
    const board = running3();
    expect(addTasks(board, [spec], options)).toEqual({ accepted: [], rejected: [{ id: spec.id, reason }] });
    expect(board.changes()).toEqual({});
  });

  it("joins every reason of a rejection", () => {
    const board = running3();
    const spec = task("f", ["ghost"], { worker: "poet", blocks: ["a", "nope"] });
    expect(addTasks(board, [spec], options).rejected).toEqual([
      {
        id: "f",
        reason:
          'Task "f" names unknown worker "poet"; use one of: echo, writer.; Task "f" depends on "ghost", which is not a task in the plan.; ' +
          'blocks "a", which is already done; blocks unknown task "nope"',
      },
    ]);
  });

  it("counts the tasks already in the run against maxTasks, one added task at a time", () => {
    const board = running3();
    const added = addTasks(board, [task("f"), task("g")], { ...options, maxTasks: 5 });
    expect(added).toEqual({
      accepted: ["f"],
      rejected: [{ id: "g", reason: "6 tasks exceed maxTasks=5; merge or drop 1." }],
    });
    expect(Object.keys(board.changes())).toEqual(["f"]);
  });

  it("validates each task against those accepted before it", () => {
    const board = running3();
    const added = addTasks(board, [task("f"), task("g", ["f"]), task("f", ["g"])], options);
    expect(added).toEqual({
      accepted: ["f", "g"],
      rejected: [{ id: "f", reason: 'Task id "f" is used more than once.' }],
    });
    expect(board.get("g")).toEqual(expect.objectContaining({ dependsOn: ["f"], order: 5 }));
  });
});

describe("accepting follow-ups", () => {
  it("adds valid follow-ups at their proposer's depth, emits task.follow_up for each and notes the rejected ones", () => {
    const [a, b, c] = records(task("a"), task("b"), task("c", ["a"]));
    const proposer = as(a, { status: "running", depth: 1 });
    const board = boardOf(done(proposer), done(b), c!);
    const round = roundOf({ settings: { maxTasks: 10 } });
    const absorbed: Absorbed = {
      finished: 2,
      dead: [],
      followUps: [
        { from: proposer, spec: task("f", ["a"], { blocks: ["c"] }) },
        { from: done(b), spec: task("g", [], { blocks: ["ghost"] }) },
        { from: done(b), spec: task("h", [], { worker: "writer" }) },
      ],
      notes: [],
    };
    acceptFollowUps(round, board, absorbed);
    expect(round.events).toEqual([
      { type: "task.follow_up", taskId: "f", worker: "echo", from: "a", accepted: true },
      {
        type: "task.follow_up",
        taskId: "g",
        worker: "echo",
        from: "b",
        accepted: false,
        reason: 'blocks unknown task "ghost"',
      },
      { type: "task.follow_up", taskId: "h", worker: "writer", from: "b", accepted: true },
    ]);
    expect(round.notes).toEqual(['Follow-up "g" proposed by "b" was rejected: blocks unknown task "ghost".']);
    expect(board.get("f")).toEqual(
      expect.objectContaining({ origin: "follow-up", depth: 1, order: 3, status: "pending" }),
    );
    expect(board.get("h")).toEqual(expect.objectContaining({ origin: "follow-up", depth: 0, order: 4 }));
    expect(board.get("c")!.dependsOn).toEqual(["a", "f"]);
    expect(board.get("g")).toBeUndefined();
  });

  it("makes every pending task of the workers a follow-up names in blocksWorkers wait for it, and notes those it came too late for", () => {
    const [a, w1, w2, e, late] = records(
      task("a"),
      task("w1", ["a"], { worker: "writer" }),
      task("w2", [], { worker: "writer" }),
      task("e", ["a"]),
      task("late", [], { worker: "writer" }),
    );
    const board = boardOf(done(a), w1!, w2!, e!, done(late));
    const round = roundOf({ settings: { maxTasks: 10 } });
    const followUps = [
      { from: done(a), spec: task("f", ["a"], { blocksWorkers: ["writer"] }) },
      { from: done(a), spec: task("g", ["a"], { blocksWorkers: ["ghost_worker"] }) },
    ];
    acceptFollowUps(round, board, { finished: 1, dead: [], followUps, notes: [] });
    expect(board.get("w1")!.dependsOn).toEqual(["a", "f"]);
    expect(board.get("w2")!.dependsOn).toEqual(["f"]);
    expect(board.get("e")!.dependsOn).toEqual(["a"]);
    expect(board.get("late")!.dependsOn).toEqual([]);
    expect(board.get("f")).not.toHaveProperty("blocksWorkers");
    expect(board.get("g")).toBeUndefined();
    expect(round.notes).toEqual([
      'Follow-up "f" could not hold back "late" (writer): it is already done.',
      'Follow-up "g" proposed by "a" was rejected: blocks the tasks of unknown worker "ghost_worker".',
    ]);
  });

  it("rejects follow-ups beyond the run's maxTasks", () => {
    const [a] = records(task("a"));
    const board = boardOf(done(a));
    const round = roundOf({ settings: { maxTasks: 1 } });
    acceptFollowUps(round, board, {
      finished: 1,
      dead: [],
      followUps: [{ from: done(a), spec: task("f") }],
      notes: [],
    });
    expect(round.events).toEqual([
      {
        type: "task.follow_up",
        taskId: "f",
        worker: "echo",
        from: "a",
        accepted: false,
        reason: "2 tasks exceed maxTasks=1; merge or drop 1.",
      },
    ]);
    expect(board.size).toBe(1);
    expect(round.notes).toEqual([
      'Follow-up "f" proposed by "a" was rejected: 2 tasks exceed maxTasks=1; merge or drop 1.',
    ]);
  });
});

describe("deciding whether to replan", () => {
  it.each<[string, SettingsInput, boolean, Absorbed, number, boolean]>([
    ["asks on failure when a task died", { replan: "on-failure" }, true, absorbedOf(2, 1), 0, true],
    ["does not ask on failure when every task succeeded", { replan: "on-failure" }, true, absorbedOf(2, 0), 0, false],
    ["asks after every wave that finished a task", { replan: "after-wave" }, true, absorbedOf(1, 0), 0, true],
    ["does not ask after a wave in which no task finished", { replan: "after-wave" }, true, absorbedOf(0, 0), 0, false],
    ["never asks with replan never, even after a dead task", { replan: "never" }, true, absorbedOf(1, 1), 0, false],
    [
      "stops asking once maxReplans is reached",
      { replan: "after-wave", maxReplans: 2 },
      true,
      absorbedOf(1, 1),
      2,
      false,
    ],
    [
      "still asks one replan below maxReplans",
      { replan: "after-wave", maxReplans: 2 },
      true,
      absorbedOf(1, 0),
      1,
      true,
    ],
    ["never asks with maxReplans 0", { replan: "on-failure", maxReplans: 0 }, true, absorbedOf(1, 1), 0, false],
    ["never asks without a configured model", { replan: "after-wave" }, false, absorbedOf(1, 1), 0, false],
  ])("%s", (_name, settings, configured, absorbed, replans, expected) => {
    const round = roundOf({ settings, models: configured ? configuredButUnused : unconfigured });
    expect(shouldReplan(round, absorbed, replans)).toBe(expected);
  });
});

describe("applying a replan", () => {
  const planned = () => {
    const [a, b, c, r] = records(task("a"), task("b", ["a"]), task("c"), task("r"));
    return boardOf(done(a), b!, c!, running(r));
  };
  const decision = (changes: Partial<Parameters<typeof applyReplan>[2]>) => ({
    revise: true,
    reason: "the plan misses a check",
    addTasks: [],
    cancelTaskIds: [],
    usage: ZERO_USAGE,
    ...changes,
  });

  it("keeps the plan with a note and no event when the planner does not revise", () => {
    const board = planned();
    const round = roundOf();
    applyReplan(
      round,
      board,
      decision({ revise: false, reason: "all good", cancelTaskIds: ["b"], addTasks: [task("x")] }),
    );
    expect(round.notes).toEqual(["The planner kept the plan: all good"]);
    expect(round.events).toEqual([]);
    expect(board.changes()).toEqual({});
  });

  it("cancels only pending tasks, adds validated tasks and announces both with plan.replanned", () => {
    const board = planned();
    const before = board.get("b");
    const round = roundOf();
    applyReplan(
      round,
      board,
      decision({
        cancelTaskIds: ["b", "a", "r", "ghost"],
        addTasks: [task("x", ["a"], { worker: "writer" }), task("y", [], { blocks: ["ghost"] })],
      }),
    );
    const reason = "cancelled by replan: the plan misses a check";
    expect(board.changes()).toEqual({
      b: as(before, { status: "skipped", reason }),
      x: toRecords([task("x", ["a"], { worker: "writer" })], "replan", 4)[0]!,
    });
    expect(round.events).toEqual([
      { type: "task.skipped", taskId: "b", worker: "echo", reason },
      { type: "plan.replanned", reason: "the plan misses a check", added: ["x"], cancelled: ["b"] },
    ]);
    expect(round.notes).toEqual([
      'Replanned task "y" was rejected: blocks unknown task "ghost".',
      "Replanned: the plan misses a check",
    ]);
  });

  it("cancels before adding, so an added task cannot block a task it cancelled", () => {
    const board = planned();
    const round = roundOf();
    applyReplan(round, board, decision({ cancelTaskIds: ["b"], addTasks: [task("x", [], { blocks: ["b"] })] }));
    expect(round.notes).toEqual([
      'Replanned task "x" was rejected: blocks "b", which is already skipped.',
      "Replanned: the plan misses a check",
    ]);
    expect(round.events.at(-1)).toEqual({
      type: "plan.replanned",
      reason: "the plan misses a check",
      added: [],
      cancelled: ["b"],
    });
  });
});
