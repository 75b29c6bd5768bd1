/**
 * The package's public entry (a composition root): `createOrchestrator` for programmatic use, plus the
 * building blocks for custom workers, models and checkpointers.
 */
import { randomUUID } from "node:crypto";
import { Command, type BaseCheckpointSaver } from "@langchain/langgraph";
import { compileOrchestrator } from "../graphs/orchestrator.js";
import { DEFAULT_CHECKPOINTER, openCheckpointer, type CheckpointerHandle } from "./checkpointer.js";
import type { SettingsInput } from "./config.js";
import type { OrchestratorEvent } from "./events.js";
import { openAIProvider, type ModelProvider } from "./models.js";
import { WorkerRegistry, type WorkerDefinition } from "./registry.js";
import { runGraph, type RunSummary } from "./runner.js";
import type { PlanInput } from "./schemas.js";
import type { State } from "./state.js";
import { defaultRegistry } from "./workers/defaults.js";
import type { ReviewDecision } from "../nodes/review.js";
import { NODES } from "../nodes/names.js";
import { OrchestratorError } from "./errors.js";
import { redriveUpdate } from "./redrive.js";

export { buildOrchestratorGraph, compileOrchestrator, graph } from "../graphs/orchestrator.js";
export { agentWorker, functionWorker, WorkerRegistry } from "./registry.js";
export type { WorkerDefinition, WorkerOutput, WorkerRunContext, AgentWorker, FunctionWorker } from "./registry.js";
export { openAIProvider } from "./models.js";
export { llmReview } from "./quality.js";
export type { ModelProvider, ModelRequest, ModelRole } from "./models.js";
export { SettingsSchema, parseSettings, resolveSettings } from "./config.js";
export type { Settings, SettingsInput } from "./config.js";
export { OrchestratorEventSchema, isOrchestratorEvent } from "./events.js";
export type { OrchestratorEvent } from "./events.js";
export { openCheckpointer, DEFAULT_CHECKPOINTER } from "./checkpointer.js";
export { OrchestratorState } from "./state.js";
export type { RunSummary, TaskSummary } from "./runner.js";
export type { ReviewDecision } from "../nodes/review.js";
export * from "./errors.js";
export { NotDeadLetteredError, redriveUpdate } from "./redrive.js";

export interface OrchestratorOptions {
  /** A checkpointer, or a spec: `memory`, `sqlite:PATH`, `postgres://…` (default: the CLI's SQLite file). */
  checkpointer?: BaseCheckpointSaver | string;
  /** Workers (or a registry); default: the general-purpose researcher/analyst/writer/reviewer. */
  workers?: readonly WorkerDefinition[] | WorkerRegistry;
  /** Model provider; default: ChatOpenAI from OPENAI_API_KEY / OPENAI_BASE_URL. */
  models?: ModelProvider;
  /** Default settings of every run. */
  settings?: SettingsInput;
  /** Receives every lifecycle event of every run. */
  onEvent?: (event: OrchestratorEvent) => void;
}

export interface RunRequest {
  threadId?: string;
  plan?: PlanInput;
  settings?: SettingsInput;
  signal?: AbortSignal;
  onEvent?: (event: OrchestratorEvent) => void;
}

/** An orchestrator bound to its workers, models and checkpointer. */
export interface Orchestrator {
  graph: ReturnType<typeof compileOrchestrator>;
  /** Runs a goal on a (new) thread to its answer, or to a pending review. */
  run(goal: string, request?: RunRequest): Promise<RunSummary>;
  /** Resumes a thread from its last checkpoint, optionally answering a pending review. */
  resume(threadId: string, answer?: ReviewDecision, request?: Omit<RunRequest, "threadId" | "plan">): Promise<RunSummary>;
  /**
   * Re-queues dead letters (all, or the given task ids) on an existing thread and resumes the run: only those
   * tasks and the tasks skipped because of them run again, then the answer is written anew.
   */
  redrive(threadId: string, taskIds?: readonly string[], request?: Omit<RunRequest, "threadId" | "plan">): Promise<RunSummary>;
  /** The thread's current state. */
  state(threadId: string): Promise<State>;
  /** Closes the checkpointer it opened. */
  close(): Promise<void>;
}

/** Creates an orchestrator for programmatic use. */
export async function createOrchestrator(options: OrchestratorOptions = {}): Promise<Orchestrator> {
  const registry =
    options.workers instanceof WorkerRegistry
      ? options.workers
      : options.workers
        ? new WorkerRegistry(options.workers)
        : defaultRegistry();
  let handle: CheckpointerHandle | undefined;
  const saver =
    typeof options.checkpointer === "object"
      ? options.checkpointer
      : (handle = await openCheckpointer(options.checkpointer ?? DEFAULT_CHECKPOINTER)).saver;
  const graph = compileOrchestrator(
    { registry, models: options.models ?? openAIProvider(), settings: options.settings },
    { checkpointer: saver },
  );
  const forward = (request?: RunRequest) => (event: OrchestratorEvent) => {
    options.onEvent?.(event);
    request?.onEvent?.(event);
  };
  return {
    graph,
    run: (goal, request = {}) =>
      runGraph(graph, { goal, ...(request.plan ? { plan: request.plan } : {}) }, {
        threadId: request.threadId ?? randomUUID(),
        settings: { ...options.settings, ...request.settings },
        signal: request.signal,
        onEvent: forward(request),
      }),
    resume: (threadId, answer, request = {}) =>
      runGraph(graph, answer === undefined ? null : new Command({ resume: answer }), {
        threadId,
        settings: { ...options.settings, ...request.settings },
        signal: request.signal,
        onEvent: forward(request),
      }),
    redrive: async (threadId, taskIds, request = {}) => {
      const config = { configurable: { thread_id: threadId } };
      const snapshot = await graph.getState(config);
      if (!(snapshot.values as Partial<State>).goal) throw new OrchestratorError(`Thread "${threadId}" has no run to re-drive.`);
      await graph.updateState(config, redriveUpdate(snapshot.values as State, taskIds).update, NODES.worker);
      return runGraph(graph, null, {
        threadId,
        settings: { ...options.settings, ...request.settings },
        signal: request.signal,
        onEvent: forward(request),
      });
    },
    state: async (threadId) => (await graph.getState({ configurable: { thread_id: threadId } })).values as State,
    close: async () => handle?.close(),
  };
}
