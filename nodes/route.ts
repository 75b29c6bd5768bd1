import { Send } from "@langchain/langgraph";
import { conversationContext } from "../src/orchestration/chat.js";
import { workerStepFor } from "../src/orchestration/dispatch.js";
import { ranksOf } from "../src/orchestration/task-board.js";
import type { WorkerAssignment } from "../src/schemas.js";
import type { State } from "../src/state.js";
import { NODES } from "./names.js";

/** After the orchestrator: a human review, one `Send` per dispatched chain of tasks, or the synthesizer. */
export function routeFromOrchestrator(state: State): Send[] | typeof NODES.review | typeof NODES.synthesizer {
  if (state.pendingReview) return NODES.review;
  if (state.dispatch.length === 0) return NODES.synthesizer;
  const ranks = ranksOf(state.tasks);
  const run = {
    goal: state.goal,
    ...(state.fenceSeed ? { fenceSeed: state.fenceSeed } : {}),
    ...(state.runId ? { runId: state.runId } : {}),
  };
  return state.dispatch.map(({ tasks, pool, handBack, budget, plan }) => {
    const steps = tasks.map((id) => workerStepFor(state.tasks[id]!, state.tasks, state.results, ranks.get(id)!));
    return new Send(NODES.worker, {
      ...run,
      steps,
      ...(pool ? { pool } : {}),
      ...(handBack ? { handBack } : {}),
      ...(budget ? { budget } : {}),
      ...(plan ? { planning: { conversation: conversationContext(state.messages) } } : {}),
    } satisfies WorkerAssignment);
  });
}

/** Every destination of the orchestrator's conditional edge, for the graph's topology. */
export const ORCHESTRATOR_ROUTES = [NODES.worker, NODES.review, NODES.synthesizer];
