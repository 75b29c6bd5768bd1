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

/**
 * The graph for Studio and the LangGraph server: the workers file's workers (or the defaults), any chat model, no
 * checkpointer. Built on first use, not at import: importing the package reads no workers file and builds nothing.
 */
export const graph = builtOnFirstUse(() =>
  compileOrchestrator({ registry: serverRegistry(), models: openAIProvider() }),
);

/** An object that stands for `build()`'s result, built at the first touch of any of its properties. */
function builtOnFirstUse<T extends object>(build: () => T): T {
  let built: T | undefined;
  const real = () => (built ??= build());
  return new Proxy({} as T, {
    get: (_, key) => {
      const value = Reflect.get(real(), key);
      return typeof value === "function" ? value.bind(real()) : value;
    },
    set: (_, key, value) => Reflect.set(real(), key, value),
    has: (_, key) => Reflect.has(real(), key),
    ownKeys: () => Reflect.ownKeys(real()),
    getOwnPropertyDescriptor: (_, key) => {
      const descriptor = Reflect.getOwnPropertyDescriptor(real(), key);
      return descriptor && { ...descriptor, configurable: true };
    },
    getPrototypeOf: () => Reflect.getPrototypeOf(real()),
  });
}
