/**
 * The task board: its own copy of the table, the records it changed, turning specs into records.
 */
import { describe, expect, it } from "vitest";
import { byPriority, ranksOf, readyTasks, TaskBoard, toRecords } from "../../src/orchestration/task-board.js";
import { task } from "../helpers/fixtures.js";
import { records, table, running, done } from "../helpers/boards.js";

const ids = (tasks: readonly { id: string }[]) => tasks.map((t) => t.id);

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
