import type { Settings } from "../settings.js";
import type { Usage } from "../usage.js";

/** True when the run has a budget (a deadline, a token budget or a model-call cap). */
export const hasRunBudget = (settings: Pick<Settings, "deadlineMs" | "maxTokens" | "maxModelCalls">): boolean =>
  settings.deadlineMs > 0 || settings.maxTokens > 0 || settings.maxModelCalls > 0;

/** Which run budget is used up, if any: the wall-clock deadline, the token budget or the model-call cap. */
export function budgetExceeded(
  budget: { deadlineMs: number; maxTokens: number; maxModelCalls: number },
  usage: Usage,
  startedAt: string | undefined,
  now = Date.now(),
): string | undefined {
  const elapsed = startedAt ? now - Date.parse(startedAt) : 0;
  if (budget.deadlineMs > 0 && elapsed >= budget.deadlineMs) return `the deadline of ${budget.deadlineMs} ms passed (${elapsed} ms)`;
  if (budget.maxTokens > 0 && usage.totalTokens >= budget.maxTokens) return `${usage.totalTokens} tokens used of ${budget.maxTokens}`;
  if (budget.maxModelCalls > 0 && usage.modelCalls >= budget.maxModelCalls) return `${usage.modelCalls} model calls made of ${budget.maxModelCalls}`;
  return undefined;
}
