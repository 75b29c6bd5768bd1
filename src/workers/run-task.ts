import { RunnableLambda } from "@langchain/core/runnables";
import { task as durableTask, type LangGraphRunnableConfig } from "@langchain/langgraph";
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

/** Runs one task of a chain or a pool. */
export type RunStep = (input: WorkerInput) => Promise<TaskResult>;

/** `run` as a LangGraph `task` named `name`: checkpointed as it ends, its result replayed on resume. */
const durableStep = (name: string, run: RunStep): RunStep => durableTask(name, run) as unknown as RunStep;

/**
 * One task, traced as `<worker>:<task>` with its metadata and tags so traces can be filtered per subtask. With
 * `durable`, that traced run sits inside the task's durable LangGraph `task` of the same name (what Studio shows;
 * LangGraph gives that run no tags or metadata of ours).
 */
export function traced(
  input: WorkerInput,
  deps: OrchestratorDeps,
  settings: Settings,
  config: LangGraphRunnableConfig,
  meter?: RunMeter,
  durable = false,
): Promise<TaskResult> {
  const { task } = input;
  const runName = `${task.worker}:${task.id}`;
  const trace = (payload: WorkerInput) =>
    RunnableLambda.from((step: WorkerInput) => runTask(step, deps, settings, config, meter)).invoke(payload, {
      runName,
      tags: [`worker:${task.worker}`, `task:${task.id}`],
      metadata: {
        taskId: task.id,
        worker: task.worker,
        dispatch: input.dispatch,
        dependsOn: task.dependsOn,
        ...(task.parent ? { parentTask: task.parent } : {}),
      },
    });
  return durable ? durableStep(runName, trace)(input) : trace(input);
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
