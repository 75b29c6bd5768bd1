import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openCheckpointer } from "../../../src/persistence/checkpointer.js";
import { SettingsSchema } from "../../../src/settings.js";
import type { BenchConfig } from "../config.js";
import { withLoopDelay } from "../loop-delay.js";
import { independent } from "../plans.js";
import { runOurs } from "../real.js";
import type { ScenarioOutput } from "../report.js";
import { REPEATS } from "../repeat.js";
import { max, median, round } from "../stats.js";

const CAP = 32;
const WANTED_N = [10, 100, 1000];
/** The most tasks a run may have (settings schema): a larger plan is rejected before it starts. */
const MAX_TASKS = SettingsSchema.shape.maxTasks.unwrap().maxValue ?? 500;

/** The checkpointers measured: the product's default (a SQLite file) and MemorySaver. */
const CHECKPOINTERS = ["sqlite", "memory"] as const;
type Checkpointer = (typeof CHECKPOINTERS)[number];

/** Runs `tasks` once on a fresh checkpointer of `kind` (a new SQLite file in `dir`), sampling the event loop. */
async function measuredRun(kind: Checkpointer, tasks: Parameters<typeof runOurs>[0], threadId: string, dir: string) {
  const handle = kind === "sqlite" ? await openCheckpointer(`sqlite:${join(dir, `${threadId}.db`)}`) : undefined;
  try {
    return await withLoopDelay(() =>
      runOurs(tasks, { cap: CAP, threadId, ...(handle ? { checkpointer: handle.saver } : {}) }),
    );
  } finally {
    await handle?.close();
  }
}

/** Scenario 3: graph cost per subtask, and how long the event loop is blocked, at cap 32, on SQLite and in memory. */
export async function overheadScenario(config: BenchConfig, log: (line: string) => void): Promise<ScenarioOutput> {
  const sizes = [...new Set((config.quick ? WANTED_N.slice(0, 2) : WANTED_N).map((n) => Math.min(n, MAX_TASKS)))];
  const dir = mkdtempSync(join(tmpdir(), "bench-overhead-"));
  const rows = [];
  try {
    for (const checkpointer of CHECKPOINTERS) {
      for (const latencyMs of [0, 50]) {
        for (const n of sizes) rows.push(await measureSize(checkpointer, n, latencyMs, dir, log));
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return report(rows, sizes, config);
}

type Row = Awaited<ReturnType<typeof measureSize>>;

async function measureSize(
  checkpointer: Checkpointer,
  n: number,
  latencyMs: number,
  dir: string,
  log: (line: string) => void,
) {
  const tasks = independent(n).map((task) => ({ ...task, latencyMs }));
  const idealMs = Math.ceil(n / CAP) * latencyMs;
  const runs = [];
  for (let i = 0; i < REPEATS; i++) {
    const {
      value: run,
      p99Ms,
      maxMs,
    } = await measuredRun(checkpointer, tasks, `overhead-${checkpointer}-${latencyMs}-${n}-${i}`, dir);
    runs.push({ wallMs: run.makespanMs, rounds: run.waves.length, p99: p99Ms, max: maxMs });
  }
  const wallMs = median(runs.map((r) => r.wallMs));
  const rounds = runs[0]!.rounds;
  const row = {
    checkpointer,
    n,
    latencyMs,
    wallMs,
    idealMs,
    overheadMsPerTask: (wallMs - idealMs) / n,
    rounds,
    overheadMsPerRound: (wallMs - idealMs) / (rounds + 1),
    eventLoopP99Ms: median(runs.map((r) => r.p99)),
    eventLoopMaxMs: max(runs.map((r) => r.max)),
  };
  log(
    `  ${checkpointer}, N=${n}, ${latencyMs} ms workers: ${row.overheadMsPerTask.toFixed(3)} ms/task, event loop p99 ${row.eventLoopP99Ms.toFixed(1)} ms`,
  );
  return row;
}

/** The headline figures, table and goals: each checkpointer's worst figures at the largest N. */
function report(rows: Row[], sizes: number[], config: BenchConfig): ScenarioOutput {
  const largest = Math.max(...sizes);
  const atLargest = (kind: Checkpointer) => rows.filter((row) => row.n === largest && row.checkpointer === kind);
  const perTask = (kind: Checkpointer) => max(atLargest(kind).map((row) => row.overheadMsPerTask));
  const p99 = (kind: Checkpointer) => max(atLargest(kind).map((row) => row.eventLoopP99Ms));
  const worstP99 = Math.max(p99("sqlite"), p99("memory"));
  const capped = largest < WANTED_N[WANTED_N.length - 1]! && !config.quick;
  const nNote = capped
    ? `N = ${largest}: N = 1,000 is rejected by maxTasks ≤ ${MAX_TASKS} (settings schema)`
    : `N = ${largest}`;
  const measured = (kind: Checkpointer, figure: (row: Row) => string) =>
    `${kind}: ${atLargest(kind).map(figure).join(", ")}`;
  return {
    headline: {
      overheadMsPerTask: round(perTask("sqlite"), 4),
      overheadMsPerTaskMemory: round(perTask("memory"), 4),
      overheadN: largest,
      eventLoopP99Ms: round(worstP99, 2),
      eventLoopP99MsMemory: round(p99("memory"), 2),
    },
    figures: { cap: CAP, maxTasksLimit: MAX_TASKS, wantedN: WANTED_N, measuredN: sizes, rows },
    tables: [
      {
        title: `3. Overhead per subtask (independent tasks, cap ${CAP}, SQLite file and MemorySaver, runGraph with sync durability)`,
        columns: [
          "checkpointer",
          "N",
          "worker ms",
          "wall ms",
          "ideal ms",
          "(wall−ideal)/N ms",
          "loop p99 ms",
          "loop max ms",
        ],
        rows: rows.map((r) => [
          r.checkpointer,
          r.n,
          r.latencyMs,
          round(r.wallMs, 0),
          r.idealMs,
          round(r.overheadMsPerTask, 3),
          r.eventLoopP99Ms,
          r.eventLoopMaxMs,
        ]),
        notes: [
          `Median of ${REPEATS} runs each (loop max: the largest of them); each SQLite run on a fresh file. ideal = ceil(N / ${CAP}) × worker latency.`,
          `Headline figures at ${nNote}; the worse of the two worker latencies (eventLoopP99Ms: the worse checkpointer).`,
        ],
      },
    ],
    goals: [
      {
        goal: `overhead ≤ 1 ms per subtask at N = 1,000, cap 32 (SQLite and memory)`,
        measured: `${measured("sqlite", (row) => `${row.overheadMsPerTask.toFixed(3)} ms (${row.latencyMs} ms workers)`)}; ${measured("memory", (row) => `${row.overheadMsPerTask.toFixed(3)} ms (${row.latencyMs} ms workers)`)}; ${nNote}`,
        pass: Math.max(perTask("sqlite"), perTask("memory")) <= 1 && !capped,
      },
      {
        goal: "event-loop p99 < 50 ms (same runs)",
        measured: `${measured("sqlite", (row) => `${row.eventLoopP99Ms.toFixed(1)} ms (${row.latencyMs} ms workers)`)}; ${measured("memory", (row) => `${row.eventLoopP99Ms.toFixed(1)} ms (${row.latencyMs} ms workers)`)}`,
        pass: worstP99 < 50,
      },
    ],
  };
}
