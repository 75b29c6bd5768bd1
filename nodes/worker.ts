import { getMaxListeners, setMaxListeners } from "node:events";
import { RunnableLambda } from "@langchain/core/runnables";
import { task as durableTask, type LangGraphRunnableConfig } from "@langchain/langgraph";
import { resolveSettings, type Settings } from "../src/settings.js";
import type { OrchestratorDeps } from "../src/deps.js";
import { emitter } from "../src/events.js";
import { classifyError } from "../src/workers/classify.js";
import { type TaskResult, type WorkerAssignment, type WorkerInput } from "../src/schemas.js";
import { ZERO_USAGE } from "../src/usage.js";
import type { Update } from "../src/state.js";
import { executeTask } from "../src/workers/execute.js";

/**
 * The worker node: runs its chain of tasks (usually one) through their registered workers, in order — or, with
 * continuous scheduling, a pool of tasks. Each task of a longer chain or a pool is a LangGraph `task`, so its
 * result is checkpointed the moment it finishes and is not run again on resume. A chain stops early at a failed
 * task or one that proposes follow-ups (the orchestrator decides first); tasks not run go back to pending.
 * Never throws: failure is a result too.
 */
export function makeWorkerNode(deps: OrchestratorDeps) {
  return async function worker(assignment: WorkerAssignment, config: LangGraphRunnableConfig): Promise<Update> {
    const settings = resolveSettings(config, deps.settings);
    // Every worker in flight listens on the run's signal: allow one listener set per parallel task.
    if (config.signal) setMaxListeners(Math.max(getMaxListeners(config.signal), 4 * settings.maxParallel + 10), config.signal);
    // A chain's steps are durable tasks, checkpointed one by one; a lone task is covered by the node's own write.
    const run = (input: WorkerInput) => traced(input, deps, settings, config);
    const durable = assignment.steps.length > 1 || assignment.pool !== undefined;
    const runStep = (durable ? durableTask("run_task", run) : run) as (input: WorkerInput) => Promise<TaskResult>;
    const emit = emitter(config);
    if (assignment.pool) return { results: await runPool(assignment, assignment.pool, runStep, emit) };
    const results: Record<string, TaskResult> = {};
    for (const [i, { rank, ...step }] of assignment.steps.entries()) {
      if (i > 0) emit({ type: "task.queued", taskId: step.task.id, worker: step.task.worker, rank });
      const result = await runStep(inputFor(assignment, step, results));
      results[step.task.id] = result;
      if (result.status !== "done" || result.followUps.length > 0) break;
    }
    return { results };
  };
}

/**
 * Continuous scheduling: runs the pool's tasks with `slots` at a time; a slot that frees takes the best task whose
 * dependencies are done, at once. Which task finished first is itself a durable record, so a resumed run replays
 * the same launches in the same order and every finished task comes back from its checkpoint. A task whose
 * dependency failed or proposed follow-ups is left for the orchestrator.
 */
async function runPool(
  assignment: WorkerAssignment,
  slots: number,
  runStep: (input: WorkerInput) => Promise<TaskResult>,
  emit: ReturnType<typeof emitter>,
): Promise<Record<string, TaskResult>> {
  const { steps } = assignment;
  const position = new Map(steps.map((step, i) => [step.task.id, i]));
  const waitingOn = steps.map((step) => step.task.dependsOn.filter((id) => position.has(id)).length);
  const dependents = new Map<string, number[]>();
  steps.forEach((step, i) => {
    for (const id of step.task.dependsOn) if (position.has(id)) dependents.set(id, [...(dependents.get(id) ?? []), i]);
  });
  const results: Record<string, TaskResult> = {};
  const running = new Map<string, Promise<TaskResult>>();
  // Ready steps by position: the steps come highest rank first, so the lowest position is the best.
  const ready = steps.flatMap((_, i) => (waitingOn[i] === 0 ? [i] : []));
  const firstDone = durableTask("next_done", (ids: string[]) =>
    Promise.race(ids.map((id) => running.get(id)!.then(() => id))),
  );
  const launch = () => {
    while (running.size < slots && ready.length > 0) {
      const { rank, ...step } = steps[ready.shift()!]!;
      emit({ type: "task.queued", taskId: step.task.id, worker: step.task.worker, rank });
      running.set(step.task.id, runStep(inputFor(assignment, step, results)));
    }
  };
  launch();
  while (running.size > 0) {
    const id = await firstDone([...running.keys()]);
    const result = (results[id] = await running.get(id)!);
    running.delete(id);
    // Dependents of a failed task, or of one that proposed follow-ups, are left for the orchestrator.
    if (result.status === "done" && result.followUps.length === 0) {
      for (const i of dependents.get(id) ?? []) {
        if (--waitingOn[i]! === 0) ready.splice(sortedIndex(ready, i), 0, i);
      }
    }
    launch();
  }
  return results;
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

/** A step's input: its routed dependencies plus the results this worker produced for it earlier. */
function inputFor(assignment: WorkerAssignment, step: Omit<WorkerInput, "goal">, results: Record<string, TaskResult>): WorkerInput {
  const dependencies = { ...step.dependencies };
  for (const id of step.task.dependsOn) {
    const result = results[id];
    if (!result) continue;
    const title = assignment.steps.find((other) => other.task.id === id)?.task.title ?? id;
    dependencies[id] = { title, worker: result.worker, output: result.output, data: result.data };
  }
  return { goal: assignment.goal, ...step, dependencies };
}

/** One task, traced as `<worker>:<task>` with its metadata so traces can be filtered per subtask. */
function traced(input: WorkerInput, deps: OrchestratorDeps, settings: Settings, config: LangGraphRunnableConfig): Promise<TaskResult> {
  const { task } = input;
  return RunnableLambda.from((payload: WorkerInput) => runTask(payload, deps, settings, config)).invoke(input, {
    runName: `${task.worker}:${task.id}`,
    tags: [`worker:${task.worker}`, `task:${task.id}`],
    metadata: {
      taskId: task.id,
      worker: task.worker,
      dispatch: input.dispatch,
      dependsOn: task.dependsOn,
      ...(task.parent ? { parentTask: task.parent } : {}),
    },
  });
}

async function runTask(input: WorkerInput, deps: OrchestratorDeps, settings: Settings, config: LangGraphRunnableConfig): Promise<TaskResult> {
  const started = new Date();
  try {
    return await executeTask(input, deps.registry.get(input.task.worker), {
      provider: deps.models,
      settings,
      emit: emitter(config),
      signal: config.signal,
    });
  } catch (error) {
    return {
      taskId: input.task.id,
      worker: input.task.worker,
      dispatch: input.dispatch,
      status: "failed",
      output: "",
      error: { ...classifyError(error), retryable: false },
      attempts: [],
      startedAt: started.toISOString(),
      durationMs: Date.now() - started.getTime(),
      usage: ZERO_USAGE,
      followUps: [],
    };
  }
}
