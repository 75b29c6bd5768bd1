import { task as durableTask } from "@langchain/langgraph";
import { dependentsOf } from "../dag.js";
import type { Emit } from "../events.js";
import type { TaskResult, WorkerAssignment, WorkerInput } from "../schemas.js";
import { stepInput } from "./assignment.js";

/**
 * Continuous scheduling: runs the pool's tasks with `slots` at a time; a slot that frees takes the best task whose
 * dependencies are done, at once. Which task finished first is itself a durable record, so a resumed run replays
 * the same launches in the same order and every finished task comes back from its checkpoint. A task whose
 * dependency failed or proposed follow-ups is left for the orchestrator.
 */
export async function runPool(
  assignment: WorkerAssignment,
  slots: number,
  runStep: (input: WorkerInput) => Promise<TaskResult>,
  emit: Emit,
): Promise<Record<string, TaskResult>> {
  const { steps } = assignment;
  const position = new Map(steps.map((step, i) => [step.task.id, i]));
  const waitingOn = steps.map((step) => step.task.dependsOn.filter((id) => position.has(id)).length);
  const dependents = dependentsOf(steps.map((step) => step.task));
  const results: Record<string, TaskResult> = {};
  const running = new Map<string, Promise<TaskResult>>();
  // Ready steps by position: the steps come highest rank first, so the lowest position is the best.
  const ready = steps.flatMap((_, i) => (waitingOn[i] === 0 ? [i] : []));
  const firstDone = durableTask("next_done", (ids: string[]) => Promise.race(ids.map((id) => running.get(id)!.then(() => id))));
  const launch = () => {
    while (running.size < slots && ready.length > 0) {
      const { rank, ...step } = steps[ready.shift()!]!;
      emit({ type: "task.queued", taskId: step.task.id, worker: step.task.worker, rank });
      running.set(step.task.id, runStep(stepInput(assignment, step, results)));
    }
  };
  launch();
  while (running.size > 0) {
    const id = await firstDone([...running.keys()]);
    const result = (results[id] = await running.get(id)!);
    running.delete(id);
    // Dependents of a failed task, or of one that proposed follow-ups, are left for the orchestrator.
    if (result.status === "done" && result.followUps.length === 0) {
      for (const dependent of dependents.get(id) ?? []) {
        const i = position.get(dependent.id)!;
        if (--waitingOn[i]! === 0) ready.splice(sortedIndex(ready, i), 0, i);
      }
    }
    launch();
  }
  return results;
}

/** Where `value` goes in an ascending array. */
function sortedIndex(sorted: readonly number[], value: number): number {
  let low = 0;
  let high = sorted.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if (sorted[mid]! < value) low = mid + 1;
    else high = mid;
  }
  return low;
}
