import { z } from "zod";
import { PlanInputSchema } from "../schemas.js";
import { ReviewDecisionSchema, type ReviewRequest } from "../state.js";

/** The decisions a reviewer may take on a plan, as the human-in-the-loop shape names them. */
const DECISIONS = ["approve", "edit", "reject"] as const;

/** One human-in-the-loop decision (LangChain's `Decision`); `editedAction` is the camelCase spelling of `edited_action`. */
const ActionSchema = z.object({ name: z.string(), args: PlanInputSchema });
const HitlDecisionSchema = z.union([
  z.object({ type: z.literal("approve") }),
  z.object({ type: z.literal("edit"), edited_action: ActionSchema }),
  z.object({ type: z.literal("edit"), editedAction: ActionSchema }),
  z.object({ type: z.literal("reject"), message: z.string().optional() }),
]);

/** A review answer: the orchestrator's own forms, or a human-in-the-loop response (`{ decisions: [...] }`). */
export const ReviewAnswerSchema = z.union([
  z.object({ decisions: z.array(HitlDecisionSchema).min(1) }),
  ReviewDecisionSchema,
]);

/** What the review node interrupts with: the request, plus the human-in-the-loop shape Agent Chat UI renders. */
export function reviewInterrupt(request: ReviewRequest) {
  const ids = request.tasks.map((task) => task.id).join(", ");
  const problems = request.errors.length ? ` Problems: ${request.errors.join("; ")}` : "";
  const description = `Review the plan for "${request.goal}": ${request.tasks.length} task${request.tasks.length === 1 ? "" : "s"} (${ids}).${problems}`;
  return {
    ...request,
    action_requests: [{ name: request.kind, args: { tasks: request.tasks }, description }],
    review_configs: [{ action_name: request.kind, allowed_decisions: [...DECISIONS] }],
  };
}

/** A review answer in the orchestrator's own form: the first human-in-the-loop decision translated. */
export function toReviewDecision(answer: z.infer<typeof ReviewAnswerSchema>): z.infer<typeof ReviewDecisionSchema> {
  if (!("decisions" in answer)) return answer;
  const decision = answer.decisions[0]!;
  if (decision.type === "approve") return { action: "approve" };
  if (decision.type === "reject") return { action: "reject", reason: decision.message };
  return { action: "edit", plan: ("edited_action" in decision ? decision.edited_action : decision.editedAction).args };
}
