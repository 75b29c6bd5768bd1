/**
 * Absorbing a wave's results: done, dead and skipped tasks, completed parents, merged dead letters and skips of what can no longer run.
 */
import { describe, expect, it } from "vitest";
import { absorbResults, completeParents, mergeDeadLetters } from "../../src/orchestration/results.js";
import { propagateSkips, skipBlocked, skipPending } from "../../src/orchestration/skips.js";
import { toRecords } from "../../src/orchestration/task-board.js";
import type { DeadLetter, TaskRecord, TaskSpec } from "../../src/schemas.js";
import { task } from "../helpers/fixtures.js";
import {
  as,
  attempt,
  boardOf,
  failed,
  recorder,
  records,
  result,
  table,
  running,
  done,
  usage,
} from "../helpers/boards.js";

const ids = (tasks: readonly { id: string }[]) => tasks.map((t) => t.id);

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
