import type { WorkerRegistry } from "../workers/registry.js";
import type { PlanInput } from "../schemas.js";
import { tripExample } from "./trip/index.js";

/** A bundled example: its goal, its manual breakdown (used offline) and its workers. */
export interface Example {
  goal: string;
  plan: PlanInput;
  registry(): WorkerRegistry;
}

/** The examples `--example <name>` can run. */
export const EXAMPLES: Record<string, Example> = { trip: tripExample };
