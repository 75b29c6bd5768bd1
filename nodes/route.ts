import { Send } from "@langchain/langgraph";
import { workerInputFor } from "../src/scheduling.js";
import type { State } from "../src/state.js";
import { NODES } from "./names.js";

/** After the orchestrator: a human review, one `Send` per dispatched task, or the synthesizer. */
export function routeFromOrchestrator(state: State): Send[] | typeof NODES.review | typeof NODES.synthesizer {
  if (state.pendingReview) return NODES.review;
  if (state.dispatch.length === 0) return NODES.synthesizer;
  return state.dispatch.map(
    (id) => new Send(NODES.worker, workerInputFor(state.goal, state.tasks[id]!, state.tasks, state.results)),
  );
}

/** Every destination of the orchestrator's conditional edge, for the graph's topology. */
export const ORCHESTRATOR_ROUTES = [NODES.worker, NODES.review, NODES.synthesizer];
