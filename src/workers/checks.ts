import { HumanMessage, SystemMessage, type BaseMessage } from "@langchain/core/messages";
import { z } from "zod";
import { fence, taskNonce, withDataRule } from "../fence.js";
import { usageOf } from "../budget/usage.js";
import { internalCall } from "../models.js";
import type { ResultCheck } from "../worker-contract.js";

const VerdictSchema = z.object({
  accept: z.boolean().describe("True if the result does the task well enough to be used."),
  feedback: z.string().describe("When not accepted: what exactly to improve. Otherwise empty."),
});

const REVIEWER_SYSTEM_PROMPT =
  "You are the orchestrator reviewing a worker's result before it is used. Accept a result that does the task " +
  "and meets the criteria, even if it could be polished. Reject it only for real problems — missing parts, wrong " +
  "facts, ignoring the task — and then say precisely what to improve.";

/**
 * A result check by the orchestrator's (planner) model: it accepts the result or asks for an improvement with
 * feedback, which becomes the next attempt's instruction. Without a configured model every result passes.
 */
export function llmCheck(criteria = "The result does what the task asks, completely and correctly."): ResultCheck {
  return async (result, input, context) => {
    if (!context.modelConfigured) return undefined;
    const reviewer = context.model("planner").withStructuredOutput(VerdictSchema, { name: "review", includeRaw: true });
    const nonce = taskNonce(input, "check");
    const { raw, parsed } = (await reviewer.invoke(
      [
        new SystemMessage(withDataRule(REVIEWER_SYSTEM_PROMPT, nonce)),
        new HumanMessage(
          `Task "${input.task.id}": ${input.task.title}\n${input.task.description}\n\nCriteria: ${criteria}\n\nResult:\n${fence(result.output, nonce)}`,
        ),
      ],
      { signal: context.signal, ...internalCall("result_review") },
    )) as { raw: BaseMessage; parsed: z.infer<typeof VerdictSchema> | null };
    context.recordUsage(usageOf(raw));
    if (!parsed) return undefined;
    return parsed.accept ? undefined : `the reviewer asked for an improvement: ${parsed.feedback || "no detail given"}`;
  };
}

/** @deprecated Renamed to `llmCheck` (a result check, not the human plan review). */
export const llmReview = llmCheck;
