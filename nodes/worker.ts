import { getMaxListeners, setMaxListeners } from "node:events";
import type { LangGraphRunnableConfig } from "@langchain/langgraph";
import { prepareModels, type OrchestratorDeps } from "../src/deps.js";
import { emitter } from "../src/events.js";
import type { WorkerAssignment, WorkerInput } from "../src/schemas.js";
import { resolveSettings } from "../src/settings.js";
import type { Update } from "../src/state.js";
import { announcePlan } from "../src/orchestration/chat.js";
import { planFeed } from "../src/orchestration/plan-feed.js";
import { runChain } from "../src/workers/assignment.js";
import { WaveMeters } from "../src/budget/meter.js";
import { runPool, stopCheck } from "../src/workers/pool.js";
import { runTask, taskMemory, type TaskContext } from "../src/workers/run-task.js";

/**
 * The worker node: runs its chain of tasks (usually one) through their registered workers, in order — or, with
 * continuous scheduling, a pool of tasks. Each task of a longer chain or a pool is a LangGraph `task` named
 * `<worker>:<task id>`, so its result is checkpointed the moment it finishes and is not run again on resume. Never
 * throws: failure is a result too. With streamed planning, the pool plans the goal first (see `planFeed`).
 */
export function makeWorkerNode(deps: OrchestratorDeps) {
  const waveMeters = new WaveMeters();
  return async function worker(assignment: WorkerAssignment, config: LangGraphRunnableConfig): Promise<Update> {
    const settings = resolveSettings(config, deps.settings);
    // Every worker in flight listens on the run's signal: allow one listener set per parallel task.
    if (config.signal)
      setMaxListeners(Math.max(getMaxListeners(config.signal), 4 * settings.maxParallel + 10), config.signal);
    // Under a run budget, the wave's workers share one meter that every model call (and every launch) asks first.
    const meter = assignment.budget ? waveMeters.meterFor(config, assignment.budget, settings) : undefined;
    const emit = emitter(config);
    const modelsReady = deps.taskRunner ? Promise.resolve() : prepareModels(deps, settings);
    // A failure to prepare is each task's failed result, awaited by the task.
    modelsReady.catch(() => {});
    const context: TaskContext = {
      deps,
      options: {
        provider: deps.models,
        settings,
        emit,
        signal: config.signal,
        meter,
        ...taskMemory(config.store, assignment, settings),
      },
      modelsReady,
      threadId: String(config.configurable?.thread_id ?? ""),
      // A chain's steps are durable tasks, checkpointed one by one; a lone task is covered by the node's own write.
      durable: assignment.steps.length > 1 || assignment.pool !== undefined,
    };
    const runStep = (input: WorkerInput) => runTask(input, context);
    const stopReason = stopCheck(config, meter);
    if (assignment.planning) {
      // Streamed planning: the pool plans the goal and starts each task as the plan streams.
      const feed = planFeed(deps, settings, { ...assignment, planning: assignment.planning }, config, meter);
      const results = await runPool(
        assignment,
        assignment.pool ?? settings.maxParallel,
        runStep,
        emit,
        stopReason,
        feed,
      );
      const outcome = await feed.outcome();
      // The plan the chat was shown as it streamed, stored now (the step's values would otherwise take it away); a plan
      // that failed is not, and goes as the orchestrator decides.
      const announced = outcome.ok && assignment.runId ? announcePlan(settings, outcome.tasks, assignment.runId) : {};
      return { results, planStream: { outcome, launched: feed.launched }, ...announced };
    }
    const results = assignment.pool
      ? await runPool(assignment, assignment.pool, runStep, emit, stopReason)
      : await runChain(assignment, runStep, emit, stopReason);
    return { results };
  };
}
