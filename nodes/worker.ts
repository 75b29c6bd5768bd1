import { getMaxListeners, setMaxListeners } from "node:events";
import { RunnableLambda } from "@langchain/core/runnables";
import type { LangGraphRunnableConfig } from "@langchain/langgraph";
import { resolveSettings, type Settings } from "../src/config.js";
import type { OrchestratorDeps } from "../src/context.js";
import { emitter } from "../src/events.js";
import { classifyError } from "../src/failures.js";
import { ZERO_USAGE, type TaskResult, type WorkerInput } from "../src/schemas.js";
import type { Update } from "../src/state.js";
import { executeTask } from "../src/workers/execute.js";

/** The worker node: runs one task through its registered worker. Never throws: failure is a result too. */
export function makeWorkerNode(deps: OrchestratorDeps) {
  return async function worker(input: WorkerInput, config: LangGraphRunnableConfig): Promise<Update> {
    const { task } = input;
    const settings = resolveSettings(config, deps.settings);
    // Every worker in flight listens on the run's signal: allow one listener set per parallel task.
    if (config.signal) setMaxListeners(Math.max(getMaxListeners(config.signal), 4 * settings.maxParallel + 10), config.signal);
    const run = RunnableLambda.from((payload: WorkerInput) => runTask(payload, deps, settings, config));
    const result = await run.invoke(input, {
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
    return { results: { [task.id]: result } };
  };
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
