/**
 * The task vocabulary: a spec, a follow-up (a spec plus the tasks it holds back) and a record (a spec plus its
 * lifecycle), with one projection back to the spec that dead letters, dispatch and review use.
 */
import { describe, expect, it } from "vitest";
import { deadLetterFor } from "../../src/orchestration/results.js";
import { toRecords } from "../../src/orchestration/task-board.js";
import { specOf, TaskSpecSchema, type TaskSpec } from "../../src/schemas.js";
import { as, failed } from "../helpers/boards.js";

/** A spec with every field set, none to its default. */
const fullSpec: TaskSpec = {
  id: "a",
  title: "Find flights",
  description: "Cheapest direct flight",
  worker: "flight_agent",
  dependsOn: ["dates"],
  expectedOutput: "one flight",
  estimatedCost: 3,
  complex: true,
  requires: ["web"],
};

describe("the task vocabulary", () => {
  it("fills every field of the spec schema in the full spec used below", () => {
    expect(Object.keys(fullSpec).sort()).toEqual(Object.keys(TaskSpecSchema.shape).sort());
  });

  it("keeps every spec field in a dead letter, requires included", () => {
    const [record] = toRecords([fullSpec], "plan", 0);
    const dead = as(record, { status: "running", dispatches: 1, attempts: 2, reason: "earlier" });
    expect(deadLetterFor(dead, failed("a", "down")).task).toEqual(fullSpec);
  });

  it("projects a record or a follow-up back to its spec: no lifecycle fields, no blocks", () => {
    const [record] = toRecords([{ ...fullSpec, blocks: ["b"], blocksWorkers: ["writer"] } as TaskSpec], "replan", 4, {
      depth: 1,
      parent: "p",
    });
    expect(record).not.toHaveProperty("blocks");
    expect(record).not.toHaveProperty("blocksWorkers");
    expect(specOf(as(record, { status: "done", attempts: 3, children: ["x"] }))).toEqual(fullSpec);
  });

  it("leaves an unset optional field out of the spec rather than setting it to undefined", () => {
    const { requires: _r, ...withoutRequires } = fullSpec;
    expect(Object.keys(specOf(withoutRequires))).not.toContain("requires");
  });
});
