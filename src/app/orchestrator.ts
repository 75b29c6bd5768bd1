import { randomUUID } from "node:crypto";
import { Command, InMemoryStore, type BaseCheckpointSaver, type BaseStore } from "@langchain/langgraph";
import { compileOrchestrator, NODES } from "../../graphs/orchestrator.js";
import type { TaskRunner } from "../deps.js";
import { ConfigError } from "../errors.js";
import type { OrchestratorEvent } from "../events.js";
import { openAIProvider, type ModelProvider } from "../models.js";
import { redriveUpdate } from "../orchestration/redrive.js";
import {
  connectionError,
  DEFAULT_CHECKPOINTER,
  openCheckpointer,
  type CheckpointerHandle,
  type CheckpointerOptions,
} from "../persistence/checkpointer.js";
import { processLock, type ThreadLock } from "../persistence/thread-lock.js";
import type { PlanInput } from "../schemas.js";
import { parseSettings, settingsOf, type Settings, type SettingsInput } from "../settings.js";
import type { ReviewDecision, State } from "../state.js";
import { defaultRegistry } from "../workers/defaults.js";
import { WorkerRegistry } from "../workers/registry.js";
import type { WorkerDefinition } from "../worker-contract.js";
import { runGraph, summarize, type RunOptions, type RunSummary } from "./run.js";

export interface OrchestratorOptions {
  /** A checkpointer, or a spec: `memory`, `sqlite:PATH`, `postgres://…` (default: the CLI's SQLite file). */
  checkpointer?: BaseCheckpointSaver | string;
  /**
   * Workers' shared memory (LangGraph's `BaseStore`); default: the store beside a checkpointer opened from a spec
   * (in memory, the SQLite file, Postgres), else an in-memory one.
   */
  store?: BaseStore;
  /** Workers (or a registry); default: the general-purpose researcher/analyst/writer/reviewer. */
  workers?: readonly WorkerDefinition[] | WorkerRegistry;
  /** Model provider; default: ChatOpenAI from OPENAI_API_KEY / OPENAI_BASE_URL. */
  models?: ModelProvider;
  /** Default settings of every run. */
  settings?: SettingsInput;
  /** Receives every lifecycle event of every run. */
  onEvent?: (event: OrchestratorEvent) => void;
  /** Postgres schema and pool size, for a `postgres://` spec. */
  checkpointerOptions?: CheckpointerOptions;
  /** Overrides the thread lock (default: the checkpointer's own, or per process). */
  lock?: ThreadLock;
  /** Runs each task elsewhere, e.g. on a job queue's task workers (`createTaskQueue`); default: in this process. */
  taskRunner?: TaskRunner;
}

/** One run's options: the run loop's (settings, cancel and drain signals, events) plus its thread and plans. */
export interface RunRequest extends Omit<RunOptions, "threadId"> {
  /** Default: a new thread. */
  threadId?: string;
  /** A plan to run instead of asking the planner. */
  plan?: PlanInput;
  /** A plan to run only if the planner fails. */
  fallbackPlan?: PlanInput;
  /**
   * The run's id (default: a new one). Naming one makes `run()` idempotent: when the thread already holds this run,
   * it continues from its last checkpoint (a finished one is only summarised) instead of starting again, so a job
   * delivered twice runs once. The check is made holding the thread.
   */
  runId?: string;
  /** Called holding the thread, as the run starts (`false`) or continues an earlier start of its `runId` (`true`). */
  onStart?: (resumed: boolean) => void | Promise<void>;
}

/** An orchestrator bound to its workers, models and checkpointer. */
export interface Orchestrator {
  graph: ReturnType<typeof compileOrchestrator>;
  /**
   * Runs a goal on a (new) thread to its answer, or to a pending review: a new run with its own id, unless
   * `request.runId` names the run the thread already holds (then that run continues).
   */
  run(goal: string, request?: RunRequest): Promise<RunSummary>;
  /** Resumes a thread from its last checkpoint, optionally answering a pending review or a graph worker's interrupt. */
  resume(
    threadId: string,
    answer?: ReviewDecision | unknown,
    request?: Omit<RunRequest, "threadId" | "plan">,
  ): Promise<RunSummary>;
  /**
   * Re-queues dead letters (all, or the given task ids) on an existing thread and resumes the run: only those
   * tasks and the tasks skipped because of them run again, then the answer is written anew.
   */
  redrive(
    threadId: string,
    taskIds?: readonly string[],
    request?: Omit<RunRequest, "threadId" | "plan">,
  ): Promise<RunSummary>;
  /** The thread's current state. */
  state(threadId: string): Promise<State>;
  /** Closes the checkpointer it opened. */
  close(): Promise<void>;
}

/** Creates an orchestrator for programmatic use. */
export async function createOrchestrator(options: OrchestratorOptions = {}): Promise<Orchestrator> {
  const registry = registryOf(options.workers);
  const handle: CheckpointerHandle | undefined =
    typeof options.checkpointer === "object"
      ? undefined
      : await openCheckpointer(options.checkpointer ?? DEFAULT_CHECKPOINTER, options.checkpointerOptions);
  const saver = handle?.saver ?? (options.checkpointer as BaseCheckpointSaver);
  const exclusive = holdingThread(options.lock ?? handle?.lock ?? processLock());
  const graph = compileOrchestrator(
    {
      registry,
      models: options.models ?? openAIProvider(),
      settings: options.settings,
      taskRunner: options.taskRunner,
    },
    { checkpointer: saver, store: options.store ?? handle?.store ?? new InMemoryStore() },
  );
  const runOptions = runOptionsOf(options);
  const currentState = (threadId: string) => stateOf(graph, threadId);
  const checkpointed = (threadId: string) => checkpointedState(graph, threadId);
  return {
    graph,
    run: (goal, request = {}) => {
      const threadId = request.threadId ?? randomUUID();
      return exclusive(threadId, () => startRun(graph, goal, threadId, request, runOptions(threadId, request)));
    },
    resume: (threadId, answer, request = {}) =>
      exclusive(threadId, async () => {
        await checkpointed(threadId);
        return runGraph(
          graph,
          answer === undefined ? null : new Command({ resume: answer }),
          runOptions(threadId, request),
        );
      }),
    redrive: (threadId, taskIds, request = {}) =>
      exclusive(threadId, async () => {
        const state = await checkpointed(threadId);
        await graph.updateState(
          { configurable: { thread_id: threadId } },
          redriveUpdate(state, taskIds).update,
          NODES.worker,
        );
        return runGraph(graph, null, runOptions(threadId, request));
      }),
    state: currentState,
    close: async () => handle?.close(),
  };
}

type OrchestratorGraph = ReturnType<typeof compileOrchestrator>;

/** The thread's current state. */
const stateOf = async (graph: OrchestratorGraph, threadId: string): Promise<State> =>
  (await graph.getState({ configurable: { thread_id: threadId } })).values as State;

/** The thread's state; a clear error when nothing was ever checkpointed on it. */
async function checkpointedState(graph: OrchestratorGraph, threadId: string): Promise<State> {
  const state = await stateOf(graph, threadId);
  if (!state.goal) {
    throw new ConfigError(`Thread "${threadId}" has no checkpoint to resume: start the run again with its goal.`);
  }
  return state;
}

/**
 * Starts a run of `goal` on the thread (held by the caller): a new run with a new id, unless `request.runId` names
 * the run the thread already holds, which then continues (or, finished, is only summarised).
 */
async function startRun(
  graph: OrchestratorGraph,
  goal: string,
  threadId: string,
  request: RunRequest,
  options: RunOptions,
): Promise<RunSummary> {
  // A new run id: every run() is a new run, whatever ran on the thread before, unless it names the thread's own.
  const input = {
    goal,
    runId: request.runId ?? randomUUID(),
    ...(request.plan ? { plan: request.plan } : {}),
    ...(request.fallbackPlan ? { fallbackPlan: request.fallbackPlan } : {}),
  };
  if (request.runId !== undefined) {
    const state = await stateOf(graph, threadId);
    // Planned under this id: the run started before. (Input checkpointed but not planned yet starts it afresh.)
    if (state.runId === input.runId && state.planRunId === input.runId) {
      if (state.answer) return summarize(threadId, state);
      await request.onStart?.(true);
      return runGraph(graph, null, options);
    }
  }
  await request.onStart?.(false);
  return runGraph(graph, input, options);
}

/** The workers as a registry: a registry as it is, definitions registered, or the default workers. */
function registryOf(workers: OrchestratorOptions["workers"]): WorkerRegistry {
  if (workers instanceof WorkerRegistry) return workers;
  return workers ? new WorkerRegistry(workers) : defaultRegistry();
}

/** Runs `work` holding the thread; database connection losses become a clear, resumable error. */
function holdingThread(lock: ThreadLock) {
  return async <T>(threadId: string, work: () => Promise<T>): Promise<T> => {
    const release = await lock.acquire(threadId).catch((error: unknown) => {
      throw connectionError(error);
    });
    try {
      return await work();
    } catch (error) {
      throw connectionError(error);
    } finally {
      await release();
    }
  };
}

/**
 * The options of each run: its settings parsed once (the orchestrator's defaults once for every run that adds none),
 * its signals, and its events to both listeners.
 */
function runOptionsOf(options: OrchestratorOptions) {
  let defaults: Settings | undefined;
  return (threadId: string, request: Omit<RunRequest, "threadId" | "plan">): RunOptions => ({
    threadId,
    settings: request.settings
      ? parseSettings({ ...options.settings, ...request.settings })
      : (defaults ??= settingsOf(options.settings)),
    signal: request.signal,
    drain: request.drain,
    onEvent: (event) => {
      options.onEvent?.(event);
      request.onEvent?.(event);
    },
  });
}
