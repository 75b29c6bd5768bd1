import { withLatencies, type LatencyModel } from "./latency.js";
import {
  chain,
  diamonds,
  independent,
  parallelChains,
  randomDag,
  tripShape,
  type BenchPlan,
  type PlanCategory,
  type TaskShape,
} from "./plans.js";
import { Rng } from "./rng.js";

export interface SuiteOptions {
  seed: number;
  /** How many random 30-task DAGs. */
  dags: number;
  latency: LatencyModel;
}

/** Scheduling-suite categories: the goal of ≤1.05× applies to `independent` and `chain`. */
export type SuiteCategory = Exclude<PlanCategory, "trip" | "tokens"> | "chains";

export interface SuitePlan extends BenchPlan {
  group: SuiteCategory;
}

/** The seeded suite: independent tasks, chains, parallel chains, diamonds, and random 30-task DAGs. */
export function buildSuite(options: SuiteOptions): SuitePlan[] {
  const costs = (rng: Rng) => () => rng.int(1, 5);
  const specs: { name: string; group: SuiteCategory; latency: "fixed" | "heavy"; shape: (rng: Rng) => TaskShape[] }[] =
    [
      { name: "independent-8", group: "independent", latency: "fixed", shape: () => independent(8) },
      { name: "independent-16", group: "independent", latency: "heavy", shape: (rng) => independent(16, costs(rng)) },
      { name: "chain-8", group: "chain", latency: "fixed", shape: () => chain(8) },
      { name: "chain-8", group: "chain", latency: "heavy", shape: (rng) => chain(8, costs(rng)) },
      { name: "chains-3x5", group: "chains", latency: "heavy", shape: (rng) => parallelChains(3, 5, costs(rng)) },
      { name: "chains-6x4", group: "chains", latency: "heavy", shape: (rng) => parallelChains(6, 4, costs(rng)) },
      { name: "diamond-4", group: "diamond", latency: "fixed", shape: () => diamonds(1, 4) },
      { name: "diamond-6", group: "diamond", latency: "heavy", shape: (rng) => diamonds(1, 6, costs(rng)) },
      { name: "diamonds-3x3", group: "diamond", latency: "heavy", shape: (rng) => diamonds(3, 3, costs(rng)) },
      ...Array.from({ length: options.dags }, (_, i) => ({
        name: `dag-${String(i).padStart(2, "0")}`,
        group: "dag" as const,
        latency: "heavy" as const,
        shape: (rng: Rng) => randomDag(30, rng),
      })),
    ];
  return specs.map((spec, i) => {
    const rng = new Rng(options.seed * 7919 + i);
    return {
      name: `${spec.name}/${spec.latency}`,
      category: spec.group === "chains" ? "chain" : spec.group,
      group: spec.group,
      latency: spec.latency,
      tasks: withLatencies(spec.shape(rng), spec.latency, options.latency, rng),
    };
  });
}

/** The trip-shaped plan with fixed unit latencies (the headline) or seeded heavy-tailed ones. */
export function tripPlan(kind: "fixed" | "heavy", options: Pick<SuiteOptions, "seed" | "latency">): BenchPlan {
  const rng = new Rng(options.seed * 104729 + (kind === "fixed" ? 0 : 1));
  return {
    name: `trip-8/${kind}`,
    category: "trip",
    latency: kind,
    tasks: withLatencies(tripShape(), kind, options.latency, rng),
  };
}
