import type { Emit } from "../events.js";
import {
  dependencyResult,
  dependentsOf,
  specOf,
  type DispatchUnit,
  type HandBack,
  type TaskRecord,
  type TaskResult,
  type WorkerStep,
} from "../schemas.js";
import type { Settings } from "../settings.js";
import type { State } from "../state.js";
import type { Usage } from "../budget/usage.js";
import { awaitsExpansion, expandComplexTasks } from "./expansion.js";
import { completeParents } from "./results.js";
import type { Round } from "./round.js";
import { skipBlocked, skipPending, stopDispatching } from "./skips.js";
import { allTerminal, byPriority, ranksOf, readyTasks, type TaskBoard, type TaskTable } from "./task-board.js";

/** The ready tasks to send now, in priority order, at most `capacity` of them. */
export function selectDispatch(tasks: TaskTable, capacity: number, ranks = ranksOf(tasks)): TaskRecord[] {
  return readyTasks(tasks).sort(byPriority(ranks)).slice(0, Math.max(0, capacity));
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
  dependents: ReadonlyMap<string, readonly TaskRecord[]> = dependentsOf(Object.values(tasks)),
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

/**
 * Re-ranks, then marks the highest-priority ready tasks running, at most `capacity` workers; with `chains`,
 * each worker also takes the chain its task alone unlocks. Returns one chain of ids per worker, in priority order.
 */
export function dispatchReady(board: TaskBoard, capacity: number, chains: boolean, emit: Emit): DispatchUnit[] {
  const ranks = ranksOf(board.table as TaskTable);
  const heads = selectDispatch(board.table as TaskTable, capacity, ranks);
  const taken = new Set(heads.map((task) => task.id));
  const dependents = chains ? dependentsOf(board.all()) : undefined;
  return heads.map((head) => {
    const chain = dependents ? chainFrom(head, board.table as TaskTable, taken, dependents) : [head];
    for (const task of chain) {
      taken.add(task.id);
      board.put({ ...task, status: "running", dispatches: task.dispatches + 1 });
    }
    // The rest of a chain is queued by its worker when its turn comes: a chain cut short never queues them.
    emit({ type: "task.queued", taskId: head.id, worker: head.worker, rank: ranks.get(head.id)! });
    return { tasks: chain.map((task) => task.id) };
  });
}

/**
 * Continuous scheduling: every pending task that can run without another orchestrator decision — its
 * dependencies done or themselves in the pool, not a complex task awaiting expansion — goes to one worker that
 * runs them with `capacity` slots. Returns that pool (highest rank first), or nothing. `handBack` says at which
 * results the pool returns early; a complex task that the pool's tasks make ready adds the group it waits on.
 */
export function dispatchPool(
  board: TaskBoard,
  capacity: number,
  expand: (task: TaskRecord) => boolean,
  handBack: HandBack = {},
): DispatchUnit[] {
  const tasks = board.table as TaskTable;
  const pool = new Set<string>();
  for (let grew = true; grew; ) {
    grew = false;
    for (const task of Object.values(tasks)) {
      if (task.status !== "pending" || pool.has(task.id) || expand(task)) continue;
      if (task.dependsOn.every((dep) => tasks[dep]?.status === "done" || pool.has(dep))) {
        pool.add(task.id);
        grew = true;
      }
    }
  }
  if (pool.size === 0) return [];
  const ranks = ranksOf(tasks);
  const members = [...pool].map((id) => tasks[id]!).sort(byPriority(ranks));
  for (const task of members) board.put({ ...task, status: "running", dispatches: task.dispatches + 1 });
  const expandAfter = Object.values(tasks)
    .filter(
      (task) =>
        task.status === "pending" &&
        expand(task) &&
        task.dependsOn.every((dep) => tasks[dep]?.status === "done" || pool.has(dep)),
    )
    .map((task) => task.dependsOn.filter((dep) => pool.has(dep)))
    .filter((group) => group.length > 0);
  const rules: HandBack = { ...handBack, ...(expandAfter.length ? { expandAfter } : {}) };
  return [
    {
      tasks: members.map((task) => task.id),
      pool: capacity,
      ...(Object.keys(rules).length ? { handBack: rules } : {}),
    },
  ];
}

/** When a pool hands back under these settings, besides follow-ups and budgets (always). */
export function handBackFor(settings: Pick<Settings, "replan">): HandBack {
  if (settings.replan === "on-failure") return { onFailure: true };
  if (settings.replan === "after-wave") return { afterFirstLevel: true };
  return {};
}

/**
 * A task's step of the `Send` payload, as the worker reads it: the task's spec and place in the plan, only the
 * results of the tasks it depends on, its dispatch number and its critical-path rank.
 */
export function workerStepFor(
  task: TaskRecord,
  tasks: TaskTable,
  results: Record<string, TaskResult>,
  rank: number,
): WorkerStep {
  const dependencies: WorkerStep["dependencies"] = {};
  for (const dep of task.dependsOn) {
    const result = results[dep];
    if (!result) continue;
    dependencies[dep] = dependencyResult(tasks[dep]?.title ?? dep, result);
  }
  const placement = { depth: task.depth, ...(task.parent ? { parent: task.parent } : {}) };
  return { task: { ...specOf(task), ...placement }, dependencies, dispatch: task.dispatches, rank };
}

/**
 * The tail of every round: expands ready complex tasks (top-down), completes parents, skips what can no
 * longer run, and dispatches the highest-priority ready tasks — unless a run budget is reached by now, which
 * stops dispatching (`stopReason`). Under a budget each dispatch carries the meter's snapshot.
 */
export async function scheduleNext(
  round: Round,
  board: TaskBoard,
  results: State["results"],
): Promise<{ dispatch: DispatchUnit[]; usage: Usage; results: State["results"]; stopReason?: string }> {
  const usage = await expandComplexTasks(round, board);
  const reached = round.meter?.reached();
  const stopReason = reached ? stopDispatching(round, board, reached) : undefined;
  const parentResults = completeParents(board, results, round.emit);
  skipBlocked(board, round.emit);
  if (stopReason) return { dispatch: [], usage, results: parentResults, stopReason };
  const { settings } = round;
  const dispatch =
    settings.scheduling === "continuous"
      ? dispatchPool(
          board,
          settings.maxParallel,
          (task) => awaitsExpansion(task, settings, round.deps.models.configured),
          handBackFor(settings),
        )
      : dispatchReady(board, settings.maxParallel, settings.chainDispatch, round.emit);
  if (dispatch.length === 0 && !allTerminal(board.table))
    skipPending(board, "its dependencies can never complete", round.emit);
  const budget = round.meter && { runId: round.runId, startedAt: round.meter.startedAt, used: round.meter.used() };
  return { dispatch: budget ? dispatch.map((unit) => ({ ...unit, budget })) : dispatch, usage, results: parentResults };
}
