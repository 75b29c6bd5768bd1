import { Send } from "@langchain/langgraph";
import { conversationContext } from "../src/orchestration/chat.js";
import { workerInputFor } from "../src/orchestration/dispatch.js";
import { ranksOf } from "../src/orchestration/task-board.js";
import type { WorkerAssignment } from "../src/schemas.js";
import type { State } from "../src/state.js";
import { NODES } from "./names.js";

/** After the orchestrator: a human review, one `Send` per dispatched chain of tasks, or the synthesizer. */
export function routeFromOrchestrator(state: State): Send[] | typeof NODES.review | typeof NODES.synthesizer {
  if (state.pendingReview) return NODES.review;
  if (state.dispatch.length === 0) return NODES.synthesizer;
  const ranks = ranksOf(state.tasks);
  return state.dispatch.map(({ tasks, pool, handBack, budget, plan }) => {
    const steps = tasks.map((id) => {
      const { goal: _goal, ...step } = workerInputFor(state.goal, state.tasks[id]!, state.tasks, state.results);
      return { ...step, rank: ranks.get(id)! };
    });
    const seed = state.fenceSeed ? { fenceSeed: state.fenceSeed } : {};
    return new Send(NODES.worker, {
      goal: state.goal,
      ...seed,
      steps,
      ...(pool ? { pool } : {}),
      ...(handBack ? { handBack } : {}),
      ...(budget ? { budget } : {}),
      ...(state.runId ? { runId: state.runId } : {}),
      ...(plan ? { planning: { conversation: conversationContext(state.messages) } } : {}),
    } satisfies WorkerAssignment);
  });
}

/** Every destination of the orchestrator's conditional edge, for the graph's topology. */
export const ORCHESTRATOR_ROUTES = [NODES.worker, NODES.review, NODES.synthesizer];
