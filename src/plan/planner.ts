import { z } from "zod";
import { AIMessage, HumanMessage, SystemMessage, type BaseMessage } from "@langchain/core/messages";
import type { BaseChatModel } from "@langchain/core/language_models/chat_models";
import { ensureConfig, mergeConfigs } from "@langchain/core/runnables";
import { boundedCall, internalCall } from "../models.js";
import { planTaskLimit, type Settings } from "../settings.js";
import { classifyError } from "../workers/classify.js";
import { breakCycles } from "./cycles.js";
import { PlanStreamHandler } from "./plan-stream.js";
import { catalogRules, REPAIRABLE_ISSUES, validatePlan, type PlanIssue, type ValidationOptions } from "./validate.js";
import { promptNonce, withDataRule } from "../fence.js";
import { expandRequest, planRequest, plannerSystemPrompt, repairRequest, replanRequest } from "../prompts.js";
import type { WorkerCatalog } from "../worker-contract.js";
import { TaskSpecSchema, type PlanOutcome, type TaskRecord, type TaskResult, type TaskSpec } from "../schemas.js";
import { addUsage, usageOf, ZERO_USAGE, type Usage } from "../budget/usage.js";

/** The LLM-facing task schema; `worker` is an enum of the registry's names. */
export function plannedTaskSchema(registry: WorkerCatalog) {
  return z.object({
    id: z.string().describe("Unique snake_case id, e.g. find_flights."),
    title: z.string().describe("Short title."),
    description: z.string().describe("Self-contained instructions for the worker."),
    worker: z.enum(registry.names).describe("The worker that does this task."),
    dependsOn: z.array(z.string()).describe("Ids of tasks whose results this task needs; [] if none."),
    expectedOutput: z.string().describe("What a good result contains."),
    estimatedCost: z.number().describe("Relative effort, 1 (small) to 5 (large)."),
    complex: z.boolean().describe("True only if the task should be broken into subtasks before it runs."),
    // Asked for only when some worker declares capabilities: plans of other teams keep their shape.
    ...(registry.list().some((worker) => worker.capabilities?.length)
      ? {
          requires: z.array(z.string()).describe("Capabilities from the worker list that this task needs; [] if none."),
        }
      : {}),
  });
}

/** The plan the planner returns. */
export function planSchema(registry: WorkerCatalog) {
  return z.object({
    rationale: z.string().describe("One or two sentences on how the goal is broken down."),
    tasks: z.array(plannedTaskSchema(registry)).describe("The tasks of the plan."),
  });
}

/** The planner's decision after a wave. */
export function replanSchema(registry: WorkerCatalog) {
  return z.object({
    decision: z.enum(["continue", "revise"]).describe("continue: keep the plan; revise: add and/or cancel tasks."),
    reason: z.string().describe("Why."),
    addTasks: z.array(plannedTaskSchema(registry)).describe("New tasks; [] when continuing."),
    cancelTaskIds: z.array(z.string()).describe("Ids of pending tasks to cancel; [] when continuing."),
  });
}

export type { PlanOutcome };

interface CallOptions {
  signal?: AbortSignal;
  timeoutMs: number;
  /** Handed each task of the first reply as it streams. */
  onTask?: (task: unknown) => void;
}

/** Normalises planner tasks into task specs, reporting ids that break the id rule as issues. */
function toSpecs(tasks: readonly unknown[]): { specs: TaskSpec[]; issues: PlanIssue[] } {
  const specs: TaskSpec[] = [];
  const issues: PlanIssue[] = [];
  for (const task of tasks) {
    const parsed = TaskSpecSchema.safeParse(task);
    if (parsed.success) specs.push(parsed.data);
    else
      issues.push({
        code: "invalid_task",
        message: `Task ${JSON.stringify((task as { id?: unknown }).id)}: ${parsed.error.issues[0]?.message}`,
      });
  }
  return { specs, issues };
}

/**
 * Asks for a plan and sends validation errors back for a bounded number of repairs. A plan whose only
 * remaining problems are cycles is accepted with the closing edges dropped.
 */
async function requestValidPlan(
  model: BaseChatModel,
  messages: BaseMessage[],
  schema: ReturnType<typeof planSchema>,
  validation: ValidationOptions,
  repairs: number,
  call: CallOptions,
): Promise<PlanOutcome> {
  const structured = model.withStructuredOutput(schema, { name: "plan", includeRaw: true });
  let usage = ZERO_USAGE;
  let draft: TaskSpec[] = [];
  let issues: PlanIssue[] = [];
  for (let round = 0; round <= repairs; round++) {
    let reply: { raw: BaseMessage; parsed: z.infer<typeof schema> | null; parsingError?: unknown };
    try {
      // A streamed plan is read by its own handler (beside the run's), never streamed into the chat's messages.
      const handler = round === 0 && call.onTask ? [new PlanStreamHandler(call.onTask)] : [];
      const config = mergeConfigs(ensureConfig(), { callbacks: handler, ...internalCall("planner") });
      reply = (await boundedCall(call.timeoutMs, call.signal, "the planner call", (signal) =>
        structured.invoke(messages, { ...config, signal }),
      )) as typeof reply;
    } catch (error) {
      const failure = classifyError(error);
      // A failed call was made and counts; one refused by a run budget was never made.
      if (failure.kind !== "budget") usage = addUsage(usage, { modelCalls: 1 });
      issues = [{ code: "unparsable", message: `The planner call failed (${failure.kind}): ${failure.message}` }];
      if (!failure.retryable || call.signal?.aborted) break;
      messages = [...messages, new HumanMessage(repairRequest(issues.map((issue) => issue.message)))];
      continue;
    }
    usage = addUsage(usage, usageOf(reply.raw));
    if (!reply.parsed) {
      const why = (reply.parsingError as Error | undefined)?.message ?? "no structured output";
      issues = [{ code: "unparsable", message: `The plan could not be parsed: ${why}` }];
      messages = [...messages, reply.raw, new HumanMessage(repairRequest(issues.map((issue) => issue.message)))];
      continue;
    }
    const normalised = toSpecs(reply.parsed.tasks);
    draft = normalised.specs;
    issues = [...normalised.issues, ...validatePlan(draft, validation)];
    if (draft.length === 0) issues.push({ code: "empty_plan", message: "The plan has no tasks." });
    if (issues.length === 0)
      return { ok: true, tasks: draft, dropped: [], rationale: reply.parsed.rationale, usage, repairs: round };
    if (round < repairs) {
      messages = [
        ...messages,
        new AIMessage(JSON.stringify(reply.parsed)),
        new HumanMessage(repairRequest(issues.map((issue) => issue.message))),
      ];
    }
  }
  if (draft.length > 0 && issues.every((issue) => REPAIRABLE_ISSUES.has(issue.code))) {
    const { tasks, dropped } = breakCycles(draft);
    return { ok: true, tasks, dropped, usage, repairs };
  }
  return { ok: false, draft, errors: issues.map((issue) => issue.message), usage, repairs };
}

/**
 * Plans a goal with the planner model, repairing invalid plans; `conversation` is the chat so far (fenced with
 * `nonce`). `onTask` is handed each task of the first reply as it streams.
 */
export function planGoal(
  model: BaseChatModel,
  goal: string,
  registry: WorkerCatalog,
  settings: Settings,
  signal?: AbortSignal,
  conversation: { text: string; nonce: string } = { text: "", nonce: "" },
  onTask?: (task: unknown) => void,
): Promise<PlanOutcome> {
  const messages = [
    new SystemMessage(plannerSystemPrompt(registry, settings)),
    new HumanMessage(planRequest(goal, conversation.text, conversation.nonce)),
  ];
  return requestValidPlan(model, messages, planSchema(registry), planRules(registry, settings), settings.planRepairs, {
    signal,
    timeoutMs: settings.plannerTimeoutMs,
    onTask,
  });
}

/** What a first plan is validated against: the registry's workers and capabilities, and the `effort` bound. */
export const planRules = (registry: WorkerCatalog, settings: Settings): ValidationOptions => ({
  ...catalogRules(registry),
  maxTasks: planTaskLimit(settings),
});

/** Breaks a complex task into subtasks; ids are local to the parent. */
export function expandTask(
  model: BaseChatModel,
  goal: string,
  task: TaskRecord,
  registry: WorkerCatalog,
  settings: Settings,
  maxSubtasks: number,
  signal?: AbortSignal,
): Promise<PlanOutcome> {
  const messages = [
    new SystemMessage(plannerSystemPrompt(registry, settings)),
    new HumanMessage(expandRequest(goal, task, maxSubtasks)),
  ];
  const validation = { ...catalogRules(registry), maxTasks: maxSubtasks };
  return requestValidPlan(model, messages, planSchema(registry), validation, settings.planRepairs, {
    signal,
    timeoutMs: settings.plannerTimeoutMs,
  });
}

export interface ReplanDecision {
  revise: boolean;
  reason: string;
  addTasks: TaskSpec[];
  cancelTaskIds: string[];
  usage: Usage;
}

/** Asks the planner whether to revise the plan given the results so far (fenced with `nonce`). Errors mean "continue". */
export async function askReplan(
  model: BaseChatModel,
  goal: string,
  tasks: readonly TaskRecord[],
  results: Record<string, TaskResult>,
  registry: WorkerCatalog,
  settings: Settings,
  signal?: AbortSignal,
  nonce = promptNonce(undefined, "replan"),
): Promise<ReplanDecision> {
  const remaining = Math.max(0, settings.maxTasks - tasks.length);
  const system = withDataRule(plannerSystemPrompt(registry, settings), nonce);
  const messages = [new SystemMessage(system), new HumanMessage(replanRequest(goal, tasks, results, remaining, nonce))];
  try {
    const structured = model.withStructuredOutput(replanSchema(registry), { name: "replan", includeRaw: true });
    const reply = (await boundedCall(settings.plannerTimeoutMs, signal, "the replan call", (bounded) =>
      structured.invoke(messages, { signal: bounded, ...internalCall("replanner") }),
    )) as { raw: BaseMessage; parsed: z.infer<ReturnType<typeof replanSchema>> | null };
    const usage = addUsage(ZERO_USAGE, usageOf(reply.raw));
    if (!reply.parsed)
      return { revise: false, reason: "the replan answer could not be parsed", addTasks: [], cancelTaskIds: [], usage };
    const { specs } = toSpecs(reply.parsed.addTasks);
    return {
      revise: reply.parsed.decision === "revise",
      reason: reply.parsed.reason,
      addTasks: specs,
      cancelTaskIds: reply.parsed.cancelTaskIds,
      usage,
    };
  } catch (error) {
    const failure = classifyError(error);
    const usage = { ...ZERO_USAGE, modelCalls: failure.kind === "budget" ? 0 : 1 };
    return {
      revise: false,
      reason: `the replan call failed: ${failure.message}`,
      addTasks: [],
      cancelTaskIds: [],
      usage,
    };
  }
}
