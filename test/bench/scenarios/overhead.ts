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

/** Scenario 3: graph cost per subtask, and how long the event loop is blocked, at cap 32. */
export async function overheadScenario(config: BenchConfig, log: (line: string) => void): Promise<ScenarioOutput> {
  const sizes = [...new Set((config.quick ? WANTED_N.slice(0, 2) : WANTED_N).map((n) => Math.min(n, MAX_TASKS)))];
  const rows = [];
  for (const latencyMs of [0, 50]) {
    for (const n of sizes) {
      const tasks = independent(n).map((task) => ({ ...task, latencyMs }));
      const idealMs = Math.ceil(n / CAP) * latencyMs;
      const runs = [];
      for (let i = 0; i < REPEATS; i++) {
        const { value: run, p99Ms, maxMs } = await withLoopDelay(() => runOurs(tasks, { cap: CAP, threadId: `overhead-${latencyMs}-${n}-${i}` }));
        runs.push({ wallMs: run.makespanMs, rounds: run.waves.length, p99: p99Ms, max: maxMs });
      }
      const wallMs = median(runs.map((r) => r.wallMs));
      const rounds = runs[0]!.rounds;
      const row = {
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
      log(`  N=${n}, ${latencyMs} ms workers: ${row.overheadMsPerTask.toFixed(3)} ms/task, event loop p99 ${row.eventLoopP99Ms.toFixed(1)} ms`);
      rows.push(row);
    }
  }
  const largest = Math.max(...sizes);
  const atLargest = rows.filter((row) => row.n === largest);
  const perTask = max(atLargest.map((row) => row.overheadMsPerTask));
  const p99 = max(atLargest.map((row) => row.eventLoopP99Ms));
  const capped = largest < WANTED_N[WANTED_N.length - 1]! && !config.quick;
  const nNote = capped ? `N = ${largest}: N = 1,000 is rejected by maxTasks ≤ ${MAX_TASKS} (settings schema)` : `N = ${largest}`;
  return {
    headline: { overheadMsPerTask: round(perTask, 4), overheadN: largest, eventLoopP99Ms: round(p99, 2) },
    figures: { cap: CAP, maxTasksLimit: MAX_TASKS, wantedN: WANTED_N, measuredN: sizes, rows },
    tables: [
      {
        title: `3. Overhead per subtask (independent tasks, cap ${CAP}, MemorySaver, runGraph with sync durability)`,
        columns: ["N", "worker ms", "wall ms", "ideal ms", "(wall−ideal)/N ms", "rounds", "ms/round", "loop p99 ms", "loop max ms"],
        rows: rows.map((r) => [
          r.n,
          r.latencyMs,
          round(r.wallMs, 0),
          r.idealMs,
          round(r.overheadMsPerTask, 3),
          r.rounds,
          r.overheadMsPerRound,
          r.eventLoopP99Ms,
          r.eventLoopMaxMs,
        ]),
        notes: [
          `Median of ${REPEATS} runs each (loop max: the largest of them). ideal = ceil(N / ${CAP}) × worker latency; a round = one orchestrator step + one worker superstep.`,
          `Headline figures at ${nNote}; the worse of the two worker latencies.`,
        ],
      },
    ],
    goals: [
      {
        goal: `overhead ≤ 1 ms per subtask at N = 1,000, cap 32`,
        measured: `${atLargest.map((row) => `${row.overheadMsPerTask.toFixed(3)} ms (${row.latencyMs} ms workers)`).join(", ")}; ${nNote}`,
        pass: perTask <= 1 && !capped,
      },
      {
        goal: "event-loop p99 < 50 ms (same runs)",
        measured: atLargest.map((row) => `${row.eventLoopP99Ms.toFixed(1)} ms with ${row.latencyMs} ms workers`).join(", "),
        pass: p99 < 50,
      },
    ],
  };
}
