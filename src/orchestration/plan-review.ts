import { AIMessage } from "@langchain/core/messages";
import { z } from "zod";
import { PlanInputSchema } from "../schemas.js";
import { ReviewDecisionSchema, type ReviewRequest } from "../state.js";

/** The decisions a reviewer may take on a plan, as the human-in-the-loop shape names them. */
const DECISIONS = ["approve", "edit", "reject"] as const;
/** The name of the AI message that asks for a review: not part of the conversation the planner sees. */
export const REVIEW_MESSAGE_NAME = "plan_review";
/** The run's stop reason once a reviewer dismissed the plan (Agent Chat UI's "Mark as Resolved"). */
export const PLAN_DISMISSED = "plan dismissed by the reviewer";

/** A field a form sent as JSON text (Agent Chat UI's "Edit" sends every arg so), parsed; anything else as it is. */
const fromJsonText = (value: unknown) => {
  if (typeof value !== "string") return value;
  try {
    return JSON.parse(value);
  } catch {
    return value;
  }
};

/** The edited plan of an edit decision: `tasks` as an array or as JSON text. */
const EditedPlanSchema = z.preprocess(
  (args) =>
    args && typeof args === "object" ? { ...args, tasks: fromJsonText((args as { tasks?: unknown }).tasks) } : args,
  PlanInputSchema,
);
const ActionSchema = z.object({ name: z.string(), args: EditedPlanSchema });
/** A reply in words: the text, wherever the client put it. */
const replyText = (decision: { message?: string; args?: unknown }) =>
  decision.message ?? (typeof decision.args === "string" ? decision.args : undefined);

/**
 * One human-in-the-loop decision: LangChain's `Decision` (`editedAction` is the camelCase spelling of
 * `edited_action`), a reply in words (`respond`/`response`), or Agent Inbox's older `accept` and `ignore`.
 */
const HitlDecisionSchema = z.discriminatedUnion("type", [
  z.object({ type: z.enum(["approve", "accept"]) }),
  z
    .object({ type: z.literal("edit"), edited_action: ActionSchema.optional(), editedAction: ActionSchema.optional() })
    .refine((edit) => edit.edited_action ?? edit.editedAction, "an edit decision needs its edited_action"),
  z.object({
    type: z.enum(["reject", "respond", "response"]),
    message: z.string().optional(),
    args: z.unknown().optional(),
  }),
  z.object({ type: z.enum(["ignore", "dismiss"]) }),
]);
const HitlAnswerSchema = z.object({ decisions: z.array(HitlDecisionSchema).min(1) });

/** A review answer: the orchestrator's own forms, a dismissal, or a human-in-the-loop response (`{ decisions }`). */
export const ReviewAnswerSchema = z.union([
  HitlAnswerSchema,
  z.object({ action: z.literal("dismiss") }),
  ReviewDecisionSchema,
]);

/** Parses a review answer; a human-in-the-loop one against its own schema, so an error names the bad field. */
export const parseReviewAnswer = (value: unknown) =>
  (value !== null && typeof value === "object" && "decisions" in value
    ? HitlAnswerSchema
    : ReviewAnswerSchema
  ).safeParse(value);

/** A review answer in the orchestrator's own form. */
export type ReviewOutcome = z.infer<typeof ReviewDecisionSchema> | { action: "dismiss" };

const describeRequest = (request: ReviewRequest) => {
  const ids = request.tasks.map((task) => task.id).join(", ");
  const count = `${request.tasks.length} task${request.tasks.length === 1 ? "" : "s"}`;
  const problems = request.errors.length ? ` Problems: ${request.errors.join("; ")}` : "";
  return `the plan for "${request.goal}": ${count}${ids ? ` (${ids})` : ""}.${problems}`;
};

/** What the review node interrupts with: the request, plus the human-in-the-loop shape Agent Chat UI renders. */
export function reviewInterrupt(request: ReviewRequest) {
  const description = `Review ${describeRequest(request)}`;
  return {
    ...request,
    action_requests: [{ name: request.kind, args: { tasks: request.tasks }, description }],
    review_configs: [{ action_name: request.kind, allowed_decisions: [...DECISIONS] }],
  };
}

/**
 * The AI message that goes before a review: chat clients (Agent Chat UI) show an interrupt under the last AI message,
 * so a review raised on a follow-up is seen too.
 */
export const reviewMessage = (request: ReviewRequest): AIMessage =>
  new AIMessage({
    content: `${request.kind === "manual_breakdown" ? "Planning failed: write" : "Waiting for your review of"} ${describeRequest(request)}`,
    name: REVIEW_MESSAGE_NAME,
  });

/** A review answer in the orchestrator's own form: the first human-in-the-loop decision translated. */
export function toReviewDecision(answer: z.infer<typeof ReviewAnswerSchema>): ReviewOutcome {
  if (!("decisions" in answer)) return answer;
  const decision = answer.decisions[0]!;
  if (decision.type === "approve" || decision.type === "accept") return { action: "approve" };
  if (decision.type === "ignore" || decision.type === "dismiss") return { action: "dismiss" };
  if (decision.type === "edit")
    return { action: "edit", plan: (decision.edited_action ?? decision.editedAction)!.args };
  return { action: "reject", reason: replyText(decision as { message?: string; args?: unknown }) };
}
