/**
 * The orchestrator's per-round decisions, one pure function at a time: the task board, absorbing results,
 * completing parents, skips, follow-ups, replans, budgets, dispatch and the first plan.
 */
import { describe, expect, it } from "vitest";
import { PlanValidationError } from "../../src/errors.js";
import { hasRunBudget } from "../../src/budget/budgets.js";
import { dispatchPool, dispatchReady, scheduleNext } from "../../src/orchestration/dispatch.js";
import { acceptFollowUps, addTasks } from "../../src/orchestration/follow-ups.js";
import { adoptPlan, choosePlan, singleTaskPlan } from "../../src/orchestration/initial-plan.js";
import { applyReplan, shouldReplan } from "../../src/orchestration/replans.js";
import { absorbResults, completeParents, mergeDeadLetters, type Absorbed } from "../../src/orchestration/results.js";
import { redriveUpdate } from "../../src/orchestration/redrive.js";
import { openRound } from "../../src/orchestration/round.js";
import { propagateSkips, skipBlocked, skipPending } from "../../src/orchestration/skips.js";
import { byPriority, ranksOf, readyTasks, TaskBoard, toRecords } from "../../src/orchestration/task-board.js";
import type { DeadLetter, TaskRecord, TaskSpec } from "../../src/schemas.js";
import { parseSettings, type SettingsInput } from "../../src/settings.js";
import type { State } from "../../src/state.js";
import { budgetExceeded } from "../../src/budget/budgets.js";
import { ZERO_USAGE } from "../../src/budget/usage.js";
import { RunMeter } from "../../src/budget/meter.js";
import { planReply, task } from "../helpers/fixtures.js";
import { estimateTokens, scriptedProvider, type Responder } from "../helpers/scripted-model.js";
import {
  as,
  attempt,
  boardOf,
  configuredButUnused,
  failed,
  recorder,
  records,
  registryOf,
  result,
  roundOf,
  stateOf,
  table,
  unconfigured,
} from "../helpers/boards.js";

const ids = (tasks: readonly { id: string }[]) => tasks.map((t) => t.id);
const running = (record: TaskRecord | undefined, dispatches = 1) => as(record, { status: "running", dispatches });
const done = (record: TaskRecord | undefined) => as(record, { status: "done" });
const usage = (totalTokens: number, modelCalls: number) => ({
  inputTokens: totalTokens,
  outputTokens: 0,
  totalTokens,
  modelCalls,
});
const absorbedOf = (finished: number, dead: number): Absorbed => ({
  finished,
  dead: Array.from({ length: dead }, (_, i) => ({ taskId: `d${i}` }) as DeadLetter),
  followUps: [],
  notes: [],
});

describe("the task board", () => {
  it("works on its own copy of the table and reports only the records put in this round", () => {
    const [a, b] = records(task("a"), task("b"));
    const original = table(a!, b!);
    const board = new TaskBoard(original);
    board.put(running(a));
    expect(original.a).toBe(a);
    expect(board.get("a")).toEqual(running(a));
    expect(board.changes()).toEqual({ a: running(a) });
    expect(board.size).toBe(2);
    expect(board.nextOrder()).toBe(2);
  });

  it("turns specs into pending records without their blocks edges, numbered from the first order", () => {
    const specs = [task("a", [], { blocks: ["x"] }), task("b", ["a"], { estimatedCost: 3, complex: true })];
    expect(toRecords(specs, "expansion", 5, { depth: 2, parent: "p" })).toEqual([
      {
        id: "a",
        title: "Task a",
        description: "Do a",
        worker: "echo",
        dependsOn: [],
        expectedOutput: "",
        estimatedCost: 1,
        complex: false,
        status: "pending",
        origin: "expansion",
        order: 5,
        depth: 2,
        parent: "p",
        attempts: 0,
        dispatches: 0,
      },
      {
        id: "b",
        title: "Task b",
        description: "Do b",
        worker: "echo",
        dependsOn: ["a"],
        expectedOutput: "",
        estimatedCost: 3,
        complex: true,
        status: "pending",
        origin: "expansion",
        order: 6,
        depth: 2,
        parent: "p",
        attempts: 0,
        dispatches: 0,
      },
    ]);
    expect(toRecords([task("c")], "plan", 0)[0]).not.toHaveProperty("parent");
    expect(toRecords([task("c")], "plan", 0)[0]).not.toHaveProperty("blocks");
  });

  it("never treats a task with a dependency on an unknown id as ready", () => {
    const [a, b] = records(task("a"), task("b", ["ghost"]));
    expect(ids(readyTasks(table(a!, b!)))).toEqual(["a"]);
  });

  it("ranks by cost-weighted distance to a sink over the whole table, done tasks included", () => {
    const [a, b, c, d] = records(
      task("a"),
      task("b", ["a"], { estimatedCost: 4 }),
      task("c", [], { estimatedCost: 5 }),
      task("d", ["c"]),
    );
    expect(Object.fromEntries(ranksOf(table(done(a), b!, done(c), d!)))).toEqual({ a: 5, b: 4, c: 6, d: 1 });
  });

  it("orders the highest rank first and breaks ties by plan order", () => {
    const [a, b, c, d] = records(
      task("a"),
      task("b", [], { estimatedCost: 2 }),
      task("c", [], { estimatedCost: 2 }),
      task("d", [], { estimatedCost: 3 }),
    );
    const tasks = table(a!, b!, c!, d!);
    expect(ids(Object.values(tasks).sort(byPriority(ranksOf(tasks))))).toEqual(["d", "b", "c", "a"]);
  });
});

describe("absorbing a wave's results", () => {
  it("marks a task done, adds the result's attempts to its count and collects its follow-ups", () => {
    const [a] = records(task("a"));
    const sent = as(a, { status: "running", dispatches: 2, attempts: 3, reason: "worker: earlier failure" });
    const followUp = task("f", ["a"]);
    const board = boardOf(sent);
    const { events, emit } = recorder();
    const absorbed = absorbResults(board, { a: result("a", { dispatch: 2, followUps: [followUp] }) }, emit);
    expect(board.changes()).toEqual({ a: as(sent, { status: "done", attempts: 4, reason: undefined }) });
    expect(absorbed).toEqual({ finished: 1, dead: [], followUps: [{ from: sent, spec: followUp }], notes: [] });
    expect(events).toEqual([]);
  });

  it("dead-letters a failed task with its error and attempts, and emits task.dead", () => {
    const [a] = records(task("a", [], { expectedOutput: "a list" }));
    const board = boardOf(running(a));
    const { events, emit } = recorder();
    const before = Date.now();
    const absorbed = absorbResults(board, { a: failed("a", "boom") }, emit);
    const error = { kind: "worker", message: "boom", retryable: false };
    expect(board.changes()).toEqual({ a: as(running(a), { status: "dead", attempts: 2, reason: "worker: boom" }) });
    expect(absorbed).toEqual({
      finished: 1,
      followUps: [],
      notes: [],
      dead: [
        {
          taskId: "a",
          task: {
            id: "a",
            title: "Task a",
            description: "Do a",
            worker: "echo",
            dependsOn: [],
            expectedOutput: "a list",
            estimatedCost: 1,
            complex: false,
          },
          error,
          attempts: [attempt(1, false), attempt(2, false)],
          at: expect.any(String),
        },
      ],
    });
    expect(Date.parse(absorbed.dead[0]!.at)).toBeGreaterThanOrEqual(before - 1);
    expect(events).toEqual([{ type: "task.dead", taskId: "a", worker: "echo", attempts: 2, error }]);
  });

  it("gives a failed result without an error a generic worker error", () => {
    const [a] = records(task("a"));
    const board = boardOf(running(a));
    const { events, emit } = recorder();
    const absorbed = absorbResults(board, { a: failed("a", "x", { error: undefined }) }, emit);
    const error = { kind: "worker", message: "failed without an error", retryable: false };
    expect(board.get("a")!.reason).toBe("worker: failed without an error");
    expect(absorbed.dead[0]!.error).toEqual(error);
    expect(events).toEqual([{ type: "task.dead", taskId: "a", worker: "echo", attempts: 2, error }]);
  });

  it("puts a running task back to pending when its result is missing or answers an older dispatch", () => {
    const [a, b] = records(task("a"), task("b"));
    const board = boardOf(as(a, { status: "running", dispatches: 2, attempts: 1 }), running(b));
    const { events, emit } = recorder();
    const absorbed = absorbResults(board, { a: result("a", { dispatch: 1 }) }, emit);
    expect(board.changes()).toEqual({
      a: as(a, { status: "pending", dispatches: 2, attempts: 1 }),
      b: as(b, { status: "pending", dispatches: 1 }),
    });
    expect(absorbed).toEqual({ finished: 0, dead: [], followUps: [], notes: [] });
    expect(events).toEqual([]);
  });

  it("adopts a clarified description, in the done record and in a dead letter alike", () => {
    const [a, b] = records(task("a"), task("b"));
    const board = boardOf(running(a), running(b));
    const { emit } = recorder();
    const absorbed = absorbResults(
      board,
      {
        a: result("a", { clarifiedDescription: "Do a, in French" }),
        b: failed("b", "boom", { clarifiedDescription: "Do b, in detail" }),
      },
      emit,
    );
    expect(board.get("a")).toEqual(
      as(running(a), { status: "done", attempts: 1, description: "Do a, in French", reason: undefined }),
    );
    expect(board.get("b")!.description).toBe("Do b, in detail");
    expect(absorbed.dead[0]!.task.description).toBe("Do b, in detail");
  });

  it("ignores tasks that are not running and expanded parents, whatever results exist for them", () => {
    const [a, b, p] = records(task("a"), task("b"), task("p"));
    const board = boardOf(a!, done(b), as(p, { status: "running", dispatches: 1, children: ["p.x"] }));
    const { events, emit } = recorder();
    const absorbed = absorbResults(board, { a: failed("a"), b: failed("b"), p: result("p") }, emit);
    expect(board.changes()).toEqual({});
    expect(absorbed).toEqual({ finished: 0, dead: [], followUps: [], notes: [] });
    expect(events).toEqual([]);
  });
});

describe("completing expanded parents", () => {
  const parentWith = (...children: TaskRecord[]) => {
    const [p] = records(task("p", [], { worker: "writer" }));
    const parent = as(p, { status: "running", children: ids(children), dependsOn: ids(children) });
    return { parent, board: boardOf(parent, ...children) };
  };
  const subtasks = (...specs: TaskSpec[]) => toRecords(specs, "expansion", 1, { depth: 1, parent: "p" });

  it("completes a parent whose subtasks are all done, joining their outputs under their titles", () => {
    const [x, y] = subtasks(task("p.x"), task("p.y", ["p.x"]));
    const { parent, board } = parentWith(done(x), done(y));
    const { events, emit } = recorder();
    const results = { "p.x": result("p.x", { usage: usage(10, 1) }), "p.y": result("p.y", { usage: usage(5, 2) }) };
    const written = completeParents(board, results, emit);
    const total = { inputTokens: 15, outputTokens: 0, totalTokens: 15, modelCalls: 3 };
    expect(written).toEqual({
      p: {
        taskId: "p",
        worker: "writer",
        dispatch: 0,
        status: "done",
        output: "## Task p.x\np.x out\n\n## Task p.y\np.y out",
        attempts: [],
        startedAt: expect.any(String),
        durationMs: 0,
        usage: total,
        followUps: [],
      },
    });
    expect(board.changes()).toEqual({ p: as(parent, { status: "done" }) });
    expect(events).toEqual([
      { type: "task.done", taskId: "p", worker: "writer", attempts: 0, durationMs: 0, usage: total },
    ]);
  });

  it("skips a parent when a subtask is dead or skipped, naming the first such subtask", () => {
    const [x, y, z] = subtasks(task("p.x"), task("p.y"), task("p.z"));
    const { parent, board } = parentWith(done(x), as(y, { status: "dead" }), as(z, { status: "skipped" }));
    const { events, emit } = recorder();
    expect(completeParents(board, { "p.x": result("p.x") }, emit)).toEqual({});
    expect(board.changes()).toEqual({
      p: as(parent, { status: "skipped", reason: 'subtask "p.y" is dead', blockedBy: "p.y" }),
    });
    expect(events).toEqual([{ type: "task.skipped", taskId: "p", worker: "writer", reason: 'subtask "p.y" is dead' }]);
  });

  it("leaves a parent running while any subtask is pending or running", () => {
    const [x, y] = subtasks(task("p.x"), task("p.y"));
    for (const open of [x!, running(x)]) {
      const { board } = parentWith(open, done(y));
      const { events, emit } = recorder();
      expect(completeParents(board, { "p.y": result("p.y") }, emit)).toEqual({});
      expect(board.changes()).toEqual({});
      expect(events).toEqual([]);
    }
  });

  it("completes nested parents in one call, the inner parent's result feeding the outer one", () => {
    const [p, q, leaf] = records(task("p"), task("p.q"), task("p.q.a"));
    const outer = as(p, { status: "running", children: ["p.q"], dependsOn: ["p.q"] });
    const inner = as(q, { status: "running", children: ["p.q.a"], dependsOn: ["p.q.a"], depth: 1, parent: "p" });
    const board = boardOf(outer, inner, done(leaf));
    const { events, emit } = recorder();
    const written = completeParents(board, { "p.q.a": result("p.q.a") }, emit);
    expect(Object.keys(written)).toEqual(["p.q", "p"]);
    expect(written["p.q"]!.output).toBe("## Task p.q.a\np.q.a out");
    expect(written.p!.output).toBe("## Task p.q\n## Task p.q.a\np.q.a out");
    expect(board.get("p")!.status).toBe("done");
    expect(events.map((event) => [event.type, "taskId" in event ? event.taskId : ""])).toEqual([
      ["task.done", "p.q"],
      ["task.done", "p"],
    ]);
  });
});

describe("merging dead letters", () => {
  it("replaces an older dead letter of the same task and appends new ones", () => {
    const letter = (taskId: string, message: string) => ({
      ...failedLetter(taskId),
      error: { kind: "worker" as const, message, retryable: false },
    });
    const merged = mergeDeadLetters(
      [letter("a", "first"), letter("b", "first")],
      [letter("a", "again"), letter("c", "first")],
    );
    expect(merged.map((d) => [d.taskId, d.error.message])).toEqual([
      ["b", "first"],
      ["a", "again"],
      ["c", "first"],
    ]);
  });
});

function failedLetter(taskId: string): DeadLetter {
  const [record] = records(task(taskId));
  return absorbResults(boardOf(running(record)), { [taskId]: failed(taskId) }, recorder().emit).dead[0]!;
}

describe("skipping what can no longer run", () => {
  it("skips dependents of a dead task transitively, whatever their order in the plan, and emits one task.skipped each", () => {
    const [late, mid, dead, other] = records(task("late", ["mid"]), task("mid", ["dead"]), task("dead"), task("other"));
    const board = boardOf(late!, mid!, as(dead, { status: "dead" }), other!);
    const { events, emit } = recorder();
    expect(skipBlocked(board, emit)).toBe(2);
    expect(board.changes()).toEqual({
      mid: as(mid, { status: "skipped", reason: 'dependency "dead" was dead-lettered', blockedBy: "dead" }),
      late: as(late, { status: "skipped", reason: 'dependency "mid" was skipped', blockedBy: "mid" }),
    });
    expect(events).toEqual([
      { type: "task.skipped", taskId: "mid", worker: "echo", reason: 'dependency "dead" was dead-lettered' },
      { type: "task.skipped", taskId: "late", worker: "echo", reason: 'dependency "mid" was skipped' },
    ]);
  });

  it("names the first dead or skipped dependency in dependsOn order", () => {
    const [a, b, c, d] = records(task("a"), task("b"), task("c"), task("d", ["a", "b", "c"]));
    const skipped = propagateSkips(table(done(a), as(b, { status: "skipped" }), as(c, { status: "dead" }), d!));
    expect(skipped).toEqual({ d: as(d, { status: "skipped", reason: 'dependency "b" was skipped', blockedBy: "b" }) });
  });

  it("touches only pending tasks and returns nothing when no dependency failed", () => {
    const [a, b, c] = records(task("a"), task("b", ["a"]), task("c", ["b"]));
    expect(propagateSkips(table(as(a, { status: "dead" }), done(b), c!))).toEqual({});
    const board = boardOf(done(a), b!, c!);
    const { events, emit } = recorder();
    expect(skipBlocked(board, emit)).toBe(0);
    expect(board.changes()).toEqual({});
    expect(events).toEqual([]);
  });

  it("skips every pending task with the given reason, leaving the others alone", () => {
    const [a, b, c, d] = records(task("a"), task("b"), task("c", ["a"]), task("d"));
    const board = boardOf(running(a), b!, c!, done(d));
    const { events, emit } = recorder();
    expect(skipPending(board, "run budget reached", emit)).toEqual(["b", "c"]);
    expect(board.changes()).toEqual({
      b: as(b, { status: "skipped", reason: "run budget reached" }),
      c: as(c, { status: "skipped", reason: "run budget reached" }),
    });
    expect(events).toEqual([
      { type: "task.skipped", taskId: "b", worker: "echo", reason: "run budget reached" },
      { type: "task.skipped", taskId: "c", worker: "echo", reason: "run budget reached" },
    ]);
  });
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

describe("choosing the first plan", () => {
  const planner = (...replies: Parameters<typeof planReply>[0][]): Responder => {
    let call = 0;
    return () => planReply(replies[Math.min(call++, replies.length - 1)]!);
  };
  const promptTokens = (provider: ReturnType<typeof scriptedProvider>) =>
    provider.calls.reduce(
      (sum, call) => sum + estimateTokens(call.messages.reduce((chars, m) => chars + (m.content as string).length, 0)),
      0,
    );
  const plan = (...specs: TaskSpec[]) => ({ tasks: specs }) as NonNullable<State["plan"]>;

  it("runs the caller's plan as it is, without asking the planner", async () => {
    const round = roundOf({ state: { plan: plan(task("a"), task("b", ["a"])) }, models: configuredButUnused });
    expect(await choosePlan(round)).toEqual({
      kind: "plan",
      specs: [task("a"), task("b", ["a"])],
      source: "input",
      usage: ZERO_USAGE,
    });
    expect(round.notes).toEqual([]);
  });

  it("accepts a caller's plan whose only problem is a cycle: adopting it breaks the cycle", async () => {
    const round = roundOf({ state: { plan: plan(task("a", ["b"]), task("b", ["a"])) } });
    expect(await choosePlan(round)).toEqual({
      kind: "plan",
      specs: [task("a", ["b"]), task("b", ["a"])],
      source: "input",
      usage: ZERO_USAGE,
    });
  });

  it("throws a PlanValidationError naming every fatal issue of the caller's plan", async () => {
    const round = roundOf({
      state: { plan: plan(task("a", [], { worker: "poet" }), task("b", ["ghost"])) },
      settings: { maxTasks: 1 },
    });
    const error = await choosePlan(round).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PlanValidationError);
    expect((error as PlanValidationError).issues).toEqual([
      "2 tasks exceed maxTasks=1; merge or drop 1.",
      'Task "a" names unknown worker "poet"; use one of: echo, writer.',
      'Task "b" depends on "ghost", which is not a task in the plan.',
    ]);
    expect((error as Error).message).toBe(
      "Invalid input plan:\n" +
        "  - 2 tasks exceed maxTasks=1; merge or drop 1.\n" +
        '  - Task "a" names unknown worker "poet"; use one of: echo, writer.\n' +
        '  - Task "b" depends on "ghost", which is not a task in the plan.',
    );
  });

  it("prefers the caller's plan over its fallback plan and the planner", async () => {
    const round = roundOf({
      state: { plan: plan(task("a")), fallbackPlan: plan(task("f")) },
      models: configuredButUnused,
    });
    expect(await choosePlan(round)).toEqual({ kind: "plan", specs: [task("a")], source: "input", usage: ZERO_USAGE });
    expect(round.notes).toEqual([]);
  });

  it("takes the planner's plan, with its usage, when a model is configured", async () => {
    const models = scriptedProvider({ planner: planner([task("a"), task("b", ["a"])]) });
    const round = roundOf({ models, state: { fallbackPlan: plan(task("f")) } });
    const chosen = await choosePlan(round);
    const inputTokens = promptTokens(models);
    expect(chosen).toEqual({
      kind: "plan",
      specs: [task("a"), task("b", ["a"])],
      source: "planner",
      usage: { inputTokens, outputTokens: expect.any(Number), totalTokens: expect.any(Number), modelCalls: 1 },
    });
    expect(chosen.usage.totalTokens).toBe(inputTokens + chosen.usage.outputTokens);
    expect(models.callsOf("planner")).toHaveLength(1);
    expect(round.notes).toEqual([]);
  });

  it("notes how many repairs the planner's plan needed", async () => {
    const models = scriptedProvider({ planner: planner([task("a", ["ghost"])], [task("a")]) });
    const round = roundOf({ models, settings: { planRepairs: 2 } });
    const chosen = await choosePlan(round);
    expect(chosen).toEqual(expect.objectContaining({ kind: "plan", specs: [task("a")], source: "planner" }));
    expect(chosen.usage.modelCalls).toBe(2);
    expect(round.notes).toEqual(["The plan was repaired 1 time(s) before it validated."]);
  });

  it("runs the caller's fallback plan when planning fails", async () => {
    const models = scriptedProvider({ planner: planner([task("a", ["ghost"])]) });
    const round = roundOf({
      models,
      settings: { planRepairs: 0, humanFallback: true },
      state: { fallbackPlan: plan(task("f")) },
    });
    const chosen = await choosePlan(round);
    expect(chosen).toEqual(expect.objectContaining({ kind: "plan", specs: [task("f")], source: "caller-fallback" }));
    expect(chosen.usage.modelCalls).toBe(1);
    expect(round.notes).toEqual([
      'Planning failed (Task "a" depends on "ghost", which is not a task in the plan.); the caller\'s fallback plan runs instead.',
    ]);
  });

  it("runs the caller's fallback plan without a configured model, never creating one", async () => {
    const round = roundOf({ state: { fallbackPlan: plan(task("f", [], { worker: "writer" })) } });
    expect(await choosePlan(round)).toEqual({
      kind: "plan",
      specs: [task("f", [], { worker: "writer" })],
      source: "caller-fallback",
      usage: ZERO_USAGE,
    });
    expect(round.notes).toEqual([
      "Planning failed (no model is configured for the planner); the caller's fallback plan runs instead.",
    ]);
  });

  it("asks a human for a breakdown when planning fails, the fallback plan is invalid and humanFallback is on", async () => {
    const models = scriptedProvider({ planner: planner([task("a", ["ghost"], { blocks: [] })]) });
    const round = roundOf({
      models,
      settings: { planRepairs: 0, humanFallback: true },
      state: { fallbackPlan: plan(task("f", [], { worker: "poet" })) },
    });
    const chosen = await choosePlan(round);
    const { blocks: _b, ...draft } = task("a", ["ghost"]);
    const errors = ['Task "a" depends on "ghost", which is not a task in the plan.'];
    expect(chosen).toEqual({
      kind: "human",
      request: { kind: "manual_breakdown", goal: "the goal", tasks: [draft], errors },
      usage: expect.objectContaining({ modelCalls: 1 }),
    });
    expect(round.notes).toEqual([`Planning failed (${errors[0]}); waiting for a human breakdown.`]);
  });

  it("runs the goal as a single task of the default worker when nothing better exists", async () => {
    const round = roundOf({ registry: registryOf("writer", "echo"), state: { goal: "write a haiku" } });
    expect(await choosePlan(round)).toEqual({
      kind: "plan",
      specs: [
        {
          id: "goal",
          title: "write a haiku",
          description: "write a haiku",
          worker: "writer",
          dependsOn: [],
          expectedOutput: "",
          estimatedCost: 1,
          complex: false,
        },
      ],
      source: "single-task",
      usage: ZERO_USAGE,
    });
    expect(round.notes).toEqual([
      "Planning failed (no model is configured for the planner); the goal runs as a single task.",
    ]);
  });

  it("shortens a long goal to 80 characters for the single task's title, keeping it whole in the description", () => {
    const goal = "x".repeat(81);
    const [spec] = singleTaskPlan(goal, "echo");
    expect(spec!.title).toBe(`${"x".repeat(77)}…`);
    expect(spec!.title).toHaveLength(78);
    expect(spec!.description).toBe(goal);
    expect(singleTaskPlan("y".repeat(80), "echo")[0]!.title).toBe("y".repeat(80));
  });
});

describe("adopting a plan", () => {
  it("breaks cycles, notes each dropped edge, emits plan.created and returns the table of pending records", () => {
    const { events, emit } = recorder();
    const notes: string[] = [];
    const specs = [task("a", ["b"]), task("b", ["a"]), task("c", ["c", "a"], { worker: "writer" })];
    const adopted = adoptPlan(specs, "planner", emit, notes);
    const acyclic = [task("a", ["b"]), task("b", []), task("c", ["a"], { worker: "writer" })];
    expect(adopted).toEqual({
      tasks: acyclic,
      table: Object.fromEntries(toRecords(acyclic, "plan", 0).map((record) => [record.id, record])),
      dropped: [
        { task: "b", dependsOn: "a", cycle: ["a", "b", "a"] },
        { task: "c", dependsOn: "c", cycle: ["c", "c"] },
      ],
    });
    expect(notes).toEqual([
      "Dropped dependency b → a to break the cycle a → b → a.",
      "Dropped dependency c → c to break the cycle c → c.",
    ]);
    expect(events).toEqual([
      {
        type: "plan.created",
        source: "planner",
        tasks: [
          { id: "a", title: "Task a", worker: "echo", dependsOn: ["b"] },
          { id: "b", title: "Task b", worker: "echo", dependsOn: [] },
          { id: "c", title: "Task c", worker: "writer", dependsOn: ["a"] },
        ],
      },
    ]);
  });

  it("adopts an acyclic plan unchanged, without notes", () => {
    const { events, emit } = recorder();
    const notes: string[] = [];
    const adopted = adoptPlan([task("a"), task("b", ["a"])], "input", emit, notes);
    expect(adopted.tasks).toEqual([task("a"), task("b", ["a"])]);
    expect(adopted.dropped).toEqual([]);
    expect(Object.values(adopted.table).map((r) => [r.id, r.status, r.origin, r.order])).toEqual([
      ["a", "pending", "plan", 0],
      ["b", "pending", "plan", 1],
    ]);
    expect(notes).toEqual([]);
    expect(events.map((e) => e.type)).toEqual(["plan.created"]);
  });
});

describe("opening a round", () => {
  it("resolves the run's settings over the defaults, stamps events onto the stream and creates the planner once, on first use", () => {
    const written: unknown[] = [];
    const created: string[] = [];
    const models = scriptedProvider({ planner: () => "unused" });
    const counting = {
      configured: true,
      create: (request: Parameters<typeof models.create>[0]) => (
        created.push(`${request.role}:${request.model}`), models.create(request)
      ),
    };
    const round = openRound(
      roundOf().state,
      {
        context: { maxParallel: 3 },
        configurable: { plannerModel: "planner-x" },
        writer: (chunk: unknown) => written.push(chunk),
      },
      { registry: registryOf("echo"), models: counting, settings: { maxParallel: 5, maxTasks: 7 } },
    );
    expect([round.settings.maxParallel, round.settings.maxTasks, round.settings.plannerModel]).toEqual([
      3,
      7,
      "planner-x",
    ]);
    expect(created).toEqual([]);
    expect(round.planner()).toBe(round.planner());
    expect(created).toEqual(["planner:planner-x"]);
    round.emit({ type: "task.queued", taskId: "a", worker: "echo", rank: 1 });
    expect(written).toEqual([{ type: "task.queued", taskId: "a", worker: "echo", rank: 1, ts: expect.any(String) }]);
  });
});

describe("re-driving dead letters", () => {
  it("clears a budget's stop reason in a form that survives the server's JSON transport", () => {
    const [a, b] = records(task("a"), task("b", ["a"]));
    const state = stateOf({
      tasks: table(
        as(a, { status: "dead" }),
        as(b, { status: "skipped", blockedBy: "a", reason: 'dependency "a" is dead' }),
      ),
      deadLetters: [{ taskId: "a" } as DeadLetter],
      stopReason: "run budget reached: 2 model calls made of 2",
    });
    const { update, requeued } = redriveUpdate(state, ["a"]);
    expect(requeued).toEqual(["a", "b"]);
    expect(JSON.parse(JSON.stringify(update))).toMatchObject({
      stopReason: null,
      deadLetters: [],
      tasks: { a: { status: "pending" }, b: { status: "pending" } },
    });
  });
});
