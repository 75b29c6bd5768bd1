import { findCycleBreaks } from "../plan/cycles.js";
import { catalogRules, validatePlan } from "../plan/validate.js";
import type { FollowUp, TaskRecord } from "../schemas.js";
import type { WorkerCatalog } from "../worker-contract.js";
import type { Absorbed } from "./results.js";
import type { Round } from "./round.js";
import { toRecords, type TaskBoard } from "./task-board.js";

export interface AddOptions {
  registry: WorkerCatalog;
  maxTasks: number;
  origin: TaskRecord["origin"];
  depth: number;
}

/**
 * The pending tasks an added task holds back: its `blocks`, and every pending task of the workers its
 * `blocksWorkers` names, found by what it does rather than by its id. Unknown worker names are issues.
 */
export function blockedBy(
  board: TaskBoard,
  added: FollowUp,
  registry: WorkerCatalog,
): { blocks: string[]; issues: string[] } {
  const { blocks = [], blocksWorkers = [] } = added;
  const issues = blocksWorkers
    .filter((name) => !registry.has(name))
    .map((name) => `blocks the tasks of unknown worker "${name}"`);
  const byWorker = board
    .all()
    .filter((task) => task.status === "pending" && task.id !== added.id && blocksWorkers.includes(task.worker));
  return { blocks: [...new Set([...blocks, ...byWorker.map((task) => task.id)])], issues };
}

/**
 * Adds tasks to a running plan one by one, each validated like a plan (id, worker, dependencies, size, and
 * no cycle through its `blocks` edges). Returns the ids accepted and the reasons for those rejected.
 */
export function addTasks(
  board: TaskBoard,
  added: readonly FollowUp[],
  options: AddOptions,
): { accepted: string[]; rejected: { id: string; reason: string }[] } {
  const accepted: string[] = [];
  const rejected: { id: string; reason: string }[] = [];
  for (const spec of added) {
    const { blocks, issues: workerIssues } = blockedBy(board, spec, options.registry);
    const issues = validatePlan([spec], {
      ...catalogRules(options.registry),
      maxTasks: options.maxTasks,
      existingIds: new Set(Object.keys(board.table)),
      existingCount: board.size,
    }).map((issue) => issue.message);
    issues.push(...workerIssues);
    const blocked = blocks.map((id) => board.get(id));
    blocks.forEach((id, i) => {
      if (!blocked[i]) issues.push(`blocks unknown task "${id}"`);
      else if (blocked[i]!.status !== "pending") issues.push(`blocks "${id}", which is already ${blocked[i]!.status}`);
    });
    if (issues.length === 0) {
      const graph = [
        ...board.all().map((task) => ({
          id: task.id,
          dependsOn: blocks.includes(task.id) ? [...task.dependsOn, spec.id] : task.dependsOn,
        })),
        { id: spec.id, dependsOn: spec.dependsOn },
      ];
      const cycle = findCycleBreaks(graph)[0];
      if (cycle) issues.push(`would close the cycle ${cycle.cycle.join(" → ")}`);
    }
    if (issues.length > 0) {
      rejected.push({ id: spec.id, reason: issues.join("; ") });
      continue;
    }
    const [record] = toRecords([spec], options.origin, board.nextOrder(), { depth: options.depth });
    board.put(record!);
    for (const task of blocked) board.put({ ...task!, dependsOn: [...task!.dependsOn, spec.id] });
    accepted.push(spec.id);
  }
  return { accepted, rejected };
}

export function acceptFollowUps({ settings, deps, emit, notes }: Round, board: TaskBoard, absorbed: Absorbed): void {
  for (const { from, spec } of absorbed.followUps) {
    const { accepted, rejected } = addTasks(board, [spec], {
      registry: deps.registry,
      maxTasks: settings.maxTasks,
      origin: "follow-up",
      depth: from.depth,
    });
    for (const id of accepted) {
      emit({ type: "task.follow_up", taskId: id, worker: spec.worker, from: from.id, accepted: true });
      for (const late of board
        .all()
        .filter(
          (task) => (task.status === "running" || task.status === "done") && spec.blocksWorkers?.includes(task.worker),
        )) {
        notes.push(
          `Follow-up "${id}" could not hold back "${late.id}" (${late.worker}): it is already ${late.status}.`,
        );
      }
    }
    for (const { id, reason } of rejected) {
      notes.push(`Follow-up "${id}" proposed by "${from.id}" was rejected: ${reason.replace(/\.$/, "")}.`);
      emit({ type: "task.follow_up", taskId: id, worker: spec.worker, from: from.id, accepted: false, reason });
    }
  }
}
