import type { BaseCheckpointSaver } from "@langchain/langgraph";
import { Command } from "@langchain/langgraph";
import { uuid6 } from "@langchain/langgraph-checkpoint";
import { isResolved, RESOLVED_SETTINGS_KEY, recursionLimitFor, settingsOf, type SettingsInput } from "../settings.js";
import { OrchestratorError, RunCancelledError, RunStoppedError } from "../errors.js";
import { isOrchestratorEvent, type OrchestratorEvent } from "../events.js";
import { TASK_STATUSES, type DeadLetter, type TaskRecord, type TaskResult, type TaskStatus } from "../schemas.js";
import { runUsage, type Usage } from "../budget/usage.js";
import type { ReviewRequest, State } from "../state.js";
import { DRAIN_KEY } from "../workers/pool.js";

/** The slice of a compiled graph the runner uses. */
export interface RunnableGraph {
  stream(input: unknown, options: Record<string, unknown>): Promise<AsyncIterable<unknown>>;
  checkpointer?: BaseCheckpointSaver | boolean;
}

export interface RunOptions {
  threadId: string;
  settings?: SettingsInput;
  /** Cancels the run at once: steps in flight are abandoned (and re-run on resume); the run rejects with `RunCancelledError`. */
  signal?: AbortSignal;
  /** Stops the run gracefully: the current step finishes and is checkpointed, then `RunStoppedError`. */
  drain?: AbortSignal;
  onEvent?: (event: OrchestratorEvent) => void;
}

/**
 * One task of a finished (or paused) run, with the timing and tokens of its result: the entries of the `--json`
 * summary (and of `RunSummary.tasks`), and the rows of the CLI's reports, run logs and final view.
 */
export interface TaskSummary {
  id: string;
  title: string;
  worker: string;
  dependsOn: string[];
  status: TaskStatus;
  origin: TaskRecord["origin"];
  attempts: number;
  /** Wall time of the task's last dispatch, retries included, in whole ms (0 when it never ran). */
  durationMs: number;
  tokens: number;
  /** When the last dispatch started (ISO), if it ran. */
  startedAt?: string;
  output: string;
  reason?: string;
}

/** The summaries of a run's tasks, in plan order. */
export function taskSummaries(state: {
  tasks?: Record<string, TaskRecord>;
  results?: Record<string, TaskResult>;
}): TaskSummary[] {
  const results = state.results ?? {};
  return Object.values(state.tasks ?? {})
    .sort((a, b) => a.order - b.order)
    .map((task) => {
      const result = results[task.id];
      return {
        id: task.id,
        title: task.title,
        worker: task.worker,
        dependsOn: task.dependsOn,
        status: task.status,
        origin: task.origin,
        attempts: task.attempts,
        durationMs: Math.round(result?.durationMs ?? 0),
        tokens: result?.usage.totalTokens ?? 0,
        ...(result && !task.children?.length ? { startedAt: result.startedAt } : {}),
        output: result?.output ?? "",
        ...(task.reason ? { reason: task.reason } : {}),
      };
    });
}

/** How many of the tasks are in each status. */
export function countStatuses(tasks: readonly { status: TaskStatus }[]): Record<TaskStatus, number> {
  const counts = Object.fromEntries(TASK_STATUSES.map((status) => [status, 0])) as Record<TaskStatus, number>;
  for (const task of tasks) counts[task.status]++;
  return counts;
}

/**
 * How a run ended: `done` when every task is done; `partial` when some task has no result (dead-lettered, or
 * skipped because a dependency died or a run budget stopped dispatching); `interrupted` while it waits for a human.
 */
export type RunStatus = "done" | "partial" | "interrupted";

/** The tasks of a finished run that have no result: every task not done, in the order given. */
export const missingTasks = <T extends { status: TaskStatus }>(tasks: readonly T[]): T[] =>
  tasks.filter((task) => task.status !== "done");

/** `done` when every task is done, `partial` otherwise. */
export const finishedStatus = (tasks: readonly { status: TaskStatus }[]): "done" | "partial" =>
  missingTasks(tasks).length ? "partial" : "done";

/** What a finished (or paused) run comes to: the CLI's `--json` object. */
export interface RunSummary {
  threadId: string;
  status: RunStatus;
  /** Why dispatching stopped early (a run budget), if it did. */
  stopReason?: string;
  answer: string;
  tasks: TaskSummary[];
  deadLetters: DeadLetter[];
  usage: Usage;
  planSource?: string;
  droppedEdges: State["droppedEdges"];
  notes: string[];
  /** Set when the run waits for a human (plan review or manual breakdown). */
  review?: ReviewRequest;
  /** Set when the run waits at an `interrupt()` inside a graph worker: its value; `resume` answers it. */
  interrupt?: unknown;
}

/** Summarises graph state. */
export function summarize(threadId: string, state: State, review?: ReviewRequest, interrupt?: unknown): RunSummary {
  const tasks = taskSummaries(state);
  return {
    threadId,
    status: review || interrupt !== undefined ? "interrupted" : finishedStatus(tasks),
    ...(state.stopReason ? { stopReason: state.stopReason } : {}),
    answer: state.answer ?? "",
    tasks,
    deadLetters: state.deadLetters ?? [],
    usage: runUsage(state),
    planSource: state.planSource,
    droppedEdges: state.droppedEdges ?? [],
    notes: state.notes ?? [],
    ...(review ? { review } : {}),
    ...(interrupt !== undefined ? { interrupt } : {}),
  };
}

/** The interrupt values an `updates` chunk (of a stream, or of the SDK's) carries. */
const interruptsOf = (update: unknown): unknown[] =>
  ((update as { __interrupt__?: { value: unknown }[] } | undefined)?.__interrupt__ ?? []).map((i) => i.value);

/** Whether an interrupt value is the orchestrator's own plan review. */
const isReview = (value: unknown): value is ReviewRequest =>
  ["approve_plan", "manual_breakdown"].includes((value as { kind?: string } | null)?.kind ?? "");

/** The review a run paused for, if this `updates` chunk carries its interrupt. */
export function pendingReview(update: unknown): ReviewRequest | undefined {
  return interruptsOf(update).find(isReview);
}

/** The value of an interrupt raised inside a graph worker, if this `updates` chunk carries one. */
export function workerInterrupt(update: unknown): unknown {
  return interruptsOf(update).find((value) => !isReview(value));
}

/**
 * Streams a run to its end (or its next interrupt), forwarding lifecycle events, and returns its summary.
 * `input` is the goal input, `null` to resume, or a `Command` to answer an interrupt.
 */
export async function runGraph(
  graph: RunnableGraph,
  input: { goal: string; plan?: unknown } | null | Command,
  options: RunOptions,
): Promise<RunSummary> {
  // Resolved settings (createOrchestrator's) go to the nodes as they are; partial ones merge under the graph's own.
  const settings = settingsOf(options.settings);
  const resolvedSettings = isResolved(options.settings) ? { [RESOLVED_SETTINGS_KEY]: settings } : {};
  const stop = new AbortController();
  const signal = options.signal ? AbortSignal.any([options.signal, stop.signal]) : stop.signal;
  let state: State | undefined;
  let review: ReviewRequest | undefined;
  let interrupt: unknown;
  // A graceful stop ends the run at the first checkpoint written after it was asked for: the step in flight finishes
  // and is kept. The stream runs behind the graph, so a checkpoint read after the stop may be an older one; the mark
  // tells them apart, as checkpoint ids are time-ordered uuid6 from the same generator.
  let drainMark: string | undefined;
  const markDrain = () => void (drainMark ??= uuid6(-1));
  if (options.drain?.aborted) markDrain();
  else options.drain?.addEventListener("abort", markDrain, { once: true });
  try {
    const stream = await graph.stream(input, {
      // A graceful stop also tells an eager pool to launch nothing more: its step then ends and is checkpointed.
      configurable: {
        thread_id: options.threadId,
        ...resolvedSettings,
        ...(options.drain ? { [DRAIN_KEY]: options.drain } : {}),
      },
      context: options.settings ?? {},
      recursionLimit: recursionLimitFor(settings),
      streamMode: ["custom", "updates", "values", "checkpoints"],
      // Every checkpoint is written before the next step starts: a crash loses at most the step in flight.
      durability: "sync",
      signal,
    });
    for await (const chunk of stream) {
      const [mode, payload] = chunk as [string, unknown];
      if (mode === "custom" && isOrchestratorEvent(payload)) options.onEvent?.(payload);
      else if (mode === "values") state = payload as State;
      else if (mode === "checkpoints" && drainMark !== undefined && checkpointId(payload) > drainMark)
        stop.abort(new RunStoppedError(options.threadId));
      else if (mode === "updates") {
        review = pendingReview(payload) ?? review;
        interrupt = workerInterrupt(payload) ?? interrupt;
      }
    }
  } catch (error) {
    // LangGraph rejects an aborted run with a bare "Abort": say which run, and that it resumes.
    if (options.signal?.aborted)
      throw new RunCancelledError(options.threadId, { cause: options.signal.reason ?? error });
    if (stop.signal.aborted) throw stop.signal.reason;
    throw error;
  } finally {
    options.drain?.removeEventListener("abort", markDrain);
  }
  if (!state) throw new OrchestratorError(`The run on thread "${options.threadId}" produced no state.`);
  return summarize(options.threadId, state, review, interrupt);
}

/** The id of the checkpoint a `checkpoints` stream chunk announces. */
const checkpointId = (payload: unknown): string =>
  (payload as { config: { configurable: { checkpoint_id: string } } }).config.configurable.checkpoint_id;

export { Command };
