import { z } from "zod";
import { DeltaValue, MessagesValue, Overwrite, StateSchema } from "@langchain/langgraph";
import {
  DeadLetterSchema,
  DispatchUnitSchema,
  DroppedEdgeSchema,
  PlanInputSchema,
  PlanOutcomeSchema,
  TaskRecordSchema,
  TaskResultSchema,
  TaskSpecSchema,
  WorkerTaskSchema,
  type TaskRecord,
  type TaskResult,
} from "./schemas.js";
import { addUsage, UsageSchema, ZERO_USAGE } from "./budget/usage.js";

/**
 * Merges batches of task records by id: a record in a later write replaces the one before it. Batching-invariant,
 * as LangGraph's delta channels require (they replay checkpointed writes in larger batches).
 */
export function mergeTasks(
  current: Record<string, TaskRecord>,
  writes: readonly Record<string, TaskRecord>[],
): Record<string, TaskRecord> {
  return Object.assign({}, current, ...writes);
}

/**
 * Merges batches of worker results by task id: parallel workers write disjoint keys; a later dispatch of a task (a
 * re-drive) replaces its older result, whose usage moves into the new one's `earlierUsage`, so the run's totals
 * keep it. Write by write, so batching-invariant too.
 */
export function mergeResults(
  current: Record<string, TaskResult>,
  writes: readonly Record<string, TaskResult>[],
): Record<string, TaskResult> {
  const merged = { ...current };
  for (const write of writes) {
    for (const [id, result] of Object.entries(write)) {
      const before = merged[id];
      const earlier =
        before === undefined
          ? undefined
          : before.dispatch === result.dispatch
            ? before.earlierUsage
            : addUsage(before.earlierUsage ?? ZERO_USAGE, before.usage);
      merged[id] = earlier ? { ...result, earlierUsage: earlier } : result;
    }
  }
  return merged;
}

/** Appends notes: every write adds lines (an `Overwrite` starts over, as a new goal does). */
export function appendNotes(current: readonly string[], writes: readonly string[][]): string[] {
  return current.concat(...writes);
}

export const PlanSourceSchema = z.enum(["planner", "input", "caller-fallback", "human", "single-task"]);
export type PlanSource = z.infer<typeof PlanSourceSchema>;

/** What the review node asks a human: approve/edit a proposed plan, or write one when planning failed. */
export const ReviewRequestSchema = z.object({
  kind: z.enum(["approve_plan", "manual_breakdown"]),
  goal: z.string(),
  tasks: z.array(TaskSpecSchema),
  errors: z.array(z.string()),
});
export type ReviewRequest = z.infer<typeof ReviewRequestSchema>;

/** How a human answers a review: `Command({ resume })` with one of these, or a bare plan. */
export const ReviewDecisionSchema = z.union([
  z.object({ action: z.literal("approve") }),
  z.object({ action: z.literal("edit"), plan: PlanInputSchema }),
  z.object({ action: z.literal("reject"), reason: z.string().optional() }),
  PlanInputSchema,
]);
export type ReviewDecision = z.input<typeof ReviewDecisionSchema>;

const fields = {
  goal: z
    .string()
    .describe("What the run should achieve. Without one, the last human message of `messages` is the goal."),
  messages: MessagesValue,
  chatTurn: z
    .string()
    .optional()
    .describe("The id of the human message the current run answers: a newer one starts a new run."),
  runId: z
    .string()
    .optional()
    .describe(
      "The run's id. A new id starts a new run on the thread (createOrchestrator's run() sets one); without one the graph assigns it.",
    ),
  plan: PlanInputSchema.optional().describe("A plan to run instead of asking the planner."),
  fallbackPlan: PlanInputSchema.optional().describe("A plan to run only if the planner fails."),
  startedAt: z
    .string()
    .optional()
    .describe(
      "When the run's budget window opened (ISO time): planning, or the last re-drive. The deadline counts from here.",
    ),
  budgetBase: UsageSchema.optional().describe(
    "The run's usage when its budget window opened (a re-drive): its budgets count what was spent since.",
  ),
  stopReason: z
    .string()
    .nullable()
    .optional()
    .describe("Why dispatching stopped early (a run budget), if it did; null once a new run or a re-drive clears it."),
  runSettings: z
    .record(z.string(), z.unknown())
    .optional()
    .describe(
      "The settings the run started under, resolved: a run that `queue recover` re-enqueues continues under them.",
    ),
  fenceSeed: z
    .string()
    .optional()
    .describe(
      "A random seed per run: each prompt's nonce for fencing worker output is derived from it, so replays build the same prompts.",
    ),
  // Delta channels: checkpoints keep each write once instead of re-serialising the whole table every step,
  // so checkpoint bytes grow linearly with the work (LangGraph beta API).
  tasks: new DeltaValue(
    z
      .record(z.string(), TaskRecordSchema)
      .default(() => ({}))
      .describe("The run's tasks by id: each one's spec and where it is in its lifecycle."),
    { reducer: mergeTasks },
  ),
  results: new DeltaValue(
    z
      .record(z.string(), TaskResultSchema)
      .default(() => ({}))
      .describe("The workers' results by task id: the latest dispatch of each task."),
    { reducer: mergeResults },
  ),
  planGoal: z.string().optional().describe("The goal the current tasks were planned for."),
  planRunId: z.string().optional().describe("The run the current tasks belong to."),
  inputDigest: z.string().optional().describe("A digest of the input (goal and plans) the current run started from."),
  planSource: PlanSourceSchema.optional().describe("Where the run's plan came from."),
  dispatch: z
    .array(DispatchUnitSchema)
    .default(() => [])
    .describe(
      "What is sent to workers this round: per worker a chain of task ids run in order, or a pool run with `pool` slots.",
    ),
  planStream: z
    .object({
      outcome: PlanOutcomeSchema.describe("The planner's outcome: the plan, or why it is invalid."),
      launched: z.array(WorkerTaskSchema).describe("The tasks the pool started, as it started them."),
    })
    .nullable()
    .default(null)
    .describe("A streamed plan and the tasks started while it streamed, until the orchestrator adopts the plan."),
  droppedEdges: z
    .array(DroppedEdgeSchema)
    .default(() => [])
    .describe("Dependencies dropped to break cycles in the plan."),
  deadLetters: z
    .array(DeadLetterSchema)
    .default(() => [])
    .describe("Tasks out of attempts: each one's spec, last error and attempts, for a re-drive."),
  replans: z.number().int().default(0).describe("Times the planner revised the plan in this run."),
  pendingReview: ReviewRequestSchema.nullable()
    .default(null)
    .describe("The review the run waits for (a plan to approve, or a breakdown to write); null when none."),
  notes: new DeltaValue(
    z
      .array(z.string())
      .default(() => [])
      .describe("Decisions worth showing: repairs, rejected follow-ups, replans."),
    {
      reducer: appendNotes,
    },
  ),
  orchestrationUsage: UsageSchema.default(() => ({ ...ZERO_USAGE })).describe(
    "Usage of the orchestrator's own model calls: planning, expansion, replans and the synthesizer.",
  ),
  answer: z.string().default("").describe("The synthesized answer; empty until the run is over."),
};

/** The keys that outlive a run: the thread's conversation and what its caller passed in. */
const THREAD_KEYS: ReadonlySet<string> = new Set(["goal", "messages", "chatTurn", "plan", "fallbackPlan"]);

/**
 * A new run's state: every key of a run back to its schema's default (none for an optional one), the delta channels
 * (tasks, results, notes) overwritten empty. A key added to the state starts over with each run unless it is a
 * thread key.
 */
export function freshRunState(): Update {
  const fresh: Record<string, unknown> = {};
  for (const [key, field] of Object.entries(fields)) {
    if (THREAD_KEYS.has(key)) continue;
    if (field instanceof DeltaValue) fresh[key] = new Overwrite((field.valueSchema as z.ZodType).parse(undefined));
    else if (field instanceof z.ZodType) fresh[key] = field.parse(undefined);
  }
  return fresh as Update;
}

/** The graph state: what Studio, the SDK and checkpoints see. */
export const OrchestratorState = new StateSchema(fields);
export type State = typeof OrchestratorState.State;
export type Update = typeof OrchestratorState.Update;

/** What a caller passes in. */
export const OrchestratorInput = new StateSchema({
  goal: fields.goal,
  messages: fields.messages,
  plan: fields.plan,
  fallbackPlan: fields.fallbackPlan,
  runId: fields.runId,
});

/** What a caller gets back. */
export const OrchestratorOutput = new StateSchema({
  goal: fields.goal,
  messages: fields.messages,
  runId: fields.runId,
  answer: fields.answer,
  tasks: fields.tasks,
  results: fields.results,
  deadLetters: fields.deadLetters,
  droppedEdges: fields.droppedEdges,
  planSource: fields.planSource,
  stopReason: fields.stopReason,
  notes: fields.notes,
});
