import type { BenchTask, TaskShape } from "./plans.js";
import type { Rng } from "./rng.js";

/**
 * How long a task really takes: `unitMs × cost` (fixed), times a seeded lognormal multiplier with mean 1
 * (heavy), capped at `capMultiplier` so one draw cannot stall the whole bench.
 */
export interface LatencyModel {
  unitMs: number;
  sigma: number;
  capMultiplier: number;
}

/** Draws every task's latency once; whole milliseconds, so the simulators and the timers agree. */
export function withLatencies(
  shapes: readonly TaskShape[],
  kind: "fixed" | "heavy",
  model: LatencyModel,
  rng: Rng,
): BenchTask[] {
  return shapes.map((shape) => {
    const multiplier = kind === "fixed" ? 1 : Math.min(model.capMultiplier, rng.lognormal(model.sigma));
    return { ...shape, latencyMs: Math.max(1, Math.round(model.unitMs * shape.cost * multiplier)) };
  });
}
