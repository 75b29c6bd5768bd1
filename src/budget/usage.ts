import type { BaseMessage } from "@langchain/core/messages";
import { z } from "zod";

/** Tokens and model calls spent: per attempt, per task, per run. */
export const UsageSchema = z.object({
  inputTokens: z.number().default(0),
  outputTokens: z.number().default(0),
  totalTokens: z.number().default(0),
  modelCalls: z.number().default(0),
});
export type Usage = z.infer<typeof UsageSchema>;
export const ZERO_USAGE: Usage = Object.freeze({ inputTokens: 0, outputTokens: 0, totalTokens: 0, modelCalls: 0 });

/** Adds token and call counts. */
export function addUsage(a: Usage, b: Partial<Usage> | undefined): Usage {
  return {
    inputTokens: a.inputTokens + (b?.inputTokens ?? 0),
    outputTokens: a.outputTokens + (b?.outputTokens ?? 0),
    totalTokens: a.totalTokens + (b?.totalTokens ?? 0),
    modelCalls: a.modelCalls + (b?.modelCalls ?? 0),
  };
}

/** The usage of one model reply: its `usage_metadata` tokens, and one call. */
export function usageOf(reply: BaseMessage | undefined): Usage {
  const meta = (
    reply as { usage_metadata?: { input_tokens?: number; output_tokens?: number; total_tokens?: number } } | undefined
  )?.usage_metadata;
  return {
    inputTokens: meta?.input_tokens ?? 0,
    outputTokens: meta?.output_tokens ?? 0,
    totalTokens: meta?.total_tokens ?? 0,
    modelCalls: 1,
  };
}

/** The sum of many usages (task results, attempts), on top of `base`. */
export function sumUsage(items: Iterable<{ usage?: Partial<Usage> } | undefined>, base: Usage = ZERO_USAGE): Usage {
  let total = base;
  for (const item of items) total = addUsage(total, item?.usage);
  return total;
}

/**
 * Total usage of a run: the orchestration's own calls plus every task result, earlier dispatches of a task
 * included. An expanded task's result joins its subtasks' (and sums their usage), so it is not counted again.
 */
export function runUsage(run: {
  orchestrationUsage: Usage;
  tasks?: Record<string, { children?: readonly string[] }>;
  results?: Record<string, { usage?: Partial<Usage>; earlierUsage?: Partial<Usage> }>;
}): Usage {
  let total = run.orchestrationUsage;
  for (const [id, result] of Object.entries(run.results ?? {})) {
    if (run.tasks?.[id]?.children?.length) continue;
    total = addUsage(addUsage(total, result.usage), result.earlierUsage);
  }
  return total;
}

/** `a` minus `b`, field by field. */
export const subtractUsage = (a: Usage, b: Partial<Usage> | undefined): Usage => ({
  inputTokens: a.inputTokens - (b?.inputTokens ?? 0),
  outputTokens: a.outputTokens - (b?.outputTokens ?? 0),
  totalTokens: a.totalTokens - (b?.totalTokens ?? 0),
  modelCalls: a.modelCalls - (b?.modelCalls ?? 0),
});

/** What counts against the run's budgets: its usage since its budget window opened (at planning, or a re-drive). */
export const budgetUsage = (run: Parameters<typeof runUsage>[0] & { budgetBase?: Partial<Usage> }): Usage =>
  subtractUsage(runUsage(run), run.budgetBase);
