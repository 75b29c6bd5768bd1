import { RunnableLambda } from "@langchain/core/runnables";
import { type BaseStore, getConfig, task as durableTask, isGraphBubbleUp } from "@langchain/langgraph";
import type { OrchestratorDeps } from "../deps.js";
import type { TaskResult, WorkerInput } from "../schemas.js";
import type { Settings } from "../settings.js";
import { ZERO_USAGE } from "../budget/usage.js";
import { offChatStream } from "./chat-stream.js";
import { classifyError } from "./classify.js";
import { executeTask } from "./execute.js";
import { workerMemory } from "./memory.js";
import { taskRunLabels, type ExecuteOptions } from "./attempt.js";

/** Runs one task of a chain or a pool. */
export type RunStep = (input: WorkerInput) => Promise<TaskResult>;

/** What the tasks of one worker node share: set up once per assignment, read by each of its tasks. */
export interface TaskContext {
  deps: Pick<OrchestratorDeps, "registry" | "taskRunner">;
  /** How a task runs here: the run's models, settings, events, signal, meter and memory. */
  options: ExecuteOptions;
  /** The assignment's models, prepared once: a task awaits it before its first attempt. */
  modelsReady: Promise<void>;
  /** The thread the run belongs to, for a task runner. */
  threadId: string;
  /** Whether each task is a durable LangGraph `task` (a chain of several, or a pool). */
  durable: boolean;
}

/** `run` as a LangGraph `task` named `name`: checkpointed as it ends, its result replayed on resume. */
const durableStep = (name: string, run: RunStep): RunStep => durableTask(name, run) as unknown as RunStep;

/**
 * Runs one task to its result record, here or through the deps' task runner, traced as `<worker>:<task>` with its
 * metadata and tags so traces can be filtered per subtask. With `durable`, that traced run sits inside the task's
 * durable LangGraph `task` of the same name (what Studio shows; LangGraph gives that run no tags or metadata of ours).
 */
export function runTask(input: WorkerInput, context: TaskContext): Promise<TaskResult> {
  const { task } = input;
  const labels = taskRunLabels(task.worker, task.id);
  const run = (step: WorkerInput) => (context.deps.taskRunner ? runElsewhere(step, context) : runHere(step, context));
  const trace = (payload: WorkerInput) =>
    RunnableLambda.from(run).invoke(payload, {
      ...labels,
      // The task's own run (a durable task's, else the node's): its worker's insides stay out of the chat.
      ...offChatStream(getConfig() ?? {}),
      metadata: {
        taskId: task.id,
        worker: task.worker,
        dispatch: input.dispatch,
        dependsOn: task.dependsOn,
        ...(task.parent ? { parentTask: task.parent } : {}),
      },
    });
  return context.durable ? durableStep(labels.runName, trace)(input) : trace(input);
}

const runHere = (input: WorkerInput, { deps, options, modelsReady }: TaskContext) =>
  runTaskHere(input, deps.registry, options, modelsReady);

/** Runs the task through the task runner: under a run budget it gets the wave's share, and what it spent counts here. */
async function runElsewhere(input: WorkerInput, { deps, options, threadId }: TaskContext): Promise<TaskResult> {
  const started = new Date();
  const { settings, emit, signal, meter } = options;
  const budget = meter?.share();
  const result = await deps.taskRunner!(input, {
    threadId,
    settings,
    emit,
    signal,
    ...(budget ? { budget } : {}),
  }).catch((error: unknown) => failedResult(input, error, started));
  meter?.record(result.usage);
  return result;
}

/** The run memory over `store` (an in-process run's, or a task worker's shared one) for ExecuteOptions; none without a store or run id. */
export function taskMemory(
  store: BaseStore | undefined,
  input: Pick<WorkerInput, "runId">,
  settings: Settings,
): Pick<ExecuteOptions, "memory"> {
  return store && input.runId ? { memory: workerMemory(store, input.runId, settings.memoryNamespace) } : {};
}

/**
 * Runs one task in this process to its result record, once `modelsReady`; a worker that throws (or is unknown) gives
 * a failed one. Never throws, but for an interrupt inside a graph worker, which goes up to the parent graph.
 */
export async function runTaskHere(
  input: WorkerInput,
  registry: OrchestratorDeps["registry"],
  options: ExecuteOptions,
  modelsReady: Promise<void>,
): Promise<TaskResult> {
  const started = new Date();
  try {
    await modelsReady;
    return await executeTask(input, registry.get(input.task.worker), options);
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
