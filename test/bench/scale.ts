/**
 * `npm run bench:scale [-- --executors 1,2,4] [--runs 24] [--latency-ms 200] [--concurrency 1] [--json]`: runs per
 * minute against the number of executor processes, on one Redis queue and one Postgres, with every model call
 * answered by the loopback model at a fixed latency. Each run is a 3-task plan (two in parallel, then one that needs
 * both) plus the synthesizer: four model calls in three rounds. Needs Redis and Postgres ($REDIS_URL, $POSTGRES_URL;
 * default: both on 127.0.0.1). Not part of `npm test`.
 */
import { randomUUID } from "node:crypto";
import { setMaxListeners } from "node:events";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { Redis } from "ioredis";
import pg from "pg";
import { followRun, submitRun } from "../../src/queue/runs.js";
import { ENTRIES, spawnCli, type CliProcess } from "../helpers/cli-process.js";
import { startOpenAIServer } from "../helpers/openai-server.js";
import { deferred } from "../helpers/wait.js";

process.env.LANGSMITH_TRACING = "false";
// The loopback server listens for its own shutdown once per request in flight: dozens at once here.
setMaxListeners(200);
const { values } = parseArgs({
  options: {
    executors: { type: "string", default: "1,2,4" },
    runs: { type: "string", default: "24" },
    "latency-ms": { type: "string", default: "200" },
    concurrency: { type: "string", default: "1" },
    json: { type: "boolean", default: false },
  },
});
const REDIS_URL = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";
const POSTGRES_URL = process.env.POSTGRES_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";
const counts = values.executors.split(",").map(Number);
const runs = Number(values.runs);
const latencyMs = Number(values["latency-ms"]);
const concurrency = Number(values.concurrency);
const PLAN = {
  tasks: [
    { id: "a", title: "Collect", description: "Collect the facts.", worker: "researcher" },
    { id: "b", title: "Compare", description: "Compare the options.", worker: "analyst" },
    { id: "c", title: "Write", description: "Write it up.", worker: "writer", dependsOn: ["a", "b"] },
  ],
};

interface Row {
  executors: number;
  runs: number;
  seconds: number;
  runsPerMinute: number;
  p50FinishSeconds: number;
}

const server = await startOpenAIServer({ handler: () => ({ content: "a result", delayMs: latencyMs }) });
const dir = mkdtempSync(join(tmpdir(), "orchestrator-scale-"));
const rows: Row[] = [];
try {
  for (const executors of counts) rows.push(await measure(executors));
} finally {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
}
const single = rows.find((row) => row.executors === 1);
if (values.json) {
  process.stdout.write(`${JSON.stringify({ latencyMs, runs, concurrency, rows }, null, 2)}\n`);
} else {
  process.stdout.write(
    `runs per minute vs executors (${runs} runs of 3 tasks + synthesis, model latency ${latencyMs} ms, concurrency ${concurrency} per executor)\n`,
  );
  process.stdout.write("executors  runs/min  speed-up  wall s  median finish s\n");
  for (const row of rows) {
    const speedup = single ? (row.runsPerMinute / single.runsPerMinute).toFixed(2) : "-";
    process.stdout.write(
      `${String(row.executors).padStart(9)}  ${row.runsPerMinute.toFixed(0).padStart(8)}  ${speedup.padStart(8)}  ${row.seconds.toFixed(1).padStart(6)}  ${row.p50FinishSeconds.toFixed(2).padStart(15)}\n`,
    );
  }
}

/** Starts `executors` executor processes on a fresh queue and schema, submits the runs once all are up, and times them. */
async function measure(executors: number): Promise<Row> {
  const prefix = `bench-scale-${randomUUID().slice(0, 8)}`;
  const schema = `bench_scale_${randomUUID().slice(0, 8)}`;
  const queue = `${REDIS_URL}${REDIS_URL.includes("?") ? "&" : "?"}prefix=${prefix}`;
  const spec = `${POSTGRES_URL}${POSTGRES_URL.includes("?") ? "&" : "?"}schema=${schema}`;
  const processes: CliProcess[] = [];
  try {
    const ready = Array.from({ length: executors }, () => deferred());
    for (let i = 0; i < executors; i++) {
      processes.push(
        spawnCli(
          ["--queue", queue, "--checkpointer", spec, "--name", `bench-${i}`, "--concurrency", String(concurrency)],
          {
            entry: ENTRIES.executor,
            cwd: dir,
            env: { OPENAI_BASE_URL: server.url, OPENAI_API_KEY: "bench", LANGSMITH_TRACING: "false" },
            deadlineMs: 600_000,
            onLine: (line) => line.startsWith("Executor ") && ready[i]!.resolve(),
          },
        ),
      );
    }
    // An executor that exits before it is up fails the measurement instead of leaving it waiting.
    const died = Promise.race(processes.map((process) => process.exited)).then(({ code, stderr }) => {
      throw new Error(`an executor exited (${code}) before the runs were submitted:\n${stderr}`);
    });
    await Promise.race([Promise.all(ready.map((gate) => gate.promise)), died]);
    died.catch(() => {});
    const started = performance.now();
    const threads = await Promise.all(
      Array.from({ length: runs }, (_, i) =>
        submitRun({ url: queue, maxQueued: runs }, `bench run ${i}`, { plan: PLAN, settings: { replan: "never" } }),
      ),
    );
    const durations = await Promise.all(
      threads.map(async ({ threadId }) => {
        await followRun({ url: queue }, threadId);
        return (performance.now() - started) / 1000;
      }),
    );
    const seconds = (performance.now() - started) / 1000;
    durations.sort((a, b) => a - b);
    return {
      executors,
      runs,
      seconds,
      runsPerMinute: (runs / seconds) * 60,
      p50FinishSeconds: durations[Math.floor(durations.length / 2)]!,
    };
  } finally {
    for (const process of processes) process.kill("SIGTERM");
    await Promise.allSettled(processes.map((process) => process.exited));
    const redis = new Redis(REDIS_URL);
    const keys = await redis.keys(`${prefix}:*`);
    if (keys.length) await redis.del(...keys);
    redis.disconnect();
    const pool = new pg.Pool({ connectionString: POSTGRES_URL });
    await pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await pool.end();
  }
}
