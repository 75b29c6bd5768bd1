import { interrupt, Overwrite, type LangGraphRunnableConfig } from "@langchain/langgraph";
import { resolveSettings } from "../src/settings.js";
import type { OrchestratorDeps } from "../src/deps.js";
import { emitter } from "../src/events.js";
import { catalogRules, fatalPlanIssues } from "../src/plan/validate.js";
import { announcePlan } from "../src/orchestration/chat.js";
import { ReviewAnswerSchema, reviewInterrupt, toReviewDecision } from "../src/orchestration/plan-review.js";
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
    const answer = ReviewAnswerSchema.safeParse(interrupt(reviewInterrupt(request)));
    if (!answer.success) {
      return {
        pendingReview: {
          ...request,
          errors: [`The review answer was not understood: ${answer.error.issues[0]?.message}`],
        },
      };
    }
    const decision = toReviewDecision(answer.data);
    if ("action" in decision && decision.action === "reject") {
      const reason = `plan rejected by the reviewer${decision.reason ? `: ${decision.reason}` : ""}`;
      const board = new TaskBoard(state.tasks);
      skipPending(board, reason, emitter(config));
      return { pendingReview: null, tasks: board.changes(), notes: [reason], dispatch: [] };
    }
    if ("action" in decision && decision.action === "approve" && request.kind === "approve_plan") {
      return { pendingReview: null, ...announcePlan(resolveSettings(config, deps.settings), request.tasks) };
    }
    const proposed = "tasks" in decision ? decision : "plan" in decision ? decision.plan : { tasks: request.tasks };
    return applyPlan(request, PlanInputSchema.parse(proposed).tasks, deps, config);
  };
}

function applyPlan(
  request: ReviewRequest,
  specs: TaskSpec[],
  deps: OrchestratorDeps,
  config: LangGraphRunnableConfig,
): Update {
  const settings = resolveSettings(config, deps.settings);
  const fatal = fatalPlanIssues(specs, { ...catalogRules(deps.registry), maxTasks: settings.maxTasks });
  if (fatal.length > 0) return { pendingReview: { ...request, tasks: specs, errors: fatal } };
  const notes = ["The plan was written or edited by a human reviewer."];
  const { table, dropped } = adoptPlan(specs, "human", emitter(config), notes);
  return {
    pendingReview: null,
    planSource: "human",
    tasks: new Overwrite(table),
    droppedEdges: dropped,
    notes,
    ...announcePlan(settings, specs),
  };
}

/** After a review: ask again while the answer is unusable, else back to the orchestrator. */
export function routeFromReview(state: State): typeof NODES.review | typeof NODES.orchestrator {
  return state.pendingReview ? NODES.review : NODES.orchestrator;
}
