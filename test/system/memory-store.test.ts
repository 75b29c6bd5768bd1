import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeEach, describe, expect, it } from "vitest";
import { createOrchestrator, functionWorker } from "../../src/index.js";
import { openCheckpointer } from "../../src/persistence/checkpointer.js";
import { task } from "../helpers/fixtures.js";
import { dropSchemas, POSTGRES_URL, schemaSpec } from "../helpers/postgres.js";

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "memory-store-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** A worker that adds one to a long-term counter and reports what it found. */
const counter = functionWorker({
  name: "counter",
  description: "Counts runs in long-term memory.",
  run: async (_input, context) => {
    const found = (await context.memory!.get<{ n: number }>("runs", "long-term"))?.n ?? 0;
    await context.memory!.put("runs", { n: found + 1 }, "long-term");
    return `found ${found}`;
  },
});

/** Runs the counter in a fresh orchestrator on `spec` (a new process would open it the same way), then closes it. */
async function countOnce(spec: string): Promise<string> {
  const orchestrator = await createOrchestrator({
    checkpointer: spec,
    workers: [counter],
    settings: { memoryNamespace: "teams/blue" },
  });
  try {
    const summary = await orchestrator.run("count", { plan: { tasks: [task("count", [], { worker: "counter" })] } });
    return (await orchestrator.state(summary.threadId)).results.count!.output;
  } finally {
    await orchestrator.close();
  }
}

describe("the store beside the checkpointer", () => {
  it("keeps the workers' memory in the SQLite file of the checkpoints, for the next orchestrator that opens it", async () => {
    const spec = `sqlite:${join(dir, "checkpoints.db")}`;
    expect([await countOnce(spec), await countOnce(spec)]).toEqual(["found 0", "found 1"]);
  });

  it("gets, searches under a namespace prefix with a filter, lists namespaces and deletes in SQLite", async () => {
    const handle = await openCheckpointer(`sqlite:${join(dir, "store.db")}`);
    const { store } = handle;
    try {
      await store.put(["runs", "r1"], "a", { kind: "hotel", price: 90 });
      await store.put(["runs", "r1"], "b", { kind: "flight", price: 300 });
      await store.put(["runs", "r2", "notes"], "c", { kind: "hotel", price: 120 });
      await store.put(["runsx"], "d", { kind: "hotel" });
      await store.put(["runs", "r1"], "a", { kind: "hotel", price: 95 });
      expect((await store.get(["runs", "r1"], "a"))?.value).toEqual({ kind: "hotel", price: 95 });
      const hotels = await store.search(["runs"], { filter: { kind: "hotel" } });
      expect(hotels.map((item) => [item.namespace, item.key])).toEqual([
        [["runs", "r1"], "a"],
        [["runs", "r2", "notes"], "c"],
      ]);
      expect(await store.listNamespaces({ prefix: ["runs"], maxDepth: 2 })).toEqual([
        ["runs", "r1"],
        ["runs", "r2"],
      ]);
      await store.delete(["runs", "r1"], "a");
      expect(await store.get(["runs", "r1"], "a")).toBeNull();
    } finally {
      await handle.close();
    }
  });

  describe.runIf(POSTGRES_URL)("in Postgres", () => {
    const schema = `memory_${process.pid}_${Date.now()}`;
    afterAll(async () => {
      await dropSchemas(schema);
    });

    it("keeps the workers' memory in the checkpoint database, for the next orchestrator that opens it", async () => {
      const spec = schemaSpec(schema);
      expect([await countOnce(spec), await countOnce(spec)]).toEqual(["found 0", "found 1"]);
    });
  });
});
