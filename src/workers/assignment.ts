import type { Emit } from "../events.js";
import {
  dependencyResult,
  type TaskResult,
  type WorkerAssignment,
  type WorkerInput,
  type WorkerStep,
} from "../schemas.js";

/** A step's input: the run's fields, the step's task, its routed dependencies plus the results this worker produced for it earlier. */
export function stepInput(
  assignment: WorkerAssignment,
  step: WorkerStep,
  results: Record<string, TaskResult>,
): WorkerInput {
  const dependencies = { ...step.dependencies };
  for (const id of step.task.dependsOn) {
    const result = results[id];
    if (!result) continue;
    const title = assignment.steps.find((other) => other.task.id === id)?.task.title ?? id;
    dependencies[id] = dependencyResult(title, result);
  }
  const { goal, fenceSeed, runId } = assignment;
  return {
    goal,
    ...(fenceSeed ? { fenceSeed } : {}),
    ...(runId ? { runId } : {}),
    task: step.task,
    dependencies,
    dispatch: step.dispatch,
  };
}

/**
 * Runs a chain of tasks in order, each step seeing the results of the steps before it. The chain stops early
 * at a failed task, one that proposes follow-ups (the orchestrator decides first), or when `stopReason` gives a
 * reason before the next step (a run budget reached, a graceful stop); tasks not run go back to pending.
 */
export async function runChain(
  assignment: WorkerAssignment,
  runStep: (input: WorkerInput) => Promise<TaskResult>,
  emit: Emit,
  stopReason: () => string | undefined = () => undefined,
): Promise<Record<string, TaskResult>> {
  const results: Record<string, TaskResult> = {};
  for (const [i, step] of assignment.steps.entries()) {
    if (i > 0 && stopReason()) break;
    if (i > 0) emit({ type: "task.queued", taskId: step.task.id, worker: step.task.worker, rank: step.rank });
    const result = await runStep(stepInput(assignment, step, results));
    results[step.task.id] = result;
    if (result.status !== "done" || result.followUps.length > 0) break;
  }
  return results;
}
