import type { EventInit } from "../events.js";
import { findCycleBreaks, validatePlan } from "../plan/validate.js";
import type { WorkerRegistry } from "../workers/registry.js";
import { byPriority, chainFrom, dependentsOf, propagateSkips, ranksOf, selectDispatch, type TaskTable } from "./scheduling.js";
import { type DeadLetter, type DispatchUnit, type TaskRecord, type TaskResult, type TaskSpec } from "../schemas.js";
import { sumUsage, type Usage } from "../usage.js";

type Emit = (event: EventInit) => void;

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

/** Turns task specs into pending task records. */
export function toRecords(
  specs: readonly TaskSpec[],
  origin: TaskRecord["origin"],
  firstOrder: number,
  placement: { depth: number; parent?: string } = { depth: 0 },
): TaskRecord[] {
  return specs.map(({ blocks: _blocks, ...spec }, i) => ({
    ...spec,
    status: "pending",
    origin,
    order: firstOrder + i,
    depth: placement.depth,
    ...(placement.parent ? { parent: placement.parent } : {}),
    attempts: 0,
    dispatches: 0,
  }));
}

/** A dead letter for a task that failed all its attempts. */
function deadLetterFor(task: TaskRecord, result: TaskResult): DeadLetter {
  return {
    taskId: task.id,
    task: {
      id: task.id,
      title: task.title,
      description: task.description,
      worker: task.worker,
      dependsOn: task.dependsOn,
      expectedOutput: task.expectedOutput,
      estimatedCost: task.estimatedCost,
      complex: task.complex,
    },
    error: result.error ?? { kind: "worker", message: "failed without an error", retryable: false },
    attempts: result.attempts,
    at: new Date().toISOString(),
  };
}

export interface Absorbed {
  finished: number;
  dead: DeadLetter[];
  followUps: { from: TaskRecord; spec: TaskSpec }[];
}

/**
 * Reads the results of the last wave into the board: done or dead, with follow-ups collected. (`task.done` is
 * emitted by the worker the moment it finishes; `task.dead` here, when the orchestrator dead-letters it.)
 */
export function absorbResults(board: TaskBoard, results: Record<string, TaskResult>, emit: Emit): Absorbed {
  const absorbed: Absorbed = { finished: 0, dead: [], followUps: [] };
  for (let task of board.all()) {
    if (task.status !== "running" || task.children) continue;
    const result = results[task.id];
    if (!result || result.dispatch !== task.dispatches) {
      board.put({ ...task, status: "pending" });
      continue;
    }
    absorbed.finished++;
    const attempts = task.attempts + result.attempts.length;
    if (result.clarifiedDescription) task = { ...task, description: result.clarifiedDescription };
    const ref = { taskId: task.id, worker: task.worker };
    if (result.status === "done") {
      board.put({ ...task, status: "done", attempts, reason: undefined });
      for (const spec of result.followUps) absorbed.followUps.push({ from: task, spec });
    } else {
      const letter = deadLetterFor(task, result);
      board.put({ ...task, status: "dead", attempts, reason: `${letter.error.kind}: ${letter.error.message}` });
      absorbed.dead.push(letter);
      emit({ type: "task.dead", ...ref, attempts: result.attempts.length, error: letter.error });
    }
  }
  return absorbed;
}

/**
 * Completes expanded parents whose subtasks are all terminal: done with the subtasks' results joined when
 * every subtask is done, skipped otherwise. Returns the parents' synthetic results.
 */
export function completeParents(board: TaskBoard, results: Record<string, TaskResult>, emit: Emit): Record<string, TaskResult> {
  const written: Record<string, TaskResult> = {};
  let progress = true;
  while (progress) {
    progress = false;
    for (const parent of board.all()) {
      if (parent.status !== "running" || !parent.children) continue;
      const children = parent.children.map((id) => board.get(id)!);
      if (!children.every((child) => ["done", "dead", "skipped"].includes(child.status))) continue;
      progress = true;
      const failed = children.find((child) => child.status !== "done");
      if (failed) {
        const reason = `subtask "${failed.id}" is ${failed.status}`;
        board.put({ ...parent, status: "skipped", reason, blockedBy: failed.id });
        emit({ type: "task.skipped", taskId: parent.id, worker: parent.worker, reason });
        continue;
      }
      const childResults = children.map((child) => ({ child, result: results[child.id] ?? written[child.id] }));
      const usage = sumUsage(childResults.map(({ result }) => result));
      written[parent.id] = {
        taskId: parent.id,
        worker: parent.worker,
        dispatch: parent.dispatches,
        status: "done",
        output: childResults.map(({ child, result }) => `## ${child.title}\n${result?.output ?? ""}`).join("\n\n"),
        attempts: [],
        startedAt: new Date().toISOString(),
        durationMs: 0,
        usage,
        followUps: [],
      };
      board.put({ ...parent, status: "done" });
      emit({ type: "task.done", taskId: parent.id, worker: parent.worker, attempts: 0, durationMs: 0, usage });
    }
  }
  return written;
}

export interface AddOptions {
  registry: WorkerRegistry;
  maxTasks: number;
  origin: TaskRecord["origin"];
  depth: number;
}

/**
 * Adds tasks to a running plan one by one, each validated like a plan (id, worker, dependencies, size, and
 * no cycle through its `blocks` edges). Returns the ids accepted and the reasons for those rejected.
 */
export function addTasks(
  board: TaskBoard,
  specs: readonly TaskSpec[],
  options: AddOptions,
): { accepted: string[]; rejected: { id: string; reason: string }[] } {
  const accepted: string[] = [];
  const rejected: { id: string; reason: string }[] = [];
  for (const spec of specs) {
    const issues = validatePlan([spec], {
      workers: options.registry.names,
      maxTasks: options.maxTasks,
      existingIds: new Set(Object.keys(board.table)),
      existingCount: board.size,
    }).map((issue) => issue.message);
    const blocked = spec.blocks.map((id) => board.get(id));
    spec.blocks.forEach((id, i) => {
      if (!blocked[i]) issues.push(`blocks unknown task "${id}"`);
      else if (blocked[i]!.status !== "pending") issues.push(`blocks "${id}", which is already ${blocked[i]!.status}`);
    });
    if (issues.length === 0) {
      const graph = [
        ...board.all().map((task) => ({
          id: task.id,
          dependsOn: spec.blocks.includes(task.id) ? [...task.dependsOn, spec.id] : task.dependsOn,
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

/** Skips the pending tasks whose dependencies can no longer be done; returns how many. */
export function skipBlocked(board: TaskBoard, emit: Emit): number {
  const skipped = propagateSkips(board.table as TaskTable);
  board.putAll(skipped);
  for (const task of Object.values(skipped)) {
    emit({ type: "task.skipped", taskId: task.id, worker: task.worker, reason: task.reason ?? "" });
  }
  return Object.keys(skipped).length;
}

/**
 * Re-ranks, then marks the highest-priority ready tasks running, at most `capacity` workers; with `chains`,
 * each worker also takes the chain its task alone unlocks. Returns one chain of ids per worker, in priority order.
 */
export function dispatchReady(board: TaskBoard, capacity: number, chains: boolean, emit: Emit): DispatchUnit[] {
  const ranks = ranksOf(board.table as TaskTable);
  const heads = selectDispatch(board.table as TaskTable, capacity, ranks);
  const taken = new Set(heads.map((task) => task.id));
  const dependents = chains ? dependentsOf(board.table as TaskTable) : undefined;
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
 * runs them with `capacity` slots. Returns that pool (highest rank first), or nothing.
 */
export function dispatchPool(board: TaskBoard, capacity: number, expand: (task: TaskRecord) => boolean): DispatchUnit[] {
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
  return [{ tasks: members.map((task) => task.id), pool: capacity }];
}

/** Which run budget is used up, if any: the wall-clock deadline, the token budget or the model-call cap. */
export function budgetExceeded(
  budget: { deadlineMs: number; maxTokens: number; maxModelCalls: number },
  usage: Usage,
  startedAt: string | undefined,
  now = Date.now(),
): string | undefined {
  const elapsed = startedAt ? now - Date.parse(startedAt) : 0;
  if (budget.deadlineMs > 0 && elapsed >= budget.deadlineMs) return `the deadline of ${budget.deadlineMs} ms passed (${elapsed} ms)`;
  if (budget.maxTokens > 0 && usage.totalTokens >= budget.maxTokens) return `${usage.totalTokens} tokens used of ${budget.maxTokens}`;
  if (budget.maxModelCalls > 0 && usage.modelCalls >= budget.maxModelCalls) return `${usage.modelCalls} model calls made of ${budget.maxModelCalls}`;
  return undefined;
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
