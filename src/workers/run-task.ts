import { RunnableLambda } from "@langchain/core/runnables";
import { isGraphBubbleUp, type LangGraphRunnableConfig } from "@langchain/langgraph";
import { prepareModels, type OrchestratorDeps } from "../deps.js";
import { emitter } from "../events.js";
import type { TaskResult, WorkerInput } from "../schemas.js";
import type { Settings } from "../settings.js";
import { ZERO_USAGE } from "../usage.js";
import { classifyError } from "./classify.js";
import { executeTask } from "./execute.js";
import { workerMemory } from "./memory.js";
import type { RunMeter } from "./meter.js";

/** One task, traced as `<worker>:<task>` with its metadata so traces can be filtered per subtask. */
export function traced(input: WorkerInput, deps: OrchestratorDeps, settings: Settings, config: LangGraphRunnableConfig, meter?: RunMeter): Promise<TaskResult> {
  const { task } = input;
  return RunnableLambda.from((payload: WorkerInput) => runTask(payload, deps, settings, config, meter)).invoke(input, {
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

async function runTask(input: WorkerInput, deps: OrchestratorDeps, settings: Settings, config: LangGraphRunnableConfig, meter?: RunMeter): Promise<TaskResult> {
  const started = new Date();
  try {
    await prepareModels(deps, settings);
    return await executeTask(input, deps.registry.get(input.task.worker), {
      provider: deps.models,
      settings,
      emit: emitter(config),
      signal: config.signal,
      meter,
      ...(config.store && input.runId ? { memory: workerMemory(config.store, input.runId, settings.memoryNamespace) } : {}),
    });
  } catch (error) {
    if (isGraphBubbleUp(error)) throw error;
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
