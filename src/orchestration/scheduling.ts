import { criticalPathRanks } from "../plan/validate.js";
import { TERMINAL_STATUSES, type TaskRecord, type TaskResult, type WorkerInput } from "../schemas.js";

export type TaskTable = Record<string, TaskRecord>;

/** True when the task has reached done, dead or skipped. */
export const isTerminal = (task: TaskRecord): boolean => TERMINAL_STATUSES.has(task.status);

/** True when every task is terminal. */
export const allTerminal = (tasks: TaskTable): boolean => Object.values(tasks).every(isTerminal);

/** Pending tasks whose dependencies are all done. */
export function readyTasks(tasks: TaskTable): TaskRecord[] {
  return Object.values(tasks).filter(
    (task) => task.status === "pending" && task.dependsOn.every((dep) => tasks[dep]?.status === "done"),
  );
}

/** Critical-path ranks of the whole table; derived on demand, never stored (they change as the plan grows). */
export const ranksOf = (tasks: TaskTable): Map<string, number> => criticalPathRanks(Object.values(tasks));

/** Highest critical-path rank first; ties go to the task that came first in the plan. */
export const byPriority =
  (ranks: ReadonlyMap<string, number>) =>
  (a: TaskRecord, b: TaskRecord): number =>
    ranks.get(b.id)! - ranks.get(a.id)! || a.order - b.order;

/** The ready tasks to send now, in priority order, at most `capacity` of them. */
export function selectDispatch(tasks: TaskTable, capacity: number, ranks = ranksOf(tasks)): TaskRecord[] {
  return readyTasks(tasks).sort(byPriority(ranks)).slice(0, Math.max(0, capacity));
}

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
      const record: TaskRecord = { ...task, status: "skipped", reason: `dependency "${blocker}" ${why}`, blockedBy: blocker };
      table[task.id] = skipped[task.id] = record;
      changed = true;
    }
  }
  return skipped;
}

/**
 * Chain dispatch: after `head`, the dependent it alone makes ready (every other dependency already done) runs
 * next in the same worker, and so on, instead of waiting for the wave's slowest task. The chain stops where a
 * task would make two or more dependents ready (they start together in the next wave), at a complex task
 * (it may be expanded first), or at a task already taken.
 */
export function chainFrom(
  head: TaskRecord,
  tasks: TaskTable,
  taken: ReadonlySet<string>,
  dependents: ReadonlyMap<string, readonly TaskRecord[]> = dependentsOf(tasks),
): TaskRecord[] {
  const chain = [head];
  const inChain = new Set([head.id]);
  for (let current = head; ; ) {
    const unlocked = (dependents.get(current.id) ?? []).filter(
      (task) =>
        task.status === "pending" &&
        !taken.has(task.id) &&
        !inChain.has(task.id) &&
        task.dependsOn.every((dep) => dep === current.id || tasks[dep]?.status === "done"),
    );
    if (unlocked.length !== 1 || unlocked[0]!.complex) return chain;
    current = unlocked[0]!;
    chain.push(current);
    inChain.add(current.id);
  }
}

/** The tasks that depend on each task. */
export function dependentsOf(tasks: TaskTable): Map<string, TaskRecord[]> {
  const dependents = new Map<string, TaskRecord[]>();
  for (const task of Object.values(tasks)) {
    for (const dep of task.dependsOn) {
      const list = dependents.get(dep);
      if (list) list.push(task);
      else dependents.set(dep, [task]);
    }
  }
  return dependents;
}

/** The `Send` payload of a task: the goal, the task, and only the results of the tasks it depends on. */
export function workerInputFor(
  goal: string,
  task: TaskRecord,
  tasks: TaskTable,
  results: Record<string, TaskResult>,
): WorkerInput {
  const dependencies: WorkerInput["dependencies"] = {};
  for (const dep of task.dependsOn) {
    const result = results[dep];
    if (!result) continue;
    dependencies[dep] = { title: tasks[dep]?.title ?? dep, worker: result.worker, output: result.output, data: result.data };
  }
  const { status: _status, origin: _origin, order: _order, attempts: _a, dispatches, reason: _r, blockedBy: _b, ...spec } = task;
  return { goal, task: { blocks: [], ...spec }, dependencies, dispatch: dispatches };
}
