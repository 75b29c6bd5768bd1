import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { MemorySaver } from "@langchain/langgraph";
import { openCheckpointer } from "../../../src/persistence/checkpointer.js";
import type { BenchConfig } from "../config.js";
import { withLoopDelay } from "../loop-delay.js";
import { benchGraph, latencyWorker, runPlan } from "../real.js";
import type { ScenarioOutput } from "../report.js";
import { median, percentile, round } from "../stats.js";
import { buildSuite } from "../suite.js";

const GOALS = 10;

/** Scenario 6: ten goals at once in one process (one compiled graph, ten threads) against one goal alone. */
export async function throughputScenario(config: BenchConfig, log: (line: string) => void): Promise<ScenarioOutput> {
  const plan = buildSuite({ ...config, dags: 1 }).find((p) => p.group === "dag")!;
  const settings = { maxParallel: config.cap, replan: "never" as const };
  const dir = mkdtempSync(join(tmpdir(), "orchestrator-bench-"));
  const rows = [];
  try {
    for (const kind of ["memory", "sqlite"] as const) {
      const handle = kind === "sqlite" ? await openCheckpointer(`sqlite:${join(dir, "throughput.db")}`) : undefined;
      const checkpointer = handle?.saver ?? new MemorySaver();
      const graph = benchGraph([latencyWorker(plan.tasks)], { checkpointer, settings });
      const single = (await runPlan(graph, plan.tasks, { threadId: `${kind}-solo`, settings })).makespanMs;
      const started = performance.now();
      const { value: runs, p99Ms } = await withLoopDelay(() =>
        Promise.all(
          Array.from({ length: GOALS }, (_, i) => runPlan(graph, plan.tasks, { threadId: `${kind}-g${i}`, settings })),
        ),
      );
      const wallMs = performance.now() - started;
      await handle?.close();
      const makespans = runs.map((run) => run.makespanMs);
      const row = {
        checkpointer: kind,
        singleMs: single,
        medianMs: median(makespans),
        p95Ms: percentile(makespans, 95),
        p95OverSingle: percentile(makespans, 95) / single,
        wallMs,
        goalsPerSecond: GOALS / (wallMs / 1000),
        eventLoopP99Ms: p99Ms,
      };
      log(
        `  ${kind}: single ${single.toFixed(0)} ms, ${GOALS} at once p95 ${row.p95Ms.toFixed(0)} ms (${row.p95OverSingle.toFixed(3)}×)`,
      );
      rows.push(row);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const sqlite = rows.find((row) => row.checkpointer === "sqlite")!;
  return {
    headline: { throughputP95OverSingle: round(sqlite.p95OverSingle) },
    figures: { plan: plan.name, goals: GOALS, rows },
    tables: [
      {
        title: `6. Throughput: ${GOALS} goals at once (plan ${plan.name}, ${plan.tasks.length} tasks, cap ${config.cap}, one graph, separate threads)`,
        columns: [
          "checkpointer",
          "single ms",
          "median ms",
          "p95 ms",
          "p95 / single",
          "wall ms",
          "goals/s",
          "loop p99 ms",
        ],
        rows: rows.map((r) => [
          r.checkpointer,
          round(r.singleMs, 0),
          round(r.medianMs, 0),
          round(r.p95Ms, 0),
          r.p95OverSingle,
          round(r.wallMs, 0),
          r.goalsPerSecond,
          r.eventLoopP99Ms,
        ]),
        notes: ["p95 of 10 goals is the nearest rank, i.e. the slowest goal."],
      },
    ],
    goals: [],
  };
}
