import { dependentsOf } from "../../src/schemas.js";
import { criticalPathRanks } from "../../src/plan/ranks.js";
import type { BenchTask } from "./plans.js";

/**
 * Which ready task goes first. `cp`: critical-path rank by the planner's estimates (what the scheduler does);
 * `cp-oracle`: the same rank by the true latencies; `fifo`: plan order.
 */
export type Priority = "cp" | "cp-oracle" | "fifo";

/**
 * How tasks are dispatched.
 * - `waves`: level-synchronous, as LangGraph supersteps run today: up to `cap` ready tasks per wave, and the
 *   next wave starts when the slowest task of the wave is done.
 * - `chain`: waves, but a worker whose task made exactly one dependent ready runs that dependent next, in the
 *   same superstep (chain dispatch). With two or more, it stops: they start together in the next wave.
 * - `continuation`: chain, and in a superstep that started full (`cap` tasks) a worker that finishes takes the
 *   best ready task of the whole plan (needs an in-process coordinator; a superstep never grows beyond the
 *   slots it started with, so in an under-full one taking one of several ready tasks would hold the others).
 * - `async`: list scheduling: a free slot takes the best ready task the moment one exists (no supersteps).
 */
export type Dispatch = "waves" | "chain" | "continuation" | "async";

export interface SimOptions {
  cap: number;
  dispatch: Dispatch;
  priority: Priority;
  /** Time added to every orchestrator round (superstep pair), to model the graph's own cost. */
  roundOverheadMs?: number;
}

export interface SimResult {
  makespanMs: number;
  /** Orchestrator rounds (supersteps with workers); the tasks of each, in start order. */
  waves: string[][];
}

/** A comparator of tasks under a priority: higher rank first, then plan order. */
function comparator(tasks: readonly BenchTask[], priority: Priority): (a: BenchTask, b: BenchTask) => number {
  const order = new Map(tasks.map((task, i) => [task.id, i]));
  const byOrder = (a: BenchTask, b: BenchTask) => order.get(a.id)! - order.get(b.id)!;
  if (priority === "fifo") return byOrder;
  // The scheduler's own rank, over the estimates (`cp`) or the true latencies (`cp-oracle`).
  const ranks = criticalPathRanks(
    tasks.map((task) => ({ ...task, estimatedCost: priority === "cp" ? task.cost : task.latencyMs })),
  );
  return (a, b) => ranks.get(b.id)! - ranks.get(a.id)! || byOrder(a, b);
}

/** The schedule a dispatch policy gives a plan with known latencies. */
export function simulate(tasks: readonly BenchTask[], options: SimOptions): SimResult {
  const compare = comparator(tasks, options.priority);
  const done = new Set<string>();
  const started = new Set<string>();
  const dependents = dependentsOf(tasks);
  const isReady = (task: BenchTask) => !started.has(task.id) && task.dependsOn.every((dep) => done.has(dep));
  const best = (candidates: readonly BenchTask[]) => [...candidates].filter(isReady).sort(compare);
  const start = (task: BenchTask, at: number) => (started.add(task.id), { task, end: at + task.latencyMs });
  /** What a worker that just finished `task` runs next in the same superstep, if anything. */
  const continuation = (dispatch: Dispatch, task: BenchTask, full: boolean): BenchTask | undefined => {
    if (dispatch === "waves") return undefined;
    if (dispatch === "continuation" && full) return best(tasks)[0];
    const unlocked = best(dependents.get(task.id) ?? []);
    return unlocked.length === 1 ? unlocked[0] : undefined;
  };
  if (options.dispatch === "async") return listSchedule(tasks, options.cap, best, start, done);

  const overhead = options.roundOverheadMs ?? 0;
  const waves: string[][] = [];
  let now = 0;
  while (done.size < tasks.length) {
    const chosen = best(tasks).slice(0, options.cap);
    if (chosen.length === 0) throw new Error("simulate: no ready task, but the plan is not done (a cycle?)");
    const slots = chosen.map((task) => start(task, now));
    const wave = chosen.map((task) => task.id);
    let end = now;
    while (slots.length) {
      slots.sort((a, b) => a.end - b.end || compare(a.task, b.task));
      const slot = slots.shift()!;
      done.add(slot.task.id);
      end = Math.max(end, slot.end);
      const next = continuation(options.dispatch, slot.task, chosen.length === options.cap);
      if (next) {
        slots.push(start(next, slot.end));
        wave.push(next.id);
      }
    }
    waves.push(wave);
    now = end + overhead;
  }
  return { makespanMs: now - overhead, waves };
}

function listSchedule(
  tasks: readonly BenchTask[],
  cap: number,
  best: (candidates: readonly BenchTask[]) => BenchTask[],
  start: (task: BenchTask, at: number) => { task: BenchTask; end: number },
  done: Set<string>,
): SimResult {
  const running: { task: BenchTask; end: number }[] = [];
  const dispatched: string[] = [];
  let now = 0;
  for (;;) {
    for (const task of best(tasks).slice(0, cap - running.length)) {
      running.push(start(task, now));
      dispatched.push(task.id);
    }
    if (running.length === 0) break;
    now = Math.min(...running.map((slot) => slot.end));
    for (const slot of running.filter((s) => s.end === now)) done.add(slot.task.id);
    running.splice(0, running.length, ...running.filter((slot) => slot.end !== now));
  }
  if (done.size < tasks.length) throw new Error("simulate: no ready task, but the plan is not done (a cycle?)");
  return { makespanMs: now, waves: [dispatched] };
}

/** The seeds' sequential loop: one task after another. */
export const sequentialMs = (tasks: readonly BenchTask[]): number =>
  tasks.reduce((sum, task) => sum + task.latencyMs, 0);

/**
 * The flat fan-out of LangGraph's orchestrator-worker tutorial: every task in one wave, no cap, dependencies
 * ignored. Only a valid schedule when the plan has no dependencies.
 */
export function flatFanOutMs(tasks: readonly BenchTask[]): { makespanMs: number; valid: boolean } {
  return {
    makespanMs: Math.max(0, ...tasks.map((task) => task.latencyMs)),
    valid: tasks.every((task) => task.dependsOn.length === 0),
  };
}
