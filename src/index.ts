/**
 * The package's public API (`langgraph-orchestrator`): what a user needs to create and run an orchestrator, declare
 * workers, pick models and checkpointers, follow events, catch errors, read settings and compile the graph. Every name
 * here is covered by the version policy (docs/reference.md); anything not exported here is internal.
 */
export { createOrchestrator } from "./app/orchestrator.js";
export type { Orchestrator, OrchestratorOptions, RunRequest } from "./app/orchestrator.js";
export type { RunStatus, RunSummary, TaskSummary } from "./app/run.js";
export { buildOrchestratorGraph, compileOrchestrator } from "../graphs/orchestrator.js";
export type { OrchestratorDeps, TaskRunContext, TaskRunner } from "./deps.js";
export { parseAge, pruneThreads } from "./app/prune.js";
export type { KeptBecause, PruneOptions, PruneResult } from "./app/prune.js";
export * from "./errors.js";
export { OrchestratorEventSchema, isOrchestratorEvent } from "./events.js";
export type { OrchestratorEvent, OrchestratorEventType } from "./events.js";
export { chatModelProvider, openAIProvider } from "./models.js";
export type { ModelProvider, ModelRequest, ModelRole } from "./models.js";
export { openCheckpointer } from "./persistence/checkpointer.js";
export type { CheckpointerHandle, CheckpointerOptions } from "./persistence/checkpointer.js";
export type {
  DeadLetter,
  FollowUp,
  PlanInput,
  TaskRecord,
  TaskResult,
  TaskSpec,
  TaskStatus,
  WorkerInput,
} from "./schemas.js";
export { SettingsSchema, parseSettings } from "./settings.js";
export type { Settings, SettingsInput } from "./settings.js";
export { OrchestratorState, ReviewDecisionSchema } from "./state.js";
export type { ReviewDecision } from "./state.js";
export type { Usage } from "./budget/usage.js";
export { llmCheck, llmReview } from "./workers/checks.js";
export { a2aWorker, agentWorker, functionWorker, graphWorker, WorkerRegistry } from "./workers/registry.js";
export { discoverA2aWorker, withAgentCards } from "./workers/a2a-card.js";
export type { A2aQuestion } from "./workers/a2a.js";
export {
  HANDOFF_SCHEMA_PATH,
  HANDOFF_VERSION,
  HandoffMessageSchema,
  SPOKEN_HANDOFF_VERSIONS,
  handoffJsonSchema,
  handoffMessage,
} from "./worker-contract.js";
export { memoryOf } from "./workers/memory.js";
export type {
  A2aWorker,
  AgentWorker,
  FunctionWorker,
  GraphWorker,
  McpServer,
  MemoryScope,
  ModelAccess,
  ResultCheck,
  WorkerCatalog,
  WorkerDefinition,
  WorkerGraph,
  WorkerMemory,
  WorkerOutput,
  WorkerRunContext,
} from "./worker-contract.js";
