import { criticalPathRanks } from "../plan/ranks.js";
import { specOf, TERMINAL_STATUSES, type TaskRecord, type TaskSpec } from "../schemas.js";

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

/** A working copy of the task table that remembers which records changed in this round. */
export class TaskBoard {
  private readonly tasks: TaskTable;
  private readonly changed = new Set<string>();

  constructor(tasks: TaskTable) {
    this.tasks = { ...tasks };
  }

  get table(): Readonly<TaskTable> {
    return this.tasks;
  }

  get(id: string): TaskRecord | undefined {
    return this.tasks[id];
  }

  all(): TaskRecord[] {
    return Object.values(this.tasks);
  }

  get size(): number {
    return Object.keys(this.tasks).length;
  }

  put(record: TaskRecord): void {
    this.tasks[record.id] = record;
    this.changed.add(record.id);
  }

  putAll(records: TaskTable): void {
    for (const record of Object.values(records)) this.put(record);
  }

  /** The records changed in this round: the state update. */
  changes(): TaskTable {
    return Object.fromEntries([...this.changed].map((id) => [id, this.tasks[id]!]));
  }

  nextOrder(): number {
    return this.all().reduce((max, task) => Math.max(max, task.order + 1), 0);
  }
}

/** A task table of records, keyed by id. */
export const tableOf = (records: readonly TaskRecord[]): TaskTable =>
  Object.fromEntries(records.map((record) => [record.id, record]));

/** Turns task specs (or follow-ups, whose edges are dropped) into pending task records. */
export function toRecords(
  specs: readonly TaskSpec[],
  origin: TaskRecord["origin"],
  firstOrder: number,
  placement: { depth: number; parent?: string } = { depth: 0 },
): TaskRecord[] {
  return specs.map((spec, i) => ({
    ...specOf(spec),
    status: "pending",
    origin,
    order: firstOrder + i,
    depth: placement.depth,
    ...(placement.parent ? { parent: placement.parent } : {}),
    attempts: 0,
    dispatches: 0,
  }));
}
