import { z } from "zod";
import { ERROR_KINDS } from "./errors.js";
import { BudgetSnapshotSchema } from "./budget/budgets.js";
import { UsageSchema } from "./budget/usage.js";

const ID_PATTERN = /^[A-Za-z0-9][\w.-]{0,63}$/;

// The task vocabulary. A task has three shapes, each built on the one before: the spec (what a plan states),
// the follow-up (a spec plus the pending tasks it holds back, from a worker's result), and the record (a spec
// plus its lifecycle in state). A new task field is added to TaskSpecSchema and reaches all three.

/** A task as a plan states it (the planner's, a caller's, a human's): only id, title and worker are required. */
export const TaskSpecSchema = z.object({
  id: z.string().regex(ID_PATTERN, "ids are 1-64 letters, digits, '_', '-' or '.'").describe("Unique task id."),
  title: z.string().min(1).describe("Short title of the task."),
  description: z.string().default("").describe("What to do, in enough detail for the worker."),
  worker: z.string().min(1).describe("Name of the registered worker that does the task."),
  dependsOn: z.array(z.string()).default([]).describe("Ids of tasks whose results this task needs."),
  expectedOutput: z.string().default("").describe("What a good result looks like."),
  estimatedCost: z
    .number()
    .positive()
    .max(100)
    .default(1)
    .describe("Relative effort; used for critical-path priority."),
  complex: z.boolean().default(false).describe("Top-down strategy: expand into subtasks before running."),
  requires: z.array(z.string().min(1)).optional().describe("Capabilities the task's worker must declare."),
});
export type TaskSpec = z.infer<typeof TaskSpecSchema>;

/** The fields of a spec, in the schema's order. */
const SPEC_FIELDS = Object.keys(TaskSpecSchema.shape) as (keyof TaskSpec)[];

/** The spec of a task in any of its shapes (a record, a follow-up, a worker's task): its spec fields only. */
export function specOf(task: TaskSpec): TaskSpec {
  const spec: Record<string, unknown> = {};
  for (const field of SPEC_FIELDS) if (task[field] !== undefined) spec[field] = task[field];
  return spec as TaskSpec;
}

/**
 * A task a worker proposes in its result: a spec plus the pending tasks that must wait for it. A plain spec is a
 * follow-up that holds nothing back (a replan's added tasks are).
 */
export const FollowUpSchema = TaskSpecSchema.extend({
  blocks: z.array(z.string()).optional().describe("Ids of pending tasks that must wait for this one."),
  blocksWorkers: z
    .array(z.string())
    .optional()
    .describe("Names of workers whose pending tasks must wait for this one, whatever their ids."),
});
export type FollowUp = z.infer<typeof FollowUpSchema>;
/** A follow-up as a worker may write it: the defaulted fields may be left out. */
export type FollowUpInput = z.input<typeof FollowUpSchema>;

/** A plan passed in by a caller (`input.plan`, `--plan file.json`) or a human. */
export const PlanInputSchema = z.object({
  tasks: z.array(TaskSpecSchema).min(1).describe("The subtasks."),
  rationale: z.string().optional().describe("Why the goal is broken down this way."),
});
export type PlanInput = z.input<typeof PlanInputSchema>;

export const TASK_STATUSES = ["pending", "running", "done", "dead", "skipped"] as const;
export type TaskStatus = (typeof TASK_STATUSES)[number];
export const TERMINAL_STATUSES: ReadonlySet<TaskStatus> = new Set(["done", "dead", "skipped"]);

export const TaskOriginSchema = z.enum(["plan", "follow-up", "expansion", "replan"]);

/** A task as the orchestrator tracks it in state: its spec and its lifecycle. */
export const TaskRecordSchema = TaskSpecSchema.extend({
  status: z.enum(TASK_STATUSES).describe("Where the task is in its lifecycle."),
  origin: TaskOriginSchema.describe("How the task came into the plan."),
  order: z.number().int().describe("Position in the plan; ties in priority go to the earlier task."),
  depth: z.number().int().describe("Nesting depth: 0 for planned tasks, parent depth + 1 for subtasks."),
  parent: z.string().optional().describe("Subtasks: the complex task this one was expanded from."),
  children: z.array(z.string()).optional().describe("Expanded complex tasks: the ids of their subtasks."),
  attempts: z.number().int().default(0).describe("Worker attempts made so far, over every dispatch."),
  dispatches: z.number().int().default(0).describe("Times the task was sent to a worker."),
  reason: z.string().optional().describe("Why the task is skipped or dead."),
  blockedBy: z.string().optional().describe("Skipped tasks: the dead or skipped task that blocked this one."),
});
export type TaskRecord = z.infer<typeof TaskRecordSchema>;

/** A task as a worker is sent it: its spec and where it sits in the plan (a subtask's depth and parent). */
export const WorkerTaskSchema = TaskSpecSchema.extend({
  depth: z.number().int().optional().describe("Nesting depth of a subtask (top-down)."),
  parent: z.string().optional().describe("The task this subtask was expanded from."),
});

/** A task as a node of the dependency graph: its id and the ids it depends on. */
export interface Edges {
  id: string;
  dependsOn: readonly string[];
}

/** The tasks that depend on each task id (ids no task depends on are absent), in input order. */
export function dependentsOf<T extends Edges>(tasks: Iterable<T>): Map<string, T[]> {
  const dependents = new Map<string, T[]>();
  for (const task of tasks) {
    for (const dep of task.dependsOn) {
      const list = dependents.get(dep);
      if (list) list.push(task);
      else dependents.set(dep, [task]);
    }
  }
  return dependents;
}

export const ErrorKindSchema = z.enum(ERROR_KINDS);
export type ErrorKind = z.infer<typeof ErrorKindSchema>;

export const TaskErrorSchema = z.object({
  kind: ErrorKindSchema,
  message: z.string(),
  retryable: z.boolean(),
});
export type TaskError = z.infer<typeof TaskErrorSchema>;

/** The parameters one attempt ran with (a rung of the retry ladder). */
export const AttemptParamsSchema = z.object({
  model: z.string().optional(),
  temperature: z.number().optional(),
  note: z.string().optional().describe("What this rung changes."),
});
export type AttemptParams = z.infer<typeof AttemptParamsSchema>;

export const AttemptRecordSchema = z.object({
  attempt: z.number().int(),
  params: AttemptParamsSchema,
  ok: z.boolean(),
  error: TaskErrorSchema.optional(),
  durationMs: z.number(),
  usage: UsageSchema,
  waitMs: z
    .number()
    .optional()
    .describe("How long the worker waited after this failed attempt before the next (back-off or Retry-After), in ms."),
});
export type AttemptRecord = z.infer<typeof AttemptRecordSchema>;

/** What the worker node returns for one task: success and failure alike. */
export const TaskResultSchema = z.object({
  taskId: z.string(),
  worker: z.string(),
  dispatch: z.number().int().describe("Which dispatch of the task this result answers."),
  status: z.enum(["done", "failed"]),
  output: z.string().describe("The result as text; what dependents and the synthesizer read."),
  data: z.unknown().optional().describe("Structured output when the worker declares a schema."),
  error: TaskErrorSchema.optional(),
  attempts: z.array(AttemptRecordSchema),
  startedAt: z.string(),
  durationMs: z.number(),
  usage: UsageSchema,
  earlierUsage: UsageSchema.optional().describe(
    "Usage of the task's earlier dispatches in this run (before a re-drive), kept in the run's totals.",
  ),
  followUps: z.array(FollowUpSchema).default([]).describe("Tasks the worker proposes to add to the plan."),
  clarifiedDescription: z
    .string()
    .optional()
    .describe("The task description as rewritten after a worker found it underspecified."),
  notes: z
    .array(z.string())
    .optional()
    .describe("What the worker boundary changed in the result, e.g. structured data dropped for its size."),
  stored: z
    .object({ namespace: z.array(z.string()), key: z.string() })
    .optional()
    .describe("Where the full result is kept in the store when its output or data was too large for state."),
});
export type TaskResult = z.infer<typeof TaskResultSchema>;

export const DeadLetterSchema = z.object({
  taskId: z.string(),
  task: TaskSpecSchema.describe("The dead task's spec, every field of it: what a re-drive runs again."),
  error: TaskErrorSchema,
  attempts: z.array(AttemptRecordSchema),
  at: z.string(),
});
export type DeadLetter = z.infer<typeof DeadLetterSchema>;

export const DroppedEdgeSchema = z.object({
  task: z.string().describe("The task whose dependency was dropped."),
  dependsOn: z.string().describe("The dependency that closed a cycle."),
  cycle: z.array(z.string()).describe("The cycle path, first id repeated at the end."),
});

/** A first plan's outcome: the plan (with any dropped cycle edges), or the draft and why it is invalid. */
export const PlanOutcomeSchema = z.discriminatedUnion("ok", [
  z.object({
    ok: z.literal(true),
    tasks: z.array(TaskSpecSchema),
    dropped: z.array(DroppedEdgeSchema),
    rationale: z.string().optional(),
    usage: UsageSchema,
    repairs: z.number().int(),
  }),
  z.object({
    ok: z.literal(false),
    draft: z.array(TaskSpecSchema),
    errors: z.array(z.string()),
    usage: UsageSchema,
    repairs: z.number().int(),
  }),
]);
export type PlanOutcome = z.infer<typeof PlanOutcomeSchema>;
export type DroppedEdge = z.infer<typeof DroppedEdgeSchema>;

/** What a worker sees of a task it depends on. */
export const DependencyResultSchema = z.object({
  title: z.string().describe("The dependency's title."),
  worker: z.string().describe("The worker that produced the result."),
  output: z.string().describe("The dependency's text output."),
  data: z.unknown().optional().describe("Its structured output, if the worker has an output schema."),
});
export type DependencyResult = z.infer<typeof DependencyResultSchema>;

/** How a task sees a dependency's result. */
export const dependencyResult = (
  title: string,
  result: Pick<TaskResult, "worker" | "output" | "data">,
): DependencyResult => ({
  title,
  worker: result.worker,
  output: result.output,
  data: result.data,
});

/** One task of a worker assignment: the task, only its dependencies' results, and its dispatch and rank. */
export const WorkerStepSchema = z.object({
  task: WorkerTaskSchema,
  dependencies: z
    .record(z.string(), DependencyResultSchema)
    .describe("Results of the tasks this one depends on, by id."),
  dispatch: z.number().int().describe("Which dispatch of the task this is (1 for the first)."),
  rank: z.number().describe("Critical-path rank: the order in which a pool starts ready tasks."),
});
export type WorkerStep = z.infer<typeof WorkerStepSchema>;

/** When an eager pool stops launching and hands back to the orchestrator (a follow-up or a run budget always does). */
export const HandBackSchema = z.object({
  onFailure: z.boolean().optional().describe("At the first failed task: the orchestrator replans on a dead letter."),
  afterFirstLevel: z
    .boolean()
    .optional()
    .describe("Once every task ready at the start has finished: a wave for `replan: after-wave`."),
  expandAfter: z
    .array(z.array(z.string()))
    .optional()
    .describe(
      "Groups of pool tasks: once every task of a group is done, a complex task waiting on them is ready to expand.",
    ),
});
export type HandBack = z.infer<typeof HandBackSchema>;

/** What every step of an assignment shares: the run's goal, fence seed and id. */
const WorkerRunSchema = z.object({
  goal: z.string().describe("The run's goal."),
  fenceSeed: z.string().optional().describe("The run's seed of the nonces that fence worker output in prompts."),
  runId: z.string().optional().describe("The run the tasks belong to: its shared memory's namespace."),
});

/**
 * The payload of one `Send("worker", …)`, declared as the worker node's input schema and built once, by the router:
 * a chain of tasks run in order, each depending on the one before (usually a chain of one), or a pool run with
 * `pool` slots. A later step's dependency on an earlier step is filled in as the chain runs.
 */
export const WorkerAssignmentSchema = WorkerRunSchema.extend({
  steps: z.array(WorkerStepSchema).describe("The tasks to run, highest priority first."),
  pool: z
    .number()
    .int()
    .optional()
    .describe("Continuous scheduling: run the steps as a list scheduler with this many slots."),
  handBack: HandBackSchema.optional().describe(
    "Continuous scheduling: the results at which the pool hands back to the orchestrator.",
  ),
  budget: BudgetSnapshotSchema.optional().describe(
    "Under a run budget: what the run had spent, for the meter every model call asks first.",
  ),
  planning: z
    .object({ conversation: z.string().describe("The chat so far, for the planner (empty when none).") })
    .optional()
    .describe("Streamed planning: the pool plans the goal itself and starts each task as the plan streams."),
});
export type WorkerAssignment = z.infer<typeof WorkerAssignmentSchema>;

/** What a worker is given for one task: the run's goal (and fence seed and id), its step's task, dependencies and dispatch. */
export type WorkerInput = z.infer<typeof WorkerRunSchema> & Pick<WorkerStep, "task" | "dependencies" | "dispatch">;

/** One unit of dispatch: a chain of task ids for one worker, or a pool run with `pool` slots. */
export const DispatchUnitSchema = z.object({
  tasks: z.array(z.string()).describe("The task ids, in the order the worker runs or ranks them."),
  pool: z.number().int().optional().describe("Continuous scheduling: the pool's slots."),
  handBack: HandBackSchema.optional().describe("Continuous scheduling: when the pool hands back."),
  budget: BudgetSnapshotSchema.optional().describe("Under a run budget: where the budgets stood at dispatch."),
  plan: z
    .boolean()
    .optional()
    .describe("Streamed planning: the pool plans the goal and runs its tasks as they stream."),
});
export type DispatchUnit = z.infer<typeof DispatchUnitSchema>;
