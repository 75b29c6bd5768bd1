import { z } from "zod";
import type { RunnableConfig } from "@langchain/core/runnables";
import { ConfigError } from "./errors.js";

/** Node's longest timer (2^31-1 ms, about 24.8 days): a longer one fires at once, so no time limit may exceed it. */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/** A time in ms a timer waits for: a whole number from `min` to `MAX_TIMER_MS`. */
const timerMs = (min: number) =>
  z
    .number()
    .int()
    .min(min)
    .max(MAX_TIMER_MS, `at most ${MAX_TIMER_MS} ms (about 24.8 days), the longest timer Node can set`);

/** The run configuration: one schema, visible in Studio as the graph's context schema. */
export const SettingsSchema = z.object({
  plannerModel: z.string().min(1).default("gpt-4o-mini").describe("Model that plans, expands, repairs and replans."),
  workerModel: z.string().min(1).default("gpt-4o-mini").describe("Default model for LLM workers."),
  synthesizerModel: z.string().min(1).default("gpt-4o-mini").describe("Model that writes the final answer."),
  fallbackModel: z.string().min(1).default("gpt-4o").describe("Model for a worker's last retry attempt."),
  workerTemperature: z.number().min(0).max(2).default(0.2).describe("Default sampling temperature of LLM workers."),
  strategy: z
    .enum(["dependency", "top-down"])
    .default("dependency")
    .describe("dependency: the plan is a DAG of tasks; top-down: complex tasks are expanded into subtasks when ready."),
  maxParallel: z.number().int().min(1).max(256).default(8).describe("Most subtasks in flight at once."),
  scheduling: z
    .enum(["waves", "continuous"])
    .default("continuous")
    .describe(
      "continuous (eager): one worker runs every runnable task with maxParallel slots, a free slot taking the best ready " +
        "task at once, each task checkpointed as it ends, back to the orchestrator at the first result that needs a decision; " +
        "waves: one Send per ready task, the next wave after the slowest (one superstep per wave, for step-by-step debugging).",
    ),
  chainDispatch: z
    .boolean()
    .default(true)
    .describe(
      "Waves: run a task's only newly-ready dependent right after it in the same worker, instead of in the next wave.",
    ),
  streamPlan: z
    .boolean()
    .default(true)
    .describe(
      "Continuous scheduling: start each task while the plan is still streaming, once it is complete and its dependencies " +
        "are done; the whole plan is still validated at the end. Off: no task starts before the whole plan is valid.",
    ),
  effort: z
    .enum(["auto", "low", "medium", "high"])
    .default("auto")
    .describe(
      "How far the planner decomposes a goal: auto (one task for a fact, one per item of a comparison, 5-10+ for open " +
        "research, at most maxTasks); low (at most 3 tasks); medium (at most 8); high (as many as the goal deserves, at most maxTasks).",
    ),
  maxTasks: z
    .number()
    .int()
    .min(1)
    .max(1000)
    .default(30)
    .describe("Most tasks in a run, follow-ups and subtasks included."),
  maxReplans: z.number().int().min(0).max(20).default(2).describe("Most times the planner may revise the plan."),
  replan: z
    .enum(["never", "on-failure", "after-wave"])
    .default("on-failure")
    .describe("When the planner is asked whether to revise the plan."),
  maxDepth: z.number().int().min(0).max(5).default(2).describe("Deepest nesting of subtasks in top-down planning."),
  planRepairs: z.number().int().min(0).max(5).default(2).describe("Times an invalid plan is sent back to the planner."),
  maxRetries: z
    .number()
    .int()
    .min(0)
    .max(5)
    .default(2)
    .describe("Retries of a failed subtask before it is dead-lettered."),
  workerTimeoutMs: timerMs(1).default(30_000).describe("Time limit of one worker attempt, in ms."),
  plannerTimeoutMs: timerMs(1)
    .default(120_000)
    .describe("Time limit of one planner call (plan, repair, expansion, replan, clarification, result check), in ms."),
  synthesizerTimeoutMs: timerMs(1)
    .default(120_000)
    .describe("Time limit of the synthesizer's call, in ms; past it the template answer is written."),
  hungGraceMs: timerMs(0)
    .default(10_000)
    .describe(
      "How long an attempt stopped by its time limit may take to end: its slot stays taken meanwhile; past it the task is dead-lettered as hung.",
    ),
  maxToolRounds: z.number().int().min(1).max(50).default(6).describe("Most tool-calling rounds of an LLM worker."),
  maxOutputChars: z
    .number()
    .int()
    .min(100)
    .default(20_000)
    .describe("Longer worker outputs are truncated with a note."),
  maxDataChars: z
    .number()
    .int()
    .min(100)
    .default(100_000)
    .describe(
      "A worker's structured data whose JSON is longer is dropped from the result, with a note; the text output stays.",
    ),
  memoryNamespace: z
    .string()
    .regex(/^([^/.]+(\/[^/.]+)*)?$/, "a namespace is labels separated by '/', without '.' (e.g. users/alice)")
    .default("")
    .describe(
      "Long-term memory every worker may read and write besides the run's own, as labels separated by '/' (e.g. users/alice); empty = none.",
    ),
  deadlineMs: timerMs(0)
    .default(0)
    .describe("Run budget: wall-clock ms from the start of planning (or of a re-drive); 0 = none."),
  maxTokens: z.number().int().min(0).default(0).describe("Run budget: total tokens of every model call; 0 = none."),
  maxModelCalls: z.number().int().min(0).default(0).describe("Run budget: number of model calls; 0 = none."),
  reviewPlan: z.boolean().default(false).describe("Pause for a human to approve, edit or reject the plan."),
  humanFallback: z
    .boolean()
    .default(false)
    .describe("When planning fails, pause for a human breakdown instead of a single-task plan."),
  announcePlan: z
    .boolean()
    .default(true)
    .describe("When the plan is made, add one short AI message to `messages` listing its tasks."),
});

/** Resolved run settings, every field present. */
export type Settings = z.infer<typeof SettingsSchema>;
/** Settings as a caller may pass them: every field optional. */
export type SettingsInput = z.input<typeof SettingsSchema>;

/** The settings parseSettings returned: resolved, so passing one on parses nothing again. */
const resolved = new WeakSet<object>();

/** Whether `settings` came from parseSettings (a run's resolved settings), not a partial input. */
export const isResolved = (settings: unknown): settings is Settings =>
  typeof settings === "object" && settings !== null && resolved.has(settings);

/** Parses settings, naming the bad field and value on error. */
export function parseSettings(input: unknown, source = "config"): Settings {
  const parsed = SettingsSchema.safeParse(input ?? {});
  if (parsed.success) {
    resolved.add(parsed.data);
    return parsed.data;
  }
  const issues = parsed.error.issues.map((issue) => {
    const key = issue.path.join(".");
    const value = key ? (input as Record<string, unknown>)[key] : input;
    return `${key || "(root)"}=${JSON.stringify(value)}: ${issue.message}`;
  });
  throw new ConfigError(`Invalid ${source}: ${issues.join("; ")}`);
}

/** Settings as given, when already resolved; else parsed (once). */
export const settingsOf = (input: SettingsInput | undefined, source?: string): Settings =>
  isResolved(input) ? input : parseSettings(input, source);

/**
 * The `configurable` key of a run's settings resolved before the run (by `runGraph`): nodes read them as they are.
 * A `__` key stays out of checkpoint metadata.
 */
export const RESOLVED_SETTINGS_KEY = "__orchestrator_settings";

const SETTING_KEYS = Object.keys(SettingsSchema.shape) as (keyof Settings)[];

/**
 * Resolves the settings of a run from a LangGraph config: the settings resolved before the run, when it has them;
 * else defaults, then `configurable` keys (LangGraph server assistants), then `context` (the graph's context schema)
 * win.
 */
export function resolveSettings(config?: RunnableConfig & { context?: unknown }, base: SettingsInput = {}): Settings {
  const given = config?.configurable?.[RESOLVED_SETTINGS_KEY];
  if (isResolved(given)) return given;
  const pick = (source: unknown) =>
    Object.fromEntries(
      Object.entries((source ?? {}) as Record<string, unknown>).filter(
        ([key, value]) => SETTING_KEYS.includes(key as keyof Settings) && value !== undefined,
      ),
    );
  return parseSettings({ ...base, ...pick(config?.configurable), ...pick(config?.context) });
}

/** The most tasks a first plan may have under these settings: the `effort` bound, never above `maxTasks`. */
export function planTaskLimit(settings: Pick<Settings, "effort" | "maxTasks">): number {
  const bound = { auto: settings.maxTasks, low: 3, medium: 8, high: settings.maxTasks }[settings.effort];
  return Math.min(bound, settings.maxTasks);
}

/** A recursion limit that bounds the run by its own limits: every orchestrator round costs two supersteps. */
export function recursionLimitFor(settings: Pick<Settings, "maxTasks" | "maxReplans">): number {
  const rounds = 2 * settings.maxTasks + settings.maxReplans + 4;
  return 2 * rounds + 4;
}

/** The recursion limit that fits the largest run the settings allow: the default of compiled graphs. */
export const RECURSION_LIMIT_CEILING = recursionLimitFor({
  maxTasks: SettingsSchema.shape.maxTasks.unwrap().maxValue ?? 500,
  maxReplans: SettingsSchema.shape.maxReplans.unwrap().maxValue ?? 20,
});
