import type { Emit } from "../events.js";
import type { TaskRecord } from "../schemas.js";
import type { TaskBoard, TaskTable } from "./task-board.js";

/**
 * Marks every pending task with a dead or skipped dependency as skipped, transitively.
 * Returns the newly skipped records.
 */
export function propagateSkips(tasks: TaskTable): TaskTable {
  const table = { ...tasks };
  const skipped: TaskTable = {};
  let changed = true;
  while (changed) {
    changed = false;
    for (const task of Object.values(table)) {
      if (task.status !== "pending") continue;
      const blocker = task.dependsOn.find((dep) => table[dep]?.status === "dead" || table[dep]?.status === "skipped");
      if (!blocker) continue;
      const why = table[blocker]!.status === "dead" ? "was dead-lettered" : "was skipped";
      const record: TaskRecord = {
        ...task,
        status: "skipped",
        reason: `dependency "${blocker}" ${why}`,
        blockedBy: blocker,
      };
      table[task.id] = skipped[task.id] = record;
      changed = true;
    }
  }
  return skipped;
}

/** Skips the pending tasks whose dependencies can no longer be done; returns how many. */
export function skipBlocked(board: TaskBoard, emit: Emit): number {
  const skipped = propagateSkips(board.table as TaskTable);
  board.putAll(skipped);
  for (const task of Object.values(skipped)) {
    emit({ type: "task.skipped", taskId: task.id, worker: task.worker, reason: task.reason ?? "" });
  }
  return Object.keys(skipped).length;
}

/** Skips every pending task with the given reason; returns their ids. */
export function skipPending(board: TaskBoard, reason: string, emit: Emit): string[] {
  const skipped = board.all().filter((task) => task.status === "pending");
  for (const task of skipped) {
    board.put({ ...task, status: "skipped", reason });
    emit({ type: "task.skipped", taskId: task.id, worker: task.worker, reason });
  }
  return skipped.map((task) => task.id);
}

/** Stops dispatching under a reached budget: every pending task is skipped, with a note. Returns the run's `stopReason`. */
export function stopDispatching(round: { emit: Emit; notes: string[] }, board: TaskBoard, reached: string): string {
  const stopReason = `run budget reached: ${reached}`;
  const stopped = skipPending(board, stopReason, round.emit);
  if (stopped.length) round.notes.push(`Dispatching stopped: ${stopReason}; ${stopped.length} task(s) not run.`);
  return stopReason;
}
