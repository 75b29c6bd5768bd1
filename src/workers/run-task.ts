import { RunnableLambda } from "@langchain/core/runnables";
import {
  type BaseStore,
  getConfig,
  task as durableTask,
  isGraphBubbleUp,
  type LangGraphRunnableConfig,
} from "@langchain/langgraph";
import { prepareModels, type OrchestratorDeps } from "../deps.js";
import { emitter } from "../events.js";
import type { TaskResult, WorkerInput } from "../schemas.js";
import type { Settings } from "../settings.js";
import { ZERO_USAGE } from "../usage.js";
import { offChatStream } from "./chat-stream.js";
import { classifyError } from "./classify.js";
import { executeTask } from "./execute.js";
import { workerMemory } from "./memory.js";
import type { RunMeter } from "./meter.js";
import { taskRunLabels, type ExecuteOptions } from "./attempt.js";

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
  const labels = taskRunLabels(task.worker, task.id);
  const trace = (payload: WorkerInput) =>
    RunnableLambda.from((step: WorkerInput) => runTask(step, deps, settings, config, meter)).invoke(payload, {
      ...labels,
      // The task's own run (a durable task's, else the node's): its worker's insides stay out of the chat.
      ...offChatStream(getConfig() ?? config),
      metadata: {
        taskId: task.id,
        worker: task.worker,
        dispatch: input.dispatch,
        dependsOn: task.dependsOn,
        ...(task.parent ? { parentTask: task.parent } : {}),
      },
    });
  return durable ? durableStep(labels.runName, trace)(input) : trace(input);
}

/**
 * Runs the task here, or through the deps' task runner. Under a run budget a task that runs elsewhere gets the wave's
 * share of it, and what it spent counts here once it lands.
 */
async function runTask(
  input: WorkerInput,
  deps: OrchestratorDeps,
  settings: Settings,
  config: LangGraphRunnableConfig,
  meter?: RunMeter,
): Promise<TaskResult> {
  const emit = emitter(config);
  if (!deps.taskRunner) {
    return runTaskHere(input, deps, {
      provider: deps.models,
      settings,
      emit,
      signal: config.signal,
      meter,
      ...taskMemory(config.store, input, settings),
    });
  }
  const started = new Date();
  const threadId = String(config.configurable?.thread_id ?? "");
  const budget = meter?.share();
  const result = await deps
    .taskRunner(input, { threadId, settings, emit, signal: config.signal, ...(budget ? { budget } : {}) })
    .catch((error: unknown) => failedResult(input, error, started));
  meter?.record(result.usage);
  return result;
}

/** The task's run memory over `store` (an in-process run's, or a task worker's shared one), for `runTaskHere`'s options; none without a store or run id. */
export function taskMemory(
  store: BaseStore | undefined,
  input: WorkerInput,
  settings: Settings,
): Pick<ExecuteOptions, "memory"> {
  return store && input.runId ? { memory: workerMemory(store, input.runId, settings.memoryNamespace) } : {};
}

/**
 * Runs one task in this process to its result record; a worker that throws (or is unknown) gives a failed one. Never
 * throws, but for an interrupt inside a graph worker, which goes up to the parent graph.
 */
export async function runTaskHere(
  input: WorkerInput,
  deps: Pick<OrchestratorDeps, "registry" | "models">,
  options: ExecuteOptions,
): Promise<TaskResult> {
  const started = new Date();
  try {
    await prepareModels(deps, options.settings);
    return await executeTask(input, deps.registry.get(input.task.worker), options);
  } catch (error) {
    if (isGraphBubbleUp(error)) throw error;
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
