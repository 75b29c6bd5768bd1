import { withLatencies } from "./latency.js";
import { diamonds } from "./plans.js";
import { runOurs } from "./real.js";
import { Rng } from "./rng.js";

/** One small run first, so module loading and JIT warm-up do not land in the first measurement. */
export async function warmUp(): Promise<void> {
  const tasks = withLatencies(diamonds(2, 3), "fixed", { unitMs: 1, sigma: 1, capMultiplier: 1 }, new Rng(0));
  for (let i = 0; i < 3; i++) await runOurs(tasks, { cap: 4, threadId: `warm-up-${i}` });
}
