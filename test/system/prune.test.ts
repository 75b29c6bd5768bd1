import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { runLogPath } from "../../src/cli/run-log.js";
import { createOrchestrator, functionWorker, openCheckpointer, pruneThreads } from "../../src/index.js";
import { runNamespace } from "../../src/workers/memory.js";
import { ENTRIES, runCli } from "../helpers/cli-process.js";
import { dropSchemas, POSTGRES_URL, schemaSpec } from "../helpers/postgres.js";
import { scriptedProvider } from "../helpers/scripted-model.js";
import { tempDirs } from "../helpers/temp-dirs.js";

const tempDir = tempDirs("orchestrator-prune-");
const schema = `prune_${process.pid}_${Date.now()}`;

const tiers = [
  { name: "SQLite", spec: (dir: string) => `sqlite:${join(dir, "cp.db")}` },
  ...(POSTGRES_URL ? [{ name: "Postgres", spec: () => schemaSpec(schema) }] : []),
];

afterAll(async () => {
  if (POSTGRES_URL) await dropSchemas(schema);
});

describe.each(tiers)("npm run prune on $name", ({ spec }) => {
  it("deletes a finished thread's checkpoints, store entries and run log, and keeps interrupted and running threads", async () => {
    const dir = tempDir();
    const checkpointer = spec(dir);
    // This process holds one thread while it prunes others: a connection for each lock, one for the queries.
    const handle = await openCheckpointer(checkpointer, { poolSize: 3 });
    const writer = functionWorker({
      name: "writer",
      description: "Writes a note to the run's memory.",
      run: async (_input, context) => (await context.memory!.put("note", { text: "kept in the store" }), "wrote"),
    });
    const options = {
      checkpointer: handle.saver,
      store: handle.store,
      lock: handle.lock,
      workers: [writer],
      models: scriptedProvider({}, { configured: false }),
    };
    const plain = await createOrchestrator(options);
    const reviewed = await createOrchestrator({ ...options, settings: { reviewPlan: true } });
    const plan = { tasks: [{ id: "w", title: "Write", worker: "writer" }] };
    const logOf = (threadId: string) => runLogPath(handle, threadId, dir);
    expect((await plain.run("done goal", { threadId: "done", plan })).status).toBe("done");
    expect((await plain.run("held goal", { threadId: "held", plan })).status).toBe("done");
    expect((await reviewed.run("review goal", { threadId: "review", plan })).status).toBe("interrupted");
    mkdirSync(dirname(logOf("done")), { recursive: true });
    for (const threadId of ["done", "held", "review"]) writeFileSync(logOf(threadId), "{}\n");
    const doneRun = (await plain.state("done")).runId!;
    expect(await handle.store.search(runNamespace(doneRun))).toHaveLength(1);
    const release = await handle.lock.acquire("held");
    try {
      // Everything is a minute old at most: nothing is pruned yet.
      expect(await pruneThreads(handle, { olderThanMs: 3_600_000, runLog: logOf })).toEqual({
        pruned: [],
        kept: { done: "recent", held: "running", review: "unfinished" },
      });
      const run = await runCli(["--older-than", "0s", "--checkpointer", checkpointer, "--json"], {
        entry: ENTRIES.prune,
        cwd: dir,
      });
      expect([run.code, run.stderr]).toEqual([0, ""]);
      expect(JSON.parse(run.stdout)).toEqual({ pruned: ["done"], kept: { held: "running", review: "unfinished" } });
    } finally {
      await release();
    }
    expect(await handle.saver.getTuple({ configurable: { thread_id: "done" } })).toBeUndefined();
    expect(await handle.store.search(runNamespace(doneRun))).toEqual([]);
    expect(["done", "held", "review"].map((threadId) => existsSync(logOf(threadId)))).toEqual([false, true, true]);
    expect((await plain.state("held")).answer).not.toBe("");
    const resumed = await reviewed.resume("review", { action: "approve" });
    expect(resumed.status).toBe("done");
    await handle.close();
  }, 120_000);

  it("refuses a missing or malformed age with exit 2 naming it", async () => {
    const dir = tempDir();
    const bad = await runCli(["--older-than", "30 days", "--checkpointer", spec(dir)], {
      entry: ENTRIES.prune,
      cwd: dir,
    });
    expect([bad.code, bad.stderr.split("\n")[0]]).toEqual([
      2,
      'Invalid --older-than "30 days": use a number and a unit, e.g. 30d, 12h, 90m.',
    ]);
    const missing = await runCli(["--checkpointer", spec(dir)], { entry: ENTRIES.prune, cwd: dir });
    expect([missing.code, missing.stderr.split("\n")[0]]).toEqual([2, "Missing --older-than (e.g. --older-than 30d)."]);
  }, 60_000);
});
