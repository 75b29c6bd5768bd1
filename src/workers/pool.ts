import { task as durableTask, type LangGraphRunnableConfig } from "@langchain/langgraph";
import type { Emit } from "../events.js";
import type { HandBack, TaskResult, TaskSpec, WorkerAssignment } from "../schemas.js";
import { stepInput } from "./assignment.js";
import type { RunMeter } from "../budget/meter.js";
import type { RunStep } from "./run-task.js";

/**
 * What the pool's durable record of landings holds: the tasks that finished, in order, the steps a streaming plan
 * handed out since the last record, whether the plan has ended, and why the pool stops launching, if it does.
 */
interface Landing {
  taskIds: string[];
  streamed?: PoolStep[];
  planDone?: boolean;
  stop?: string;
}

/** One step of a pool: a task, the results it is given and its rank. */
export type PoolStep = WorkerAssignment["steps"][number];

/**
 * A plan still being written, as a source of steps: `start` calls the planner and hands `push` each task that can
 * start on its own as it streams; it resolves with the steps to add once the plan has ended (the rest of a plan that
 * is valid as streamed), or `undefined` when no further step may start (the plan needs repair or failed).
 * `launched` collects the tasks the pool started, as it started them.
 */
export interface PlanFeed {
  start(push: (step: PoolStep) => void): Promise<PoolStep[] | undefined>;
  /** False for a task that waits for its expansion (top-down): the pool hands back once its dependencies are done. */
  runnable(task: TaskSpec): boolean;
  readonly launched: TaskSpec[];
}

/** The `configurable` key of a graceful stop's signal: a pool that sees it aborted launches nothing more. */
export const DRAIN_KEY = "__orchestrator_drain";

/** Why a pool must stop launching now, if it must: a run budget reached, or a graceful stop requested. */
export function stopCheck(config: LangGraphRunnableConfig, meter?: RunMeter): () => string | undefined {
  const drain = config.configurable?.[DRAIN_KEY] as AbortSignal | undefined;
  return () => meter?.reached() ?? (drain?.aborted ? "a graceful stop was requested" : undefined);
}

/**
 * Eager (continuous) scheduling: runs the pool's tasks with `slots` at a time; a slot that frees takes the best task
 * whose dependencies are done, at once. The pool stops launching and hands back to the orchestrator at the first
 * result that needs a decision (a follow-up, a failure under `handBack.onFailure`, the first level done under
 * `handBack.afterFirstLevel`, a complex task ready to expand) or when `stopReason` gives a reason (a run budget used
 * up, a graceful stop); tasks in flight finish and are kept. With a `feed`, the steps arrive as the plan streams: a
 * task waits for dependencies not streamed yet, and the pool runs until the plan has ended. Which tasks landed and
 * which were streamed, and that check after them, is itself a durable record (`tasks_landed`), so a resumed run
 * replays the same launches in the same order and every finished task comes back from its checkpoint.
 */
export async function runPool(
  assignment: WorkerAssignment,
  slots: number,
  runStep: RunStep,
  emit: Emit,
  stopReason: () => string | undefined = () => undefined,
  feed?: PlanFeed,
): Promise<Record<string, TaskResult>> {
  const handBack: HandBack = assignment.handBack ?? {};
  const queue = new PoolSteps(feed !== undefined);
  const inPool = { ...assignment, steps: queue.all };
  const results: Record<string, TaskResult> = {};
  const running = new Map<string, Promise<TaskResult>>();
  const landings = landingTracker(stopReason, feed);
  let launched = 0;
  let handingBack = false;
  let planDone = feed === undefined;
  const done = (id: string) => results[id]?.status === "done";
  // Groups of tasks whose completion makes a complex task ready to expand: the pool hands back then.
  const gates = [...(handBack.expandAfter ?? [])];
  const add = (added: readonly PoolStep[]) => {
    const waiting = feed ? added.filter((step) => !feed.runnable(step.task)) : [];
    for (const { task } of waiting)
      if (addGate(gates, task.dependsOn) && task.dependsOn.every(done)) handingBack = true;
    queue.add(
      added.filter((step) => !waiting.includes(step)),
      done,
    );
  };
  const launch = () => {
    while (running.size < slots && queue.anyReady) {
      const step = queue.take()!;
      emit({ type: "task.queued", taskId: step.task.id, worker: step.task.worker, rank: step.rank });
      launched++;
      feed?.launched.push(step.task);
      running.set(step.task.id, landings.track(step.task.id, runStep(stepInput(inPool, step, results))));
    }
  };
  const needsDecision = (id: string, result: TaskResult): boolean =>
    result.followUps.length > 0 ||
    (result.status !== "done" && (handBack.onFailure === true || result.error?.kind === "budget")) ||
    gates.some((gate) => gate.includes(id) && gate.every(done));
  const firstLevelDone = () =>
    handBack.afterFirstLevel === true && planDone && [...queue.firstLevel].every((first) => first in results);
  add(assignment.steps);
  launch();
  // Landings are recorded only while they decide what starts next: once every step is launched and the plan has
  // ended, or the pool hands back, the rest are simply awaited.
  while (!handingBack && (!planDone || (running.size > 0 && launched < queue.all.length))) {
    const landing = await landings.next([...running.keys()]);
    add(landing.streamed ?? []);
    for (const id of landing.taskIds) {
      const result = (results[id] = await running.get(id)!);
      running.delete(id);
      if (needsDecision(id, result)) handingBack = true;
      // Dependents of a failed task, or of one that proposed follow-ups, are left for the orchestrator.
      else if (result.status === "done") queue.unlock(id);
    }
    if (landing.planDone) {
      planDone = true;
      const rest = await landings.planEnd();
      if (rest) add(rest);
      else handingBack = true;
    }
    if (landing.stop || firstLevelDone()) handingBack = true;
    if (!handingBack) launch();
  }
  for (const [id, pending] of running) results[id] = await pending;
  await landings.planEnd();
  return results;
}

/** Adds a complex task's dependencies as a gate, unless it has none or the gate is there already; true if added. */
function addGate(gates: string[][], dependsOn: readonly string[]): boolean {
  if (dependsOn.length === 0 || gates.some((gate) => gate.join() === dependsOn.join())) return false;
  gates.push([...dependsOn]);
  return true;
}

/**
 * The steps of a pool and which of them are ready, by position: steps come highest rank first (or in stream order),
 * so the lowest ready position is the best. In a streamed plan a dependency not in the pool yet is still to come;
 * outside one it is done already.
 */
class PoolSteps {
  readonly all: PoolStep[] = [];
  /** Steps with no dependency in the pool (streamed: none at all). */
  readonly firstLevel = new Set<string>();
  private readonly position = new Map<string, number>();
  private readonly waitingOn: number[] = [];
  private readonly waiters = new Map<string, number[]>();
  private readonly ready: number[] = [];

  constructor(private readonly streamed: boolean) {}

  /** Adds the steps not in the pool yet; `done` says which dependencies are done. */
  add(added: readonly PoolStep[], done: (id: string) => boolean): void {
    const fresh = added.filter((step) => !this.position.has(step.task.id));
    // Positions first, so that a dependency added with its dependent counts as in the pool whatever the order.
    for (const step of fresh) this.position.set(step.task.id, this.all.push(step) - 1);
    for (const step of fresh) {
      const i = this.position.get(step.task.id)!;
      const open = step.task.dependsOn.filter((id) => (this.position.has(id) ? !done(id) : this.streamed));
      for (const id of open) this.waiters.set(id, [...(this.waiters.get(id) ?? []), i]);
      this.waitingOn[i] = open.length;
      if (this.streamed ? step.task.dependsOn.length === 0 : open.length === 0) this.firstLevel.add(step.task.id);
      if (open.length === 0) this.markReady(i);
    }
  }

  /** A step is done: its dependents that wait for nothing else become ready. */
  unlock(id: string): void {
    for (const i of this.waiters.get(id) ?? []) if (--this.waitingOn[i]! === 0) this.markReady(i);
  }

  get anyReady(): boolean {
    return this.ready.length > 0;
  }

  /** The best ready step, taken out of the ready ones. */
  take(): PoolStep | undefined {
    const i = this.ready.shift();
    return i === undefined ? undefined : this.all[i];
  }

  private markReady(i: number): void {
    this.ready.splice(sortedIndex(this.ready, i), 0, i);
  }
}

/**
 * Tracks which running tasks have landed, in order, and which steps a streaming plan handed out, and records each
 * batch as a durable task: on replay the batch comes back from its checkpoint, whatever the timing of the replayed
 * tasks and of a re-made planner call. A batch takes everything that happens within one turn of the event loop after
 * the first: each record is a durable task, and LangGraph's cost per durable task grows with the step's writes, so
 * one record per landing would make a large pool quadratic.
 */
function landingTracker(stopReason: () => string | undefined, feed?: PlanFeed) {
  // Landed and not yet handed out by a record (insertion order is landing order); `taken` also holds ids a replayed
  // record handed out before they landed again. Streamed steps are kept the same way.
  const untaken = new Set<string>();
  const taken = new Set<string>();
  const streamed = new Map<string, PoolStep>();
  const handed = new Set<string>();
  let failure: { error: unknown } | undefined;
  let planEnded = false;
  let planReported = false;
  let wake: (() => void) | undefined;
  const notify = () => {
    wake?.();
    wake = undefined;
  };
  // The planner is the pool's first durable call, before any launch: replays call it at the same place.
  const planEnd = feed?.start((step) => {
    if (!handed.has(step.task.id)) streamed.set(step.task.id, step);
    notify();
  });
  planEnd?.then(
    () => {
      planEnded = true;
      notify();
    },
    (error: unknown) => {
      failure = { error };
      notify();
    },
  );
  const record = durableTask("tasks_landed", async (_running: string[]): Promise<Landing> => {
    while (untaken.size === 0 && streamed.size === 0 && !(planEnded && !planReported)) {
      if (failure) throw failure.error;
      await new Promise<void>((resolve) => (wake = resolve));
    }
    await new Promise<void>((resolve) => setImmediate(resolve));
    const stop = stopReason();
    return {
      taskIds: [...untaken],
      ...(streamed.size ? { streamed: [...streamed.values()] } : {}),
      ...(planEnded && !planReported ? { planDone: true } : {}),
      ...(stop ? { stop } : {}),
    };
  });
  return {
    track(id: string, pending: Promise<TaskResult>): Promise<TaskResult> {
      pending.then(
        () => {
          if (!taken.has(id)) untaken.add(id);
          notify();
        },
        (error: unknown) => {
          failure = { error };
          notify();
        },
      );
      return pending;
    },
    async next(running: string[]): Promise<Landing> {
      const landing = await record(running);
      for (const id of landing.taskIds) {
        taken.add(id);
        untaken.delete(id);
      }
      for (const step of landing.streamed ?? []) {
        handed.add(step.task.id);
        streamed.delete(step.task.id);
      }
      if (landing.planDone) planReported = true;
      return landing;
    },
    /** The steps the plan's end adds (none outside a streamed plan). */
    planEnd: async (): Promise<PoolStep[] | undefined> => (planEnd ? await planEnd : []),
  };
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
