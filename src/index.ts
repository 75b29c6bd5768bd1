/** The package's public surface: `createOrchestrator` for programmatic use, the graph, and the building blocks. */
export { createOrchestrator } from "./app/orchestrator.js";
export type { Orchestrator, OrchestratorOptions, RunRequest } from "./app/orchestrator.js";
export type { RunSummary, TaskSummary } from "./app/run.js";
export { parseAge, pruneThreads } from "./app/prune.js";
export type { KeptBecause, PruneOptions, PruneResult } from "./app/prune.js";
export { buildOrchestratorGraph, compileOrchestrator, graph } from "../graphs/orchestrator.js";
export * from "./errors.js";
export { OrchestratorEventSchema, isOrchestratorEvent } from "./events.js";
export type { OrchestratorEvent } from "./events.js";
export { chatModelProvider, openAIProvider, parseModelSpec } from "./models.js";
export type { ModelProvider, ModelRequest, ModelRole } from "./models.js";
export { NotDeadLetteredError, redriveUpdate } from "./orchestration/redrive.js";
export { openCheckpointer, DEFAULT_CHECKPOINTER, CheckpointerConnectionError } from "./persistence/checkpointer.js";
export type { CheckpointerHandle, CheckpointerOptions } from "./persistence/checkpointer.js";
export { LockFileError, ThreadBusyError, fileLock, postgresLock, processLock } from "./persistence/thread-lock.js";
export type { ThreadLock } from "./persistence/thread-lock.js";
export { SettingsSchema, parseSettings, resolveSettings } from "./settings.js";
export type { Settings, SettingsInput } from "./settings.js";
export { OrchestratorState, ReviewDecisionSchema } from "./state.js";
export type { ReviewDecision } from "./state.js";
export { llmCheck, llmReview } from "./workers/checks.js";
export { agentWorker, functionWorker, graphWorker, WorkerRegistry } from "./workers/registry.js";
export { memoryOf, runNamespace, workerMemory } from "./workers/memory.js";
export type {
  WorkerDefinition,
  WorkerOutput,
  WorkerRunContext,
  AgentWorker,
  FunctionWorker,
  WorkerCatalog,
  ResultCheck,
  ModelAccess,
} from "./worker-contract.js";
