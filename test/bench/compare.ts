import { readFileSync } from "node:fs";
import type { Goal, Table } from "./report.js";

/** The part of a bench JSON object that a comparison reads. */
export interface BenchResult {
  goals: Goal[];
  [key: string]: unknown;
}

/** Reads a JSON object written by `--out` (or `--json`, with or without npm's banner before it). */
export function readResult(path: string): BenchResult {
  const text = readFileSync(path, "utf8");
  return JSON.parse(text.slice(text.indexOf("{"))) as BenchResult;
}

const headline = (result: BenchResult) =>
  Object.entries(result).filter(([, value]) => typeof value === "number" || typeof value === "boolean") as [
    string,
    number | boolean,
  ][];

/** A table of every headline figure and goal, before (the baseline file) and now. */
export function compareTable(baseline: BenchResult, current: BenchResult, baselinePath: string): Table {
  const before = new Map(headline(baseline));
  const rows: Table["rows"] = headline(current).map(([key, now]) => {
    const then = before.get(key);
    const change =
      typeof now === "number" && typeof then === "number" && then !== 0
        ? `${(((now - then) / Math.abs(then)) * 100).toFixed(1)}%`
        : "";
    return [key, then ?? null, now, change];
  });
  const goalsBefore = new Map(baseline.goals.map((goal) => [goal.goal, goal.pass]));
  for (const goal of current.goals) {
    const then = goalsBefore.get(goal.goal);
    rows.push([
      goal.goal,
      then === undefined ? null : then ? "PASS" : "FAIL",
      goal.pass ? "PASS" : "FAIL",
      then !== undefined && then !== goal.pass ? "changed" : "",
    ]);
  }
  const inputs = (result: BenchResult) => {
    const config = (result.config ?? {}) as Record<string, unknown>;
    return JSON.stringify([config.seed, config.latency, config.cap, config.dags, config.quick]);
  };
  const notes =
    inputs(baseline) === inputs(current)
      ? []
      : ["The two runs used different inputs (seed, latency model, cap, DAG count or --quick): compare with care."];
  return { title: `Compared with ${baselinePath}`, columns: ["figure", "before", "now", "change"], rows, notes };
}
