import type { TaskResult, TaskSpec } from "../schemas.js";
import { addUsage, ZERO_USAGE, type Usage } from "../budget/usage.js";
import type { TaskTable } from "./task-board.js";

/** What a worker was given of a task: an early run counts only if the adopted plan's task is the same in all of it. */
const asRun = (task: Omit<TaskSpec, "blocks">) =>
  JSON.stringify([
    task.title,
    task.description,
    task.worker,
    [...task.dependsOn].sort(),
    task.expectedOutput,
    [...(task.requires ?? [])].sort(),
  ]);

/**
 * Reconciles the tasks a pool started while the plan streamed with the plan adopted at its end (edits `table`):
 * a task the plan kept as it was started is running, its result kept; one the plan dropped or changed (another
 * worker, description or dependencies: a repair, or a re-made planner call after a crash) has its early result
 * discarded, noted, and, if changed, runs again as planned. The discarded runs' usage still counts.
 */
export function keepStartedTasks(
  table: TaskTable,
  launched: readonly TaskSpec[],
  results: Readonly<Record<string, TaskResult>>,
  notes: string[],
): { results: Record<string, TaskResult>; discardedUsage: Usage } {
  const kept: Record<string, TaskResult> = {};
  let discardedUsage = ZERO_USAGE;
  for (const early of launched) {
    const result = results[early.id];
    if (!result) continue;
    const planned = table[early.id];
    if (planned && asRun(planned) === asRun(early)) {
      table[early.id] = { ...planned, status: "running", dispatches: 1 };
      kept[early.id] = result;
      continue;
    }
    discardedUsage = addUsage(discardedUsage, result.usage);
    if (planned) {
      table[early.id] = { ...planned, dispatches: 1 };
      notes.push(
        `Task "${early.id}" started while the plan streamed, but the final plan changed it: its early result is ` +
          "discarded and it runs again as planned.",
      );
    } else {
      notes.push(
        `Task "${early.id}" started while the plan streamed, but the final plan dropped it: its result is discarded.`,
      );
    }
  }
  return { results: kept, discardedUsage };
}
