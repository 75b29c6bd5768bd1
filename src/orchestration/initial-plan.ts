import { PlanValidationError } from "../errors.js";
import { planGoal } from "../plan/planner.js";
import { breakCycles } from "../plan/cycles.js";
import { catalogRules, fatalPlanIssues } from "../plan/validate.js";
import type { Emit } from "../events.js";
import type { DroppedEdge, PlanOutcome, TaskSpec } from "../schemas.js";
import type { PlanSource, ReviewRequest } from "../state.js";
import { ZERO_USAGE, type Usage } from "../budget/usage.js";
import type { Round } from "./round.js";
import { tableOf, toRecords, type TaskTable } from "./task-board.js";

/** Where the first plan comes from: a plan to run, or a request for a human breakdown. */
export type InitialPlan =
  | { kind: "plan"; specs: TaskSpec[]; source: PlanSource; usage: Usage }
  | { kind: "human"; request: ReviewRequest; usage: Usage };

/** The single-task plan used when planning fails and no better fallback exists. */
export function singleTaskPlan(goal: string, worker: string): TaskSpec[] {
  return [
    {
      id: "goal",
      title: goal.length > 80 ? `${goal.slice(0, 77)}…` : goal,
      description: goal,
      worker,
      dependsOn: [],
      expectedOutput: "",
      estimatedCost: 1,
      complex: false,
    },
  ];
}

/**
 * The first plan of a goal, in order of preference: the caller's plan (it must validate), the planner's,
 * the caller's fallback plan, a human breakdown (with `humanFallback`), or the goal as a single task.
 * Notes on what happened go to the round; the planner sees the chat `conversation` so far, if any. A plan that
 * already streamed into a pool comes as its `streamed` outcome instead of a planner call.
 */
export async function choosePlan(
  round: Round,
  conversation?: { text: string; nonce: string },
  streamed?: PlanOutcome,
): Promise<InitialPlan> {
  const { state, settings, deps, notes } = round;
  const fatal = (specs: readonly TaskSpec[]) =>
    fatalPlanIssues(specs, { ...catalogRules(deps.registry), maxTasks: settings.maxTasks });
  if (state.plan) {
    const specs = state.plan.tasks;
    const issues = fatal(specs);
    if (issues.length) throw new PlanValidationError(issues, "input plan");
    return { kind: "plan", specs, source: "input", usage: ZERO_USAGE };
  }
  const outcome =
    streamed ??
    (deps.models.configured
      ? await planGoal(round.planner(), state.goal, deps.registry, settings, round.signal, conversation)
      : {
          ok: false as const,
          draft: [],
          errors: ["no model is configured for the planner"],
          usage: ZERO_USAGE,
          repairs: 0,
        });
  const { usage } = outcome;
  if (outcome.ok) {
    if (outcome.repairs > 0) notes.push(`The plan was repaired ${outcome.repairs} time(s) before it validated.`);
    return { kind: "plan", specs: outcome.tasks, source: "planner", usage };
  }
  const failure = `Planning failed (${outcome.errors.join("; ")})`;
  if (state.fallbackPlan && fatal(state.fallbackPlan.tasks).length === 0) {
    notes.push(`${failure}; the caller's fallback plan runs instead.`);
    return { kind: "plan", specs: state.fallbackPlan.tasks, source: "caller-fallback", usage };
  }
  if (settings.humanFallback) {
    notes.push(`${failure}; waiting for a human breakdown.`);
    const request: ReviewRequest = {
      kind: "manual_breakdown",
      goal: state.goal,
      tasks: outcome.draft,
      errors: outcome.errors,
    };
    return { kind: "human", request, usage };
  }
  notes.push(`${failure}; the goal runs as a single task.`);
  return { kind: "plan", specs: singleTaskPlan(state.goal, deps.registry.defaultWorker), source: "single-task", usage };
}

/**
 * Adopts a validated plan: breaks its cycles (each dropped edge noted), announces it with `plan.created`, and
 * returns its task table.
 */
export function adoptPlan(
  specs: readonly TaskSpec[],
  source: PlanSource,
  emit: Emit,
  notes: string[],
): { tasks: TaskSpec[]; table: TaskTable; dropped: DroppedEdge[] } {
  const { tasks, dropped } = breakCycles(specs);
  for (const edge of dropped)
    notes.push(`Dropped dependency ${edge.task} → ${edge.dependsOn} to break the cycle ${edge.cycle.join(" → ")}.`);
  emit({
    type: "plan.created",
    source,
    tasks: tasks.map((task) => ({ id: task.id, title: task.title, worker: task.worker, dependsOn: task.dependsOn })),
  });
  return { tasks, table: tableOf(toRecords(tasks, "plan", 0)), dropped };
}
