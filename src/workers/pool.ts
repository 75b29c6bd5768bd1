import { task as durableTask, type LangGraphRunnableConfig } from "@langchain/langgraph";
import type { Emit } from "../events.js";
import { dependentsOf, type HandBack, type TaskResult, type WorkerAssignment } from "../schemas.js";
import { stepInput } from "./assignment.js";
import type { RunMeter } from "../budget/meter.js";
import type { RunStep } from "./run-task.js";

/** What the pool's durable record of landings holds: the tasks that finished, in order, and why it stops launching, if it does. */
interface Landing {
  taskIds: string[];
  stop?: string;
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
 * up, a graceful stop); tasks in flight finish and are kept. Which tasks landed, and that check after them, is
 * itself a durable record (`tasks_landed`), so a resumed run replays the same launches in the same order and every
 * finished task comes back from its checkpoint.
 */
export async function runPool(
  assignment: WorkerAssignment,
  slots: number,
  runStep: RunStep,
  emit: Emit,
  stopReason: () => string | undefined = () => undefined,
): Promise<Record<string, TaskResult>> {
  const { steps } = assignment;
  const handBack: HandBack = assignment.handBack ?? {};
  const position = new Map(steps.map((step, i) => [step.task.id, i]));
  const waitingOn = steps.map((step) => step.task.dependsOn.filter((id) => position.has(id)).length);
  const firstLevel = new Set(steps.flatMap((step, i) => (waitingOn[i] === 0 ? [step.task.id] : [])));
  const dependents = dependentsOf(steps.map((step) => step.task));
  const results: Record<string, TaskResult> = {};
  const running = new Map<string, Promise<TaskResult>>();
  const landings = landingTracker(stopReason);
  // Ready steps by position: the steps come highest rank first, so the lowest position is the best.
  const ready = steps.flatMap((_, i) => (waitingOn[i] === 0 ? [i] : []));
  let launched = 0;
  let handingBack = false;
  const launch = () => {
    while (running.size < slots && ready.length > 0) {
      const step = steps[ready.shift()!]!;
      emit({ type: "task.queued", taskId: step.task.id, worker: step.task.worker, rank: step.rank });
      launched++;
      running.set(step.task.id, landings.track(step.task.id, runStep(stepInput(assignment, step, results))));
    }
  };
  const needsDecision = (id: string, result: TaskResult): boolean =>
    result.followUps.length > 0 ||
    (result.status !== "done" && (handBack.onFailure === true || result.error?.kind === "budget")) ||
    (handBack.afterFirstLevel === true && firstLevel.has(id) && [...firstLevel].every((first) => first in results)) ||
    (handBack.expandAfter ?? []).some(
      (gate) => gate.includes(id) && gate.every((dep) => results[dep]?.status === "done"),
    );
  launch();
  // Landings are recorded only while they decide what starts next: once every step is launched, or the pool hands
  // back, the rest are simply awaited.
  while (running.size > 0 && !handingBack && launched < steps.length) {
    const landing = await landings.next([...running.keys()]);
    for (const id of landing.taskIds) {
      const result = (results[id] = await running.get(id)!);
      running.delete(id);
      if (needsDecision(id, result)) handingBack = true;
      // Dependents of a failed task, or of one that proposed follow-ups, are left for the orchestrator.
      else if (result.status === "done") unlock(id);
    }
    if (landing.stop) handingBack = true;
    if (!handingBack) launch();
  }
  for (const [id, pending] of running) results[id] = await pending;
  return results;

  function unlock(id: string): void {
    for (const dependent of dependents.get(id) ?? []) {
      const i = position.get(dependent.id)!;
      if (--waitingOn[i]! === 0) ready.splice(sortedIndex(ready, i), 0, i);
    }
  }
}

/**
 * Tracks which running tasks have landed, in order, and records each batch of landings as a durable task: on replay
 * the batch comes back from its checkpoint, whatever the timing of the replayed tasks. A batch takes every task that
 * lands within one turn of the event loop after the first: each record is a durable task, and LangGraph's cost per
 * durable task grows with the step's writes, so one record per landing would make a large pool quadratic.
 */
function landingTracker(stopReason: () => string | undefined) {
  // Landed and not yet handed out by a record (insertion order is landing order); `taken` also holds ids a replayed
  // record handed out before they landed again.
  const untaken = new Set<string>();
  const taken = new Set<string>();
  let failure: { error: unknown } | undefined;
  let wake: (() => void) | undefined;
  const notify = () => {
    wake?.();
    wake = undefined;
  };
  const record = durableTask("tasks_landed", async (_running: string[]): Promise<Landing> => {
    while (untaken.size === 0) {
      if (failure) throw failure.error;
      await new Promise<void>((resolve) => (wake = resolve));
    }
    await new Promise<void>((resolve) => setImmediate(resolve));
    const stop = stopReason();
    return { taskIds: [...untaken], ...(stop ? { stop } : {}) };
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
      return landing;
    },
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
