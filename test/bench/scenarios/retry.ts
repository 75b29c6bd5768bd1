import type { BenchConfig } from "../config.js";
import type { BenchTask } from "../plans.js";
import { benchGraph, latencyWorker, runPlan } from "../real.js";
import { medianOf, REPEATS } from "../repeat.js";
import type { ScenarioOutput } from "../report.js";
import { simulate } from "../simulate.js";
import { round } from "../stats.js";

const t = (id: string, latencyMs: number, dependsOn: string[] = []): BenchTask => ({
  id,
  dependsOn,
  cost: 1,
  latencyMs,
});

/**
 * Retry placement: a wave of four tasks where `x` fails once, then a sink that needs all four. In-worker (today:
 * the retry runs inside x's own worker task) against retry-as-new-wave, emulated in the same graph by a plan
 * where the failed attempt is a task `x_try` and the retry `x` depends on it, so it is dispatched in the next wave.
 */
export async function retryScenario(config: BenchConfig, log: (line: string) => void): Promise<ScenarioOutput> {
  const unit = config.latency.unitMs;
  const workMs = 3 * unit;
  const cases = [
    { failure: "late (fails at the end of its call: contract, schema, timeout)", failMs: workMs },
    { failure: "fast (fails at once: HTTP 500, 429)", failMs: 5 },
  ];
  // Retry placement matters under waves (continuous scheduling has no barrier to wait at): pinned to waves.
  const settings = { maxParallel: 8, replan: "never" as const, scheduling: "waves" as const };
  const rows = [];
  for (const { failure, failMs } of cases) {
    const siblings = ["a", "b", "c"].map((id) => t(id, workMs));
    const inWorker = [...siblings, t("x", workMs), t("sink", unit, ["a", "b", "c", "x"])];
    const newWave = [...siblings, t("x_try", failMs), t("x", workMs, ["x_try"]), t("sink", unit, ["a", "b", "c", "x"])];
    const inWorkerGraph = benchGraph([latencyWorker(inWorker, { failFirstAttempt: new Map([["x", failMs]]) })], {
      settings,
    });
    // Chain dispatch would run the retry `x` right after `x_try` in the same worker: off, so it waits for the next wave.
    const newWaveSettings = { ...settings, chainDispatch: false };
    const newWaveGraph = benchGraph([latencyWorker(newWave)], { settings: newWaveSettings });
    const rounds = { inWorker: 0, newWave: 0 };
    const inWorkerMs = await medianOf(REPEATS, async (i) => {
      const run = await runPlan(inWorkerGraph, inWorker, { threadId: `retry-in-${failMs}-${i}`, settings });
      if (run.summary.tasks.find((task) => task.id === "x")?.attempts !== 2)
        throw new Error("retry bench: x should have taken two attempts");
      rounds.inWorker = run.waves.length;
      return run.makespanMs;
    });
    const newWaveMs = await medianOf(REPEATS, async (i) => {
      const run = await runPlan(newWaveGraph, newWave, {
        threadId: `retry-new-${failMs}-${i}`,
        settings: newWaveSettings,
      });
      rounds.newWave = run.waves.length;
      return run.makespanMs;
    });
    const sim = (tasks: BenchTask[]) => simulate(tasks, { cap: 8, dispatch: "waves", priority: "cp" }).makespanMs;
    const simIn = sim(inWorker.map((task) => (task.id === "x" ? { ...task, latencyMs: failMs + workMs } : task)));
    const simNew = sim(newWave);
    const row = {
      failure,
      failMs,
      inWorkerMs,
      inWorkerRounds: rounds.inWorker,
      newWaveMs,
      newWaveRounds: rounds.newWave,
      savedMs: newWaveMs - inWorkerMs,
      simInWorkerMs: simIn,
      simNewWaveMs: simNew,
    };
    log(
      `  ${failure.split(" ")[0]}: in-worker ${row.inWorkerMs.toFixed(0)} ms vs new wave ${row.newWaveMs.toFixed(0)} ms`,
    );
    rows.push(row);
  }
  return {
    headline: {
      retryInWorkerSavedMsLate: round(rows[0]!.savedMs, 1),
      retryInWorkerSavedMsFast: round(rows[1]!.savedMs, 1),
    },
    figures: { workMs, sinkMs: unit, rows },
    tables: [
      {
        title: `Retry placement: 4 tasks of ${workMs} ms, one fails once, then a ${unit} ms sink (real graph, scheduling waves, median of ${REPEATS})`,
        columns: [
          "failure",
          "in-worker ms",
          "rounds",
          "new-wave ms",
          "rounds",
          "saved ms",
          "sim in-worker",
          "sim new-wave",
        ],
        rows: rows.map((r) => [
          r.failure,
          round(r.inWorkerMs, 0),
          r.inWorkerRounds,
          round(r.newWaveMs, 0),
          r.newWaveRounds,
          r.savedMs,
          r.simInWorkerMs,
          r.simNewWaveMs,
        ]),
        notes: [
          "A retry inside the worker overlaps its siblings; as a new wave it waits for the slowest sibling and costs one more orchestrator round.",
        ],
      },
    ],
    goals: [],
  };
}
