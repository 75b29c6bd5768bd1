import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { Ajv2020 } from "ajv/dist/2020.js";
import { describe, expect, it } from "vitest";
import { HANDOFF_SCHEMA_PATH, HANDOFF_VERSION, handoffMessage, handoffSchemaText } from "../../src/worker-contract.js";
import type { TaskResult } from "../../src/schemas.js";
import { echoWorker, harness, task } from "../helpers/fixtures.js";

const committed = readFileSync(resolve(import.meta.dirname, "../..", HANDOFF_SCHEMA_PATH), "utf8");
const validate = new Ajv2020({ strict: false, allErrors: true }).compile(JSON.parse(committed));

/** A run with a task that is done, one that fails for good and one skipped: its results, errors and events. */
async function realRun() {
  const h = harness({
    workers: (log) => [
      echoWorker(log, {
        behaviour: (input) => {
          if (input.task.id === "bad") throw new Error("no luck");
          return undefined;
        },
      }),
    ],
    settings: { maxRetries: 1, replan: "never" },
  });
  const summary = await h.run({ goal: "g", plan: { tasks: [task("a"), task("bad"), task("c", ["bad"])] } });
  const state = await h.graph.getState({ configurable: { thread_id: "thread-1" } });
  return { results: Object.values(state.values.results as Record<string, TaskResult>), events: h.events, summary };
}

describe("the handoff contract's published JSON Schema", () => {
  it("is the one the zod schemas generate (run `npm run schemas` after changing them)", () => {
    expect(committed).toBe(handoffSchemaText());
  });

  it("validates the result records, errors and progress events of a real run", async () => {
    const { results, events, summary } = await realRun();
    expect(summary.deadLetters.map((letter) => letter.taskId)).toEqual(["bad"]);
    expect(results.map((result) => result.status).sort()).toEqual(["done", "failed"]);
    expect(new Set(events.map((event) => event.type))).toEqual(
      new Set(
        ["plan.created", "task.queued", "task.started", "task.done", "task.failed", "task.retrying"].concat([
          "task.dead",
          "task.skipped",
          "synthesis.started",
          "synthesis.finished",
        ]),
      ),
    );
    const messages = [
      ...results.map((result) => handoffMessage("result", result)),
      ...summary.deadLetters.map((letter) => handoffMessage("error", letter.error)),
      ...events.map((event) => handoffMessage("event", event)),
      handoffMessage("assignment", { goal: "g", steps: [{ task: task("a"), dependencies: {}, dispatch: 1, rank: 1 }] }),
    ];
    for (const message of messages) expect([validate(message), validate.errors]).toEqual([true, null]);
  });

  it("rejects a message of another version, an unknown kind and a result that breaks the contract", async () => {
    const { results } = await realRun();
    const result = handoffMessage("result", results[0]);
    expect(result.version).toBe(HANDOFF_VERSION);
    expect(validate({ ...result, version: "2.0" })).toBe(false);
    expect(validate.errors?.some((error) => error.instancePath === "/version")).toBe(true);
    expect(validate({ ...result, kind: "verdict" })).toBe(false);
    expect(validate({ ...result, payload: { ...results[0], status: "maybe" } })).toBe(false);
    expect(validate(handoffMessage("error", { kind: "gremlins", message: "m", retryable: true }))).toBe(false);
  });
});
