import { AIMessage } from "@langchain/core/messages";
import { END, interrupt, Overwrite, type LangGraphRunnableConfig } from "@langchain/langgraph";
import { resolveSettings } from "../src/settings.js";
import type { OrchestratorDeps } from "../src/deps.js";
import { emitter } from "../src/events.js";
import { catalogRules, fatalPlanIssues } from "../src/plan/validate.js";
import { announcePlan } from "../src/orchestration/chat.js";
import {
  PLAN_DISMISSED,
  parseReviewAnswer,
  reviewInterrupt,
  reviewMessage,
  toReviewDecision,
} from "../src/orchestration/plan-review.js";
import { adoptPlan } from "../src/orchestration/initial-plan.js";
import { skipPending } from "../src/orchestration/skips.js";
import { TaskBoard } from "../src/orchestration/task-board.js";
import { PlanInputSchema, type TaskSpec } from "../src/schemas.js";
import type { ReviewRequest, State, Update } from "../src/state.js";
import { NODES } from "./names.js";

/** Pauses the run with the plan (or the failed draft) and applies the human's decision. */
export function makeReviewNode(deps: OrchestratorDeps) {
  return function review(state: State, config: LangGraphRunnableConfig): Update {
    const request = state.pendingReview!;
    const answer = parseReviewAnswer(interrupt(reviewInterrupt(request)));
    if (!answer.success) {
      const issue = answer.error.issues[0];
      const where = issue?.path.length ? ` (at ${issue.path.join(".")})` : "";
      return askAgain({ ...request, errors: [`The review answer was not understood: ${issue?.message}${where}`] });
    }
    const decision = toReviewDecision(answer.data);
    if ("action" in decision && (decision.action === "reject" || decision.action === "dismiss")) {
      const reason =
        decision.action === "dismiss"
          ? PLAN_DISMISSED
          : `plan rejected by the reviewer${decision.reason ? `: ${decision.reason}` : ""}`;
      const board = new TaskBoard(state.tasks);
      skipPending(board, reason, emitter(config));
      const stopped = { pendingReview: null, tasks: board.changes(), notes: [reason], dispatch: [] };
      if (decision.action === "reject") return stopped;
      const answer = "The plan was dismissed: nothing ran.";
      return { ...stopped, stopReason: PLAN_DISMISSED, answer, messages: [new AIMessage(answer)] };
    }
    if ("action" in decision && decision.action === "approve" && request.kind === "approve_plan") {
      const settings = resolveSettings(config, deps.settings);
      return { pendingReview: null, ...announcePlan(settings, request.tasks, state.runId) };
    }
    const proposed = "tasks" in decision ? decision : "plan" in decision ? decision.plan : { tasks: request.tasks };
    return applyPlan(request, PlanInputSchema.parse(proposed).tasks, deps, config, state.runId);
  };
}

function applyPlan(
  request: ReviewRequest,
  specs: TaskSpec[],
  deps: OrchestratorDeps,
  config: LangGraphRunnableConfig,
  runId: string | undefined,
): Update {
  const settings = resolveSettings(config, deps.settings);
  const fatal = fatalPlanIssues(specs, { ...catalogRules(deps.registry), maxTasks: settings.maxTasks });
  if (fatal.length > 0) return askAgain({ ...request, tasks: specs, errors: fatal });
  const notes = ["The plan was written or edited by a human reviewer."];
  const { table, dropped } = adoptPlan(specs, "human", emitter(config), notes);
  return {
    pendingReview: null,
    planSource: "human",
    tasks: new Overwrite(table),
    droppedEdges: dropped,
    notes,
    ...announcePlan(settings, specs, runId),
  };
}

/** The review asked again (the answer was unusable), after a message that says why. */
const askAgain = (request: ReviewRequest): Update => ({ pendingReview: request, messages: [reviewMessage(request)] });

/** After a review: ask again while the answer is unusable, the end once the plan was dismissed, else the orchestrator. */
export function routeFromReview(state: State): typeof NODES.review | typeof NODES.orchestrator | typeof END {
  if (state.pendingReview) return NODES.review;
  return state.stopReason === PLAN_DISMISSED ? END : NODES.orchestrator;
}

/** Every destination of the review's conditional edge, for the graph's topology. */
export const REVIEW_ROUTES: ReturnType<typeof routeFromReview>[] = [NODES.review, NODES.orchestrator, END];
