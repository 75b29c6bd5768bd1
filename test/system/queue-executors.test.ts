import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Queue } from "bullmq";
import { Redis } from "ioredis";
import { afterAll, describe, expect, it } from "vitest";
import { openCheckpointer } from "../../src/persistence/checkpointer.js";
import { followRun, submitRun, type RunEntry } from "../../src/queue/runs.js";
import { ENTRIES, runCli, spawnCli, type CliProcess } from "../helpers/cli-process.js";
import { loopbackServers } from "../helpers/loopback.js";
import { HeldCall } from "../helpers/openai-server.js";
import { countingHandler, queuePrefixes, REDIS_URL } from "../helpers/queue.js";
import { deferred, waitFor } from "../helpers/wait.js";
import { dropSchemas, POSTGRES_URL, schemaSpec } from "../helpers/postgres.js";

const SCHEMA = `queue_${process.pid}_${Date.now()}`;
const queues = queuePrefixes("exec");
const PLAN = {
  tasks: [
    { id: "a", title: "Collect", description: "Collect the facts.", worker: "researcher" },
    { id: "b", title: "Write", description: "Write it up.", worker: "writer", dependsOn: ["a"] },
  ],
};
// a and b are separate tasks (no chain), so a's result is stored on its own.
const SETTINGS = { replan: "never", chainDispatch: false } as const;

const checkpointer = () => schemaSpec(SCHEMA);
const queueUrl = queues.url;

describe.runIf(POSTGRES_URL && REDIS_URL)("executor processes on one Redis queue and one Postgres", () => {
  const serve = loopbackServers();
  const dir = mkdtempSync(join(tmpdir(), "orchestrator-queue-"));
  const running: CliProcess[] = [];
  const startExecutor = (queue: string, name: string, modelUrl: string, ready?: () => void) => {
    const executor = spawnCli(
      ["--queue", queue, "--checkpointer", checkpointer(), "--name", name, "--lock-ms", "2000"],
      {
        entry: ENTRIES.executor,
        cwd: dir,
        env: { OPENAI_BASE_URL: modelUrl, OPENAI_API_KEY: "test" },
        deadlineMs: 180_000,
        onLine: (line) => line.startsWith("Executor ") && ready?.(),
      },
    );
    running.push(executor);
    return executor;
  };

  afterAll(async () => {
    for (const executor of running) executor.kill("SIGKILL");
    await Promise.allSettled(running.map((executor) => executor.exited));
    await dropSchemas(SCHEMA);
    await queues.cleanUp();
    rmSync(dir, { recursive: true, force: true });
  });

  it("opens one fresh schema from four processes' worth of checkpointers at once: the setup is serialised, none fails on the migrations", async () => {
    const fresh = `queue_setup_${process.pid}_${Date.now()}`;
    const spec = schemaSpec(fresh);
    try {
      const handles = await Promise.all(Array.from({ length: 4 }, () => openCheckpointer(spec)));
      await Promise.all(handles.map((handle) => handle.close()));
    } finally {
      await dropSchemas(fresh);
    }
  });

  it("completes 30 runs on 3 executors when one is SIGKILLed mid-run: one executor per thread at a time, and no checkpointed task runs twice", async () => {
    const queue = queueUrl();
    const counts = new Map<string, number>();
    const held = new HeldCall();
    let heldRun: string | undefined;
    const server = await serve(
      countingHandler(counts, (marker, request) => {
        if (heldRun !== undefined || !marker.endsWith("/b")) return undefined;
        heldRun = marker.split("/")[0];
        return held.serve(request, { content: "never delivered" });
      }),
    );
    const executors = ["ex-0", "ex-1", "ex-2"].map((name) => ({
      name,
      process: startExecutor(queue, name, server.url),
    }));
    const threads: string[] = [];
    for (let run = 0; run < 30; run++) {
      threads.push((await submitRun({ url: queue }, `queued run ${run}`, { plan: PLAN, settings: SETTINGS })).threadId);
    }
    const entries = new Map<string, RunEntry[]>(threads.map((thread) => [thread, []]));
    const followed = Promise.all(
      threads.map((thread) =>
        followRun({ url: queue }, thread, { onEntry: (entry) => entries.get(thread)!.push(entry) }),
      ),
    );

    await held.arrived.promise;
    const heldThread = threads[Number(heldRun)]!;
    // The pool launches b as soon as a lands, while LangGraph may still be writing a's result: the kill comes once it
    // is stored, so that a is a checkpointed task.
    const shared = await openCheckpointer(checkpointer());
    await waitFor(
      async () => {
        const tuple = await shared.saver.getTuple({ configurable: { thread_id: heldThread } });
        return JSON.stringify(tuple?.pendingWrites ?? []).includes(`result of ${heldRun}/a`);
      },
      { timeoutMs: 30_000, what: `run ${heldRun}'s result of a to be stored` },
    );
    await shared.close();
    const connection = new Redis(REDIS_URL!);
    const runs = new Queue("runs", { connection, prefix: queues.prefixOf(queue) });
    const victim = (await runs.getJob(heldThread))!.processedBy!;
    await runs.close();
    connection.disconnect();
    executors.find((executor) => executor.name === victim)!.process.kill("SIGKILL");

    const results = await followed;
    expect(results.map(({ summary }) => summary.status)).toEqual(threads.map(() => "done"));
    // Every task whose result was checkpointed ran once; only the call the kill cut runs again.
    for (let run = 0; run < 30; run++) {
      const expected = { a: 1, b: String(run) === heldRun ? 2 : 1, synthesis: 1 };
      expect({
        run,
        a: counts.get(`${run}/a`),
        b: counts.get(`${run}/b`),
        synthesis: counts.get(`${run}/synthesis`),
      }).toEqual({ run, ...expected });
    }
    for (const thread of threads) {
      const starts = entries.get(thread)!.filter((entry) => entry.kind === "started");
      const owners = entries.get(thread)!.map((entry) => entry.executor);
      // One executor at a time: each executor's entries form one unbroken stretch.
      const stretches = owners.filter((owner, index) => index === 0 || owner !== owners[index - 1]);
      expect(new Set(stretches).size).toBe(stretches.length);
      if (thread === heldThread) {
        expect(starts.map((entry) => [entry.executor === victim, entry.kind === "started" && entry.resumed])).toEqual([
          [true, false],
          [false, true],
        ]);
      } else {
        expect(starts).toHaveLength(1);
      }
    }
    const survivors = executors.filter((executor) => executor.name !== victim);
    for (const executor of survivors) executor.process.kill("SIGTERM");
    for (const executor of survivors) expect((await executor.process.exited).code).toBe(0);
  }, 180_000);

  it("drains on SIGTERM: the step in flight finishes and is checkpointed, the run goes back to the queue, and the next executor does not redo it", async () => {
    const queue = queueUrl();
    const counts = new Map<string, number>();
    const gate = deferred();
    const arrived = deferred();
    const server = await serve(
      countingHandler(counts, (marker) => {
        if (marker !== "0/a" || counts.get(marker) !== 1) return undefined;
        arrived.resolve();
        return gate.promise.then(() => ({ content: "a's result" }));
      }),
    );
    const planFile = join(dir, "plan.json");
    writeFileSync(planFile, JSON.stringify(PLAN));
    const submitted = await runCli(
      [
        "--queue",
        queue,
        "--detach",
        "--json",
        "--plan",
        planFile,
        "--replan",
        "never",
        "--no-chain-dispatch",
        "queued run 0",
      ],
      {
        cwd: dir,
      },
    );
    expect(submitted.code).toBe(0);
    const { threadId } = JSON.parse(submitted.stdout) as { threadId: string };
    const waited = runCli(["--queue", queue, "--wait", threadId, "--json"], { cwd: dir, deadlineMs: 120_000 });

    const first = startExecutor(queue, "first", server.url);
    await arrived.promise;
    first.kill("SIGTERM");
    gate.resolve();
    const drained = await first.exited;
    expect(drained.code).toBe(0);
    expect(drained.stderr).toContain(`released  ${threadId}`);
    startExecutor(queue, "second", server.url);

    const result = await waited;
    expect(result.code).toBe(0);
    const summary = JSON.parse(result.stdout) as {
      threadId: string;
      status: string;
      tasks: { id: string; output: string }[];
    };
    expect(summary).toMatchObject({ threadId, status: "done" });
    expect(summary.tasks.map((task) => [task.id, task.output])).toEqual([
      ["a", "a's result"],
      ["b", "result of 0/b"],
    ]);
    expect(Object.fromEntries(counts)).toEqual({ "0/a": 1, "0/b": 1, "0/synthesis": 1 });
  }, 180_000);
});
