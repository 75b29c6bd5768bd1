import tripPlanJson from "../../src/examples/trip/plan.json" with { type: "json" };
import type { Rng } from "./rng.js";

/** A task's shape: its id, its dependencies and the planner's cost estimate (the scheduler's `estimatedCost`). */
export interface TaskShape {
  id: string;
  dependsOn: string[];
  cost: number;
}

/** A task with the latency it will really take (ms), drawn once from the latency model. */
export interface BenchTask extends TaskShape {
  latencyMs: number;
}

export type PlanCategory = "independent" | "chain" | "diamond" | "dag" | "trip" | "tokens";

/** A plan of the suite: tasks in plan order (the order a planner lists them, which FIFO follows). */
export interface BenchPlan {
  name: string;
  category: PlanCategory;
  latency: "fixed" | "heavy";
  tasks: BenchTask[];
}

const pad = (i: number) => String(i).padStart(2, "0");
const unitCosts = () => 1;

/** `n` tasks without dependencies. */
export function independent(n: number, cost: (i: number) => number = unitCosts): TaskShape[] {
  return Array.from({ length: n }, (_, i) => ({ id: `t${pad(i)}`, dependsOn: [], cost: cost(i) }));
}

/** One chain of `n` tasks. */
export function chain(n: number, cost: (i: number) => number = unitCosts, prefix = "t"): TaskShape[] {
  return Array.from({ length: n }, (_, i) => ({
    id: `${prefix}${pad(i)}`,
    dependsOn: i ? [`${prefix}${pad(i - 1)}`] : [],
    cost: cost(i),
  }));
}

/** `k` independent chains of `length` tasks, listed chain by chain. */
export function parallelChains(k: number, length: number, cost: (i: number) => number = unitCosts): TaskShape[] {
  return Array.from({ length: k }, (_, c) => chain(length, (i) => cost(c * length + i), `c${c}_`)).flat();
}

/** A source, `width` tasks that need it, and a sink that needs them all; `count` of them in series. */
export function diamonds(count: number, width: number, cost: (i: number) => number = unitCosts): TaskShape[] {
  const tasks: TaskShape[] = [];
  let previous: string | undefined;
  for (let d = 0; d < count; d++) {
    const source = previous ?? `d${d}_src`;
    if (!previous) tasks.push({ id: source, dependsOn: [], cost: cost(tasks.length) });
    const middle = Array.from({ length: width }, (_, i) => `d${d}_m${i}`);
    for (const id of middle) tasks.push({ id, dependsOn: [source], cost: cost(tasks.length) });
    previous = `d${d}_sink`;
    tasks.push({ id: previous, dependsOn: middle, cost: cost(tasks.length) });
  }
  return tasks;
}

/**
 * A random layered DAG of `n` tasks: 3–6 layers, every task of a layer needs one task of the layer above
 * and up to two more from any earlier layer; costs 1–5. Listed layer by layer (as a planner would).
 */
export function randomDag(n: number, rng: Rng): TaskShape[] {
  const layers = rng.int(3, 6);
  const layerOf = Array.from({ length: n }, (_, i) => (i < layers ? i : rng.int(0, layers - 1))).sort((a, b) => a - b);
  const ids = layerOf.map((_, i) => `t${pad(i)}`);
  const byLayer = (l: number) => ids.filter((_, i) => layerOf[i] === l);
  return ids.map((id, i) => {
    const layer = layerOf[i]!;
    if (layer === 0) return { id, dependsOn: [], cost: rng.int(1, 5) };
    const above = rng.sample(byLayer(layer - 1), 1);
    const earlier = ids.filter((_, j) => layerOf[j]! < layer && !above.includes(ids[j]!));
    const extra = rng.sample(earlier, rng.int(0, 2));
    return { id, dependsOn: [...above, ...extra].sort(), cost: rng.int(1, 5) };
  });
}

/** The trip example's plan (src/examples/trip/plan.json): 8 tasks, one 4-task chain through it. */
export function tripShape(): TaskShape[] {
  return tripPlanJson.tasks.map((task) => ({
    id: task.id,
    dependsOn: [...task.dependsOn],
    cost: (task as { estimatedCost?: number }).estimatedCost ?? 1,
  }));
}

/**
 * A 10-task research DAG for the token scenario: four sources, three pairwise analyses, a draft, a review
 * of the draft, and a final report from draft and review.
 */
export function tokenDag(): TaskShape[] {
  const t = (id: string, dependsOn: string[] = []): TaskShape => ({ id, dependsOn, cost: 1 });
  return [
    t("src_a"),
    t("src_b"),
    t("src_c"),
    t("src_d"),
    t("ana_ab", ["src_a", "src_b"]),
    t("ana_cd", ["src_c", "src_d"]),
    t("ana_bc", ["src_b", "src_c"]),
    t("draft", ["ana_ab", "ana_bc", "ana_cd"]),
    t("review", ["draft"]),
    t("final", ["draft", "review"]),
  ];
}
