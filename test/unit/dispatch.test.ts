import { describe, expect, it } from "vitest";
import { selectDispatch, workerStepFor } from "../../src/orchestration/dispatch.js";
import { propagateSkips } from "../../src/orchestration/skips.js";
import { readyTasks, toRecords, type TaskTable } from "../../src/orchestration/task-board.js";
import { mergeResults, mergeTasks } from "../../src/state.js";
import type { TaskRecord, TaskResult } from "../../src/schemas.js";
import { task } from "../helpers/fixtures.js";

function table(...records: TaskRecord[]): TaskTable {
  return Object.fromEntries(records.map((record) => [record.id, record]));
}

const records = (...specs: Parameters<typeof toRecords>[0]) => toRecords(specs, "plan", 0);
const withStatus = (record: TaskRecord, status: TaskRecord["status"]): TaskRecord => ({ ...record, status });

function result(taskId: string, output: string): TaskResult {
  return {
    taskId,
    worker: "echo",
    dispatch: 1,
    status: "done",
    output,
    attempts: [],
    startedAt: "2026-01-01T00:00:00.000Z",
    durationMs: 1,
    usage: { inputTokens: 0, outputTokens: 0, totalTokens: 0, modelCalls: 0 },
    followUps: [],
  };
}

describe("ready tasks and dispatch order", () => {
  it("treats a task as ready only when every dependency is done", () => {
    const [a, b, c] = records(task("a"), task("b", ["a"]), task("c"));
    expect(readyTasks(table(a!, b!, c!)).map((t) => t.id)).toEqual(["a", "c"]);
    expect(readyTasks(table(withStatus(a!, "done"), b!, c!)).map((t) => t.id)).toEqual(["b", "c"]);
    expect(readyTasks(table(withStatus(a!, "running"), b!, c!)).map((t) => t.id)).toEqual(["c"]);
  });

  it("dispatches the highest critical-path rank first and breaks ties by plan order", () => {
    const cost = (estimatedCost: number) => ({ estimatedCost });
    const tasks = table(
      ...records(task("a", [], cost(1)), task("b", [], cost(3)), task("c", [], cost(2)), task("d", [], cost(3))),
    );
    expect(selectDispatch(tasks, 10).map((t) => t.id)).toEqual(["b", "d", "c", "a"]);
    const chain = table(...records(task("leaf", [], cost(2)), task("head"), task("tail", ["head"], cost(2))));
    expect(selectDispatch(chain, 10).map((t) => t.id)).toEqual(["head", "leaf"]);
  });

  it("never dispatches more than the capacity", () => {
    const tasks = table(...records(task("a"), task("b"), task("c")));
    expect(selectDispatch(tasks, 2).map((t) => t.id)).toEqual(["a", "b"]);
    expect(selectDispatch(tasks, 1).map((t) => t.id)).toEqual(["a"]);
    expect(selectDispatch(tasks, 0)).toEqual([]);
  });
});

describe("skip propagation", () => {
  it("skips dependents of a dead task transitively and names the blocker", () => {
    const [a, b, c, d] = records(task("a"), task("b", ["a"]), task("c", ["b"]), task("d"));
    const skipped = propagateSkips(table(withStatus(a!, "dead"), b!, c!, d!));
    expect(Object.values(skipped).map((t) => [t.id, t.status, t.reason])).toEqual([
      ["b", "skipped", 'dependency "a" was dead-lettered'],
      ["c", "skipped", 'dependency "b" was skipped'],
    ]);
  });

  it("leaves tasks with healthy dependencies alone", () => {
    const [a, b] = records(task("a"), task("b", ["a"]));
    expect(propagateSkips(table(withStatus(a!, "done"), b!))).toEqual({});
  });
});

describe("context routing", () => {
  it("gives a worker's step its task, only its dependencies' results, its dispatch and its rank", () => {
    const [a, b, c] = records(task("a"), task("b"), task("c", ["a"]));
    const tasks = table(withStatus(a!, "done"), withStatus(b!, "done"), { ...c!, dispatches: 1 });
    const step = workerStepFor(tasks.c!, tasks, { a: result("a", "A out"), b: result("b", "B out") }, 1);
    expect(step).toEqual({
      task: task("c", ["a"], { depth: 0 } as never),
      dependencies: { a: { title: "Task a", worker: "echo", output: "A out", data: undefined } },
      dispatch: 1,
      rank: 1,
    });
  });
});

describe("reducers", () => {
  it("mergeTasks replaces records by id and keeps the others", () => {
    const [a, b] = records(task("a"), task("b"));
    const merged = mergeTasks(table(a!, b!), [{ a: withStatus(a!, "done") }]);
    expect(merged.a!.status).toBe("done");
    expect(merged.b).toBe(b);
  });

  it("mergeResults folds parallel results and lets a re-run replace the older result", () => {
    const merged = mergeResults({}, [{ a: result("a", "1") }, { b: result("b", "2") }]);
    expect(Object.keys(merged)).toEqual(["a", "b"]);
    expect(mergeResults(merged, [{ a: result("a", "again") }]).a!.output).toBe("again");
  });

  it("mergeResults keeps the usage of a result that a later dispatch of its task replaces", () => {
    const spent = (totalTokens: number) => ({ inputTokens: 0, outputTokens: 0, totalTokens, modelCalls: 1 });
    const first = { ...result("a", "1"), usage: spent(10) };
    const second = { ...result("a", "2"), dispatch: 2, usage: spent(20) };
    const third = { ...result("a", "3"), dispatch: 3, usage: spent(40) };
    const merged = mergeResults({}, [{ a: first }, { a: second }, { a: third }]);
    expect(merged.a).toEqual({
      ...third,
      earlierUsage: { inputTokens: 0, outputTokens: 0, totalTokens: 30, modelCalls: 2 },
    });
    expect(mergeResults(mergeResults({ a: first }, [{ a: second }]), [{ a: third }])).toEqual(merged);
    // A rewrite of the same dispatch replaces it and keeps what came before.
    expect(mergeResults(merged, [{ a: { ...third, output: "3 again" } }]).a!.earlierUsage).toEqual(
      merged.a!.earlierUsage,
    );
  });

  it("gives the same state however the writes are batched, as delta channels require", () => {
    const writes: Record<string, TaskResult>[] = [
      { a: result("a", "1") },
      { b: result("b", "2") },
      { a: result("a", "3") },
    ];
    expect(mergeResults(mergeResults({}, writes.slice(0, 1)), writes.slice(1))).toEqual(mergeResults({}, writes));
    expect(mergeResults({}, writes).a!.output).toBe("3");
  });
});
