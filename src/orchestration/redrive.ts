import { ConfigError, NotDeadLetteredError } from "../errors.js";
import type { TaskRecord } from "../schemas.js";
import type { State, Update } from "../state.js";
import { runUsage } from "../budget/usage.js";

/** The dead letters a re-drive takes: the given ids, each of which must be one, or else all; none at all is refused. */
export function chosenDeadLetters(dead: readonly string[], taskIds?: readonly string[]): string[] {
  const chosen = taskIds?.length ? [...new Set(taskIds)] : [...dead];
  for (const id of chosen) if (!dead.includes(id)) throw new NotDeadLetteredError(id, dead);
  if (chosen.length === 0) throw new ConfigError("The run has no dead letters to re-drive.");
  return chosen;
}

/**
 * The state update that re-queues dead letters (all, or the given ids; a run without any is refused): the tasks go
 * back to pending, and so does every task skipped because of them, transitively; expanded parents wait for their
 * subtasks again. The run continues with a new budget window: the deadline counts from now, tokens and calls from
 * what was spent so far (which stays in the run's totals).
 */
export function redriveUpdate(state: State, taskIds?: readonly string[]): { update: Update; requeued: string[] } {
  const chosen = chosenDeadLetters(
    state.deadLetters.map((letter) => letter.taskId),
    taskIds,
  );
  const requeued = new Set(chosen);
  const tasks = Object.values(state.tasks);
  let grew = true;
  while (grew) {
    grew = false;
    for (const task of tasks) {
      if (task.status === "skipped" && task.blockedBy && requeued.has(task.blockedBy) && !requeued.has(task.id)) {
        requeued.add(task.id);
        grew = true;
      }
    }
  }
  const update: Record<string, TaskRecord> = {};
  for (const id of requeued) {
    const { reason: _reason, blockedBy: _blockedBy, ...task } = state.tasks[id]!;
    update[id] = { ...task, status: task.children ? "running" : "pending" };
  }
  return {
    update: {
      tasks: update,
      deadLetters: state.deadLetters.filter((letter) => !requeued.has(letter.taskId)),
      answer: "",
      // null, not undefined: the update may travel as JSON (the server's updateState), which drops undefined.
      stopReason: null,
      startedAt: new Date().toISOString(),
      budgetBase: runUsage(state),
      dispatch: [],
      notes: [
        `Re-driven: ${chosen.join(", ")}${requeued.size > chosen.length ? ` (and ${requeued.size - chosen.length} dependent task(s))` : ""}.`,
      ],
    },
    requeued: [...requeued],
  };
}
