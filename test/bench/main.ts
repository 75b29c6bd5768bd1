import { writeFileSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { compareTable, readResult } from "./compare.js";
import { parseArgs, type BenchConfig, type ScenarioName } from "./config.js";
import { formatTable, goalsTable, type ScenarioOutput } from "./report.js";
import { checkpointScenario } from "./scenarios/checkpoint.js";
import { endToEndScenario } from "./scenarios/end-to-end.js";
import { makespanScenario } from "./scenarios/makespan.js";
import { overheadScenario } from "./scenarios/overhead.js";
import { peersScenario } from "./scenarios/peers.js";
import { retryScenario } from "./scenarios/retry.js";
import { throughputScenario } from "./scenarios/throughput.js";
import { tokensScenario } from "./scenarios/tokens.js";
import { tripScenario } from "./scenarios/trip.js";
import { warmUp } from "./warm-up.js";
import { oursSettings } from "./real.js";

type Scenario = (config: BenchConfig, log: (line: string) => void) => Promise<ScenarioOutput>;

const RUNNERS: Record<ScenarioName, Scenario> = {
  makespan: makespanScenario,
  trip: tripScenario,
  overhead: overheadScenario,
  checkpoint: checkpointScenario,
  tokens: tokensScenario,
  throughput: throughputScenario,
  retry: retryScenario,
  peers: peersScenario,
  "end-to-end": endToEndScenario,
};

const seconds = (since: number) => Number(((performance.now() - since) / 1000).toFixed(1));

/** Runs the chosen scenarios; prints the tables (or, with --json, one JSON object); returns the exit code. */
export async function main(argv: readonly string[]): Promise<number> {
  let config: BenchConfig;
  try {
    config = parseArgs(argv);
  } catch (error) {
    console.error((error as Error).message);
    return 2;
  }
  if (config.scheduling) oursSettings.scheduling = config.scheduling;
  const log = (line: string) => console.error(line);
  const started = performance.now();
  const loadBefore = loadavg();
  await warmUp();
  const outputs: Partial<Record<ScenarioName, ScenarioOutput>> = {};
  const timings: Record<string, number> = {};
  for (const name of config.only) {
    log(`[bench] ${name}…`);
    const t0 = performance.now();
    outputs[name] = await RUNNERS[name](config, log);
    timings[name] = seconds(t0);
    if (!config.json) console.log(`${outputs[name]!.tables.map(formatTable).join("\n\n")}\n`);
  }
  const all = Object.values(outputs) as ScenarioOutput[];
  const goals = all.flatMap((output) => output.goals);
  const result = {
    ...Object.assign({}, ...all.map((output) => output.headline)),
    goals,
    config: {
      ...config,
      node: process.version,
      cpus: cpus().length,
      loadAverage: { before: loadBefore, after: loadavg() },
    },
    seconds: { ...timings, total: seconds(started) },
    scenarios: Object.fromEntries(Object.entries(outputs).map(([name, output]) => [name, output!.figures])),
  };
  if (config.out) writeFileSync(config.out, `${JSON.stringify(result, null, 2)}\n`);
  if (config.json) {
    console.log(JSON.stringify(result, null, 2));
    return 0;
  }
  console.log(formatTable(goalsTable(goals)));
  if (config.compare) console.log(`\n${formatTable(compareTable(readResult(config.compare), result, config.compare))}`);
  const load = (values: number[]) => values.map((x) => x.toFixed(2)).join(" ");
  console.log(`\nload average before/after: ${load(loadBefore)} / ${load(loadavg())} on ${cpus().length} cores`);
  console.log(
    `bench: ${result.seconds.total} s (${Object.entries(timings)
      .map(([k, v]) => `${k} ${v} s`)
      .join(", ")})`,
  );
  return 0;
}
