import type { LatencyModel } from "./latency.js";

export const SCENARIOS = [
  "makespan",
  "trip",
  "overhead",
  "checkpoint",
  "tokens",
  "throughput",
  "retry",
  "peers",
  "end-to-end",
] as const;
export type ScenarioName = (typeof SCENARIOS)[number];

/** Everything a run depends on: same config, same plans, same latencies. */
export interface BenchConfig {
  seed: number;
  latency: LatencyModel;
  /** `maxParallel` of the scheduling suite: below the width of its DAGs, so priority matters. */
  cap: number;
  /** Random 30-task DAGs in the suite. */
  dags: number;
  quick: boolean;
  json: boolean;
  /** Also write the JSON object to this file (npm prints its own banner on stdout; `npm run -s` drops it). */
  out?: string;
  /** A JSON file of an earlier run: print each headline figure and goal before and now. */
  compare?: string;
  only: ScenarioName[];
  /** The scheduling setting of "ours"; unset, the product's default (continuous). */
  scheduling?: "waves" | "continuous";
}

const USAGE = `Usage: npm run -s bench -- [--json] [--out bench.json] [--compare before.json] [--quick] [--only makespan,trip,overhead,checkpoint,tokens,throughput,retry,peers,end-to-end]
                       [--seed 1] [--unit 50] [--sigma 1] [--cap 4] [--dags 20] [--scheduling waves|continuous]`;

/** Parses the bench's flags; throws with the usage on a bad one. */
export function parseArgs(argv: readonly string[]): BenchConfig {
  const config: BenchConfig = {
    seed: 1,
    latency: { unitMs: 50, sigma: 1, capMultiplier: 10 },
    cap: 4,
    dags: 20,
    quick: false,
    json: false,
    only: [...SCENARIOS],
  };
  const number = (flag: string, value: string | undefined) => {
    const parsed = Number(value);
    if (value === undefined || !Number.isFinite(parsed) || parsed <= 0)
      throw new Error(`${flag} needs a positive number.\n${USAGE}`);
    return parsed;
  };
  let dagsSet = false;
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i]!;
    if (flag === "--json") config.json = true;
    else if (flag === "--quick") config.quick = true;
    else if (flag === "--scheduling") {
      const mode = argv[++i];
      if (mode !== "waves" && mode !== "continuous")
        throw new Error(`--scheduling takes waves or continuous.\n${USAGE}`);
      config.scheduling = mode;
    } else if (flag === "--out" || flag === "--compare") {
      const file = argv[++i];
      if (!file) throw new Error(`${flag} needs a file name.\n${USAGE}`);
      config[flag === "--out" ? "out" : "compare"] = file;
    } else if (flag === "--only") {
      const names = (argv[++i] ?? "").split(",").filter(Boolean);
      const unknown = names.filter((name) => !(SCENARIOS as readonly string[]).includes(name));
      if (names.length === 0 || unknown.length)
        throw new Error(`--only takes scenario names; unknown: ${unknown.join(", ") || "(none given)"}\n${USAGE}`);
      config.only = names as ScenarioName[];
    } else if (flag === "--seed") config.seed = Math.round(number(flag, argv[++i]));
    else if (flag === "--unit") config.latency.unitMs = number(flag, argv[++i]);
    else if (flag === "--sigma") config.latency.sigma = number(flag, argv[++i]);
    else if (flag === "--cap") config.cap = Math.round(number(flag, argv[++i]));
    else if (flag === "--dags") (config.dags = Math.round(number(flag, argv[++i]))), (dagsSet = true);
    else if (flag === "--help" || flag === "-h") throw new Error(USAGE);
    else throw new Error(`Unknown flag ${flag}.\n${USAGE}`);
  }
  if (config.quick && !dagsSet) config.dags = 5;
  return config;
}
