import { RunnableLambda } from "@langchain/core/runnables";
import type { LangGraphRunnableConfig } from "@langchain/langgraph";
import type { OrchestratorDeps } from "../deps.js";
import { emitter } from "../events.js";
import type { TaskResult, WorkerInput } from "../schemas.js";
import type { Settings } from "../settings.js";
import { ZERO_USAGE } from "../usage.js";
import { classifyError } from "./classify.js";
import { executeTask } from "./execute.js";
import type { RunMeter } from "./meter.js";
import type { ExecuteOptions } from "./attempt.js";
import type { WorkerCatalog } from "../worker-contract.js";

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

/** Runs the task here, or through the deps' task runner (not under a run budget: its meter lives in this process). */
async function runTask(input: WorkerInput, deps: OrchestratorDeps, settings: Settings, config: LangGraphRunnableConfig, meter?: RunMeter): Promise<TaskResult> {
  const emit = emitter(config);
  if (!deps.taskRunner || meter) return runTaskHere(input, deps.registry, { provider: deps.models, settings, emit, signal: config.signal, meter });
  const started = new Date();
  const threadId = String(config.configurable?.thread_id ?? "");
  return deps.taskRunner(input, { threadId, settings, emit, signal: config.signal }).catch((error: unknown) => failedResult(input, error, started));
}

/** Runs one task in this process to its result record; a worker that throws (or is unknown) gives a failed one. Never throws. */
export async function runTaskHere(input: WorkerInput, registry: WorkerCatalog, options: ExecuteOptions): Promise<TaskResult> {
  const started = new Date();
  try {
    return await executeTask(input, registry.get(input.task.worker), options);
  } catch (error) {
    return failedResult(input, error, started);
  }
}

function failedResult(input: WorkerInput, error: unknown, started: Date): TaskResult {
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
