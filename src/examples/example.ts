import type { PlanInput } from "../schemas.js";
import type { WorkerRegistry } from "../workers/registry.js";

/** A bundled example: its goal, its manual breakdown (used offline; without one it needs a model) and its workers. */
export interface Example {
  goal: string;
  plan?: PlanInput;
  registry(): WorkerRegistry;
}
