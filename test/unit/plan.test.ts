import { describe, expect, it } from "vitest";
import { breakCycles, findCycleBreaks } from "../../src/plan/cycles.js";
import { criticalPathRanks } from "../../src/plan/ranks.js";
import { parsePlanInput, validatePlan } from "../../src/plan/validate.js";
import { PlanValidationError } from "../../src/errors.js";
import { task } from "../helpers/fixtures.js";

const options = { workers: ["echo", "writer"], maxTasks: 5 };
const codes = (tasks: Parameters<typeof validatePlan>[0], opts = options) =>
  validatePlan(tasks, opts).map((i) => i.code);

describe("plan validation", () => {
  it("accepts a valid DAG without issues", () => {
    expect(validatePlan([task("a"), task("b", ["a"]), task("c", ["a", "b"])], options)).toEqual([]);
  });

  it("reports a duplicate id by name", () => {
    expect(validatePlan([task("a"), task("a")], options)).toEqual([
      { code: "duplicate_id", message: 'Task id "a" is used more than once.' },
    ]);
  });

  it("reports a dependency on a task that is not in the plan", () => {
    expect(validatePlan([task("a", ["ghost"])], options)).toEqual([
      { code: "dangling_dependency", message: 'Task "a" depends on "ghost", which is not a task in the plan.' },
    ]);
  });

  it("reports a self-dependency once, not also as a cycle", () => {
    expect(codes([task("a", ["a"])])).toEqual(["self_dependency"]);
  });

  it("reports an unknown worker and lists the known ones", () => {
    expect(validatePlan([task("a", [], { worker: "poet" })], options)).toEqual([
      { code: "unknown_worker", message: 'Task "a" names unknown worker "poet"; use one of: echo, writer.' },
    ]);
  });

  it("reports a task whose worker lacks a capability it requires, naming the workers that have it", () => {
    const capabilities = { echo: ["memory"], writer: ["web_search", "memory"] };
    expect(
      validatePlan(
        [
          task("a", [], { requires: ["web_search", "memory"] }),
          task("b", [], { worker: "writer", requires: ["web_search"] }),
        ],
        { ...options, capabilities },
      ),
    ).toEqual([
      {
        code: "missing_capability",
        message: 'Task "a" requires capability "web_search", which worker "echo" lacks: use writer.',
      },
    ]);
    expect(validatePlan([task("a", [], { requires: ["maps"] })], { ...options, capabilities })).toEqual([
      {
        code: "missing_capability",
        message:
          'Task "a" requires capability "maps", which worker "echo" lacks: no worker has it; drop the requirement or the task.',
      },
    ]);
  });

  it("reports more tasks than maxTasks, counting tasks already in the run", () => {
    expect(validatePlan([task("a"), task("b")], { ...options, maxTasks: 3, existingCount: 2 })).toEqual([
      { code: "too_many_tasks", message: "4 tasks exceed maxTasks=3; merge or drop 1." },
    ]);
  });

  it("reports a cycle with its path", () => {
    expect(validatePlan([task("a", ["c"]), task("b", ["a"]), task("c", ["b"])], options)).toEqual([
      { code: "cycle", message: "Dependency cycle: a → c → b → a." },
    ]);
  });

  it("lets new tasks depend on existing ids but not reuse them", () => {
    const existing = { ...options, existingIds: new Set(["old"]) };
    expect(codes([task("new", ["old"])], existing)).toEqual([]);
    expect(codes([task("old")], existing)).toEqual(["duplicate_id"]);
  });
});

describe("cycle breaking", () => {
  it("drops the edge that closes a 2-cycle", () => {
    const { tasks, dropped } = breakCycles([task("a", ["b"]), task("b", ["a"])]);
    expect(dropped).toEqual([{ task: "b", dependsOn: "a", cycle: ["a", "b", "a"] }]);
    expect(tasks.map((t) => [t.id, t.dependsOn])).toEqual([
      ["a", ["b"]],
      ["b", []],
    ]);
  });

  it("drops the edge that closes a 3-cycle", () => {
    expect(findCycleBreaks([task("a", ["b"]), task("b", ["c"]), task("c", ["a"])])).toEqual([
      { task: "c", dependsOn: "a", cycle: ["a", "b", "c", "a"] },
    ]);
  });

  it("drops a self-loop", () => {
    const { tasks, dropped } = breakCycles([task("a", ["a"]), task("b", ["a"])]);
    expect(dropped).toEqual([{ task: "a", dependsOn: "a", cycle: ["a", "a"] }]);
    expect(tasks[0]!.dependsOn).toEqual([]);
    expect(tasks[1]!.dependsOn).toEqual(["a"]);
  });

  it("breaks two disjoint cycles independently", () => {
    const plan = [task("a", ["b"]), task("b", ["a"]), task("x", ["y"]), task("y", ["z"]), task("z", ["x"])];
    const { tasks, dropped } = breakCycles(plan);
    expect(dropped.map((edge) => `${edge.task}->${edge.dependsOn}`)).toEqual(["b->a", "z->x"]);
    expect(findCycleBreaks(tasks)).toEqual([]);
  });

  it("leaves an acyclic plan untouched and is deterministic", () => {
    const plan = [task("a"), task("b", ["a"]), task("c", ["b", "a"])];
    expect(breakCycles(plan)).toEqual({ tasks: plan, dropped: [] });
    const cyclic = [task("p", ["q", "r"]), task("q", ["p"]), task("r", ["q"])];
    expect(breakCycles(cyclic)).toEqual(breakCycles(cyclic));
    expect(findCycleBreaks(breakCycles(cyclic).tasks)).toEqual([]);
  });

  it("ignores dependencies on unknown ids", () => {
    expect(findCycleBreaks([task("a", ["missing"])])).toEqual([]);
  });
});

describe("critical-path ranks", () => {
  it("ranks a chain by its distance to the sink", () => {
    const ranks = criticalPathRanks([task("a"), task("b", ["a"]), task("c", ["b"])]);
    expect(Object.fromEntries(ranks)).toEqual({ a: 3, b: 2, c: 1 });
  });

  it("weights paths by estimated cost and takes the longest branch of a diamond", () => {
    const ranks = criticalPathRanks([
      task("start"),
      task("cheap", ["start"], { estimatedCost: 1 }),
      task("dear", ["start"], { estimatedCost: 5 }),
      task("end", ["cheap", "dear"], { estimatedCost: 2 }),
    ]);
    expect(Object.fromEntries(ranks)).toEqual({ start: 8, cheap: 3, dear: 7, end: 2 });
  });

  it("gives independent tasks their own cost", () => {
    const ranks = criticalPathRanks([task("a", [], { estimatedCost: 2 }), task("b")]);
    expect(Object.fromEntries(ranks)).toEqual({ a: 2, b: 1 });
  });
});

describe("parsing a caller's plan", () => {
  it("fills defaults and accepts a bare array of tasks", () => {
    const plan = parsePlanInput([{ id: "a", title: "A", worker: "echo" }]);
    expect(plan.tasks).toEqual([task("a", [], { title: "A", description: "" })]);
  });

  it("names the bad field and value", () => {
    expect(() => parsePlanInput({ tasks: [{ id: "a", title: "", worker: "echo" }] })).toThrow(PlanValidationError);
    expect(() => parsePlanInput({ tasks: [{ id: "a", title: "", worker: "echo" }] })).toThrow(
      /tasks\.0\.title.*\(got ""\)/,
    );
    expect(() => parsePlanInput({ tasks: [{ id: "has space", title: "t", worker: "echo" }] })).toThrow(
      /tasks\.0\.id.*"has space"/,
    );
  });

  it("reports malformed JSON", () => {
    expect(() => parsePlanInput("{not json", "plan file x.json")).toThrow(
      /Invalid plan file x\.json:\n {2}- not valid JSON/,
    );
  });
});
