import { z } from "zod";
import type { Settings } from "../settings.js";
import { UsageSchema, type Usage } from "./usage.js";

/** The run budgets: a wall-clock deadline, a token budget and a model-call cap (0 = none). */
export interface RunBudgets {
  deadlineMs: number;
  maxTokens: number;
  maxModelCalls: number;
}

/**
 * What a wave's meter gives the meter of a process running some of its tasks (a task worker's): the ledger every
 * such process counts the wave's calls under, the budgets, and what the run had spent before the wave.
 */
export interface BudgetShare {
  ledger: string;
  budgets: RunBudgets;
  base: Usage;
  startedAt?: string;
}

/** Which run budget is used up, if any: the wall-clock deadline, the token budget or the model-call cap. */
export function budgetExceeded(
  budget: RunBudgets,
  usage: Usage,
  startedAt: string | undefined,
  now = Date.now(),
): string | undefined {
  const elapsed = startedAt ? now - Date.parse(startedAt) : 0;
  if (budget.deadlineMs > 0 && elapsed >= budget.deadlineMs)
    return `the deadline of ${budget.deadlineMs} ms passed (${elapsed} ms)`;
  if (budget.maxTokens > 0 && usage.totalTokens >= budget.maxTokens)
    return `${usage.totalTokens} tokens used of ${budget.maxTokens}`;
  if (budget.maxModelCalls > 0 && usage.modelCalls >= budget.maxModelCalls)
    return `${usage.modelCalls} model calls made of ${budget.maxModelCalls}`;
  return undefined;
}

/** True when the run has a budget (a deadline, a token budget or a model-call cap). */
export const hasRunBudget = (settings: Pick<Settings, "deadlineMs" | "maxTokens" | "maxModelCalls">): boolean =>
  settings.deadlineMs > 0 || settings.maxTokens > 0 || settings.maxModelCalls > 0;

/** Where the run's budgets stood when a wave was dispatched (or a round opened): the base of the meter. */
export const BudgetSnapshotSchema = z.object({
  runId: z.string().optional().describe("The run the wave belongs to."),
  startedAt: z
    .string()
    .optional()
    .describe("When the run's budget window opened (ISO time): the deadline counts from here."),
  used: UsageSchema.describe("Usage counted against the run's budgets before the wave."),
});
export type BudgetSnapshot = z.infer<typeof BudgetSnapshotSchema>;
