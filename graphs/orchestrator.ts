import { END, START, StateGraph, type BaseCheckpointSaver, type BaseStore } from "@langchain/langgraph";
import { RECURSION_LIMIT_CEILING, SettingsSchema } from "../src/settings.js";
import type { OrchestratorDeps } from "../src/deps.js";
import { openAIProvider } from "../src/models.js";
import { WorkerAssignmentSchema } from "../src/schemas.js";
import { OrchestratorInput, OrchestratorOutput, OrchestratorState } from "../src/state.js";
import { workerSubgraphs } from "../src/workers/graph.js";
import { serverRegistry } from "../src/workers/workers-file.js";
import { NODES } from "../nodes/names.js";
import { makeOrchestratorNode } from "../nodes/orchestrator.js";
import { makeReviewNode, REVIEW_ROUTES, routeFromReview } from "../nodes/review.js";
import { ORCHESTRATOR_ROUTES, routeFromOrchestrator } from "../nodes/route.js";
import { makeSynthesizerNode } from "../nodes/synthesizer.js";
import { makeWorkerNode } from "../nodes/worker.js";

export { NODES };

/** Wires the orchestrator-worker graph (uncompiled). */
export function buildOrchestratorGraph(deps: OrchestratorDeps) {
  return new StateGraph({
    state: OrchestratorState,
    input: OrchestratorInput,
    output: OrchestratorOutput,
    context: SettingsSchema,
  })
    .addNode(NODES.orchestrator, makeOrchestratorNode(deps))
    .addNode(NODES.worker, makeWorkerNode(deps), {
      input: WorkerAssignmentSchema,
      subgraphs: workerSubgraphs(deps.registry.list()),
    })
    .addNode(NODES.review, makeReviewNode(deps))
    .addNode(NODES.synthesizer, makeSynthesizerNode(deps))
    .addEdge(START, NODES.orchestrator)
    .addConditionalEdges(NODES.orchestrator, routeFromOrchestrator, ORCHESTRATOR_ROUTES)
    .addEdge(NODES.worker, NODES.orchestrator)
    .addConditionalEdges(NODES.review, routeFromReview, REVIEW_ROUTES)
    .addEdge(NODES.synthesizer, END);
}

/** Compiles the graph with any checkpointer (and store); `name` shows in traces and Studio. */
export function compileOrchestrator(
  deps: OrchestratorDeps,
  options: { checkpointer?: BaseCheckpointSaver | false; store?: BaseStore; name?: string } = {},
) {
  return buildOrchestratorGraph(deps)
    .compile({ checkpointer: options.checkpointer, store: options.store, name: options.name ?? "orchestrator" })
    .withConfig({ recursionLimit: RECURSION_LIMIT_CEILING });
}

/** The graph for Studio and the LangGraph server: the workers file's workers (or the defaults), any chat model, no checkpointer. */
export const graph = compileOrchestrator({ registry: serverRegistry(), models: openAIProvider() });
