import { PlanValidationError } from "../../errors.js";
import { validatePlan } from "../../plan/validate.js";
import type { WorkerRegistry } from "../../workers/registry.js";
import { PlanInputSchema, type PlanInput } from "../../schemas.js";
import type { Example } from "../example.js";
import planJson from "./plan.json" with { type: "json" };
import { TRIP_TASK_IDS } from "./plan-ids.js";
import { tripRegistry } from "./workers.js";

/** The default goal of the trip example; its budget makes the cheapest flight the after-midnight red-eye. */
export const TRIP_GOAL = "Plan a 3-day trip to Paris from New York for 2 people, 12–15 May, budget $3,000.";

/** Everything wrong with the trip plan against a registry: plan validation, and ids the workers rely on. */
export function tripPlanIssues(plan: PlanInput, registry: WorkerRegistry): string[] {
  const tasks = PlanInputSchema.parse(plan).tasks;
  const issues = validatePlan(tasks, { workers: registry.names, maxTasks: tasks.length }).map((issue) => issue.message);
  const ids = new Set(tasks.map((task) => task.id));
  const missing = Object.values(TRIP_TASK_IDS).filter((id) => !ids.has(id));
  return [...issues, ...missing.map((id) => `The trip workers refer to task "${id}", which the plan lacks.`)];
}

/** Parses and checks the trip plan; throws a `PlanValidationError` naming every problem. */
export function loadTripPlan(raw: unknown, registry: WorkerRegistry): PlanInput {
  const parsed = PlanInputSchema.safeParse(raw);
  if (!parsed.success) {
    throw new PlanValidationError(
      parsed.error.issues.map((issue) => `${issue.path.join(".")}: ${issue.message}`),
      "trip plan",
    );
  }
  const issues = tripPlanIssues(parsed.data, registry);
  if (issues.length > 0) throw new PlanValidationError(issues, "trip plan");
  return parsed.data;
}

/** The manual breakdown of the trip goal: eight tasks, validated against the trip registry at import. */
export const tripPlan: PlanInput = loadTripPlan(planJson, tripRegistry());

/** The trip planner example, in the shape `--example` runs: its goal, its plan and its registry factory. */
export const tripExample: Example = { goal: TRIP_GOAL, plan: tripPlan, registry: tripRegistry };

export { EXTRA_NIGHT_TASK_ID, TRIP_TASK_IDS } from "./plan-ids.js";
export { TRIP_DATA, type TripDataset } from "./data.js";
export { parseTripRequest, tripRequestFor, TripRequestSchema, type TripRequest } from "./request.js";
export { BUDGET_SHARES } from "./select.js";
export { tripRegistry, TRIP_MEMORY_KEY, TRIP_WORKERS, type TripMemory } from "./workers.js";
