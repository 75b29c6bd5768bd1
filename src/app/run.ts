import type { BaseCheckpointSaver } from "@langchain/langgraph";
import { Command } from "@langchain/langgraph";
import { recursionLimitFor, resolveSettings, type SettingsInput } from "../settings.js";
import { RunStoppedError } from "../errors.js";
import { isOrchestratorEvent, type OrchestratorEvent } from "../events.js";
import { type DeadLetter, type TaskRecord } from "../schemas.js";
import { runUsage, type Usage } from "../usage.js";
import type { ReviewRequest, State } from "../state.js";

/** The slice of a compiled graph the runner uses. */
export interface RunnableGraph {
  stream(input: unknown, options: Record<string, unknown>): Promise<AsyncIterable<unknown>>;
  checkpointer?: BaseCheckpointSaver | boolean;
}

export interface RunOptions {
  threadId: string;
  settings?: SettingsInput;
  /** Cancels the run at once: steps in flight are abandoned (and re-run on resume). */
  signal?: AbortSignal;
  /** Stops the run gracefully: the current step finishes and is checkpointed, then `RunStoppedError`. */
  drain?: AbortSignal;
  onEvent?: (event: OrchestratorEvent) => void;
}

/** One task in a run summary. */
export interface TaskSummary {
  id: string;
  title: string;
  worker: string;
  dependsOn: string[];
  status: TaskRecord["status"];
  attempts: number;
  durationMs: number;
  reason?: string;
}

/** What a finished (or paused) run comes to: the CLI's `--json` object. */
export interface RunSummary {
  threadId: string;
  status: "done" | "interrupted";
  answer: string;
  tasks: TaskSummary[];
  deadLetters: DeadLetter[];
  usage: Usage;
  planSource?: string;
  droppedEdges: State["droppedEdges"];
  notes: string[];
  /** Set when the run waits for a human (plan review or manual breakdown). */
  review?: ReviewRequest;
}

/** Summarises graph state. */
export function summarize(threadId: string, state: State, review?: ReviewRequest): RunSummary {
  const tasks = Object.values(state.tasks ?? {}).sort((a, b) => a.order - b.order);
  const results = state.results ?? {};
  const usage = runUsage(state);
  return {
    threadId,
    status: review ? "interrupted" : "done",
    answer: state.answer ?? "",
    tasks: tasks.map((task) => ({
      id: task.id,
      title: task.title,
      worker: task.worker,
      dependsOn: task.dependsOn,
      status: task.status,
      attempts: task.attempts,
      durationMs: results[task.id]?.durationMs ?? 0,
      ...(task.reason ? { reason: task.reason } : {}),
    })),
    deadLetters: state.deadLetters ?? [],
    usage,
    planSource: state.planSource,
    droppedEdges: state.droppedEdges ?? [],
    notes: state.notes ?? [],
    ...(review ? { review } : {}),
  };
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
  const settings = resolveSettings({ context: options.settings });
  const stop = new AbortController();
  const signal = options.signal ? AbortSignal.any([options.signal, stop.signal]) : stop.signal;
  const stream = await graph.stream(input, {
    configurable: { thread_id: options.threadId },
    context: options.settings ?? {},
    recursionLimit: recursionLimitFor(settings),
    streamMode: ["custom", "updates", "values", "checkpoints"],
    // Every checkpoint is written before the next step starts: a crash loses at most the step in flight.
    durability: "sync",
    signal,
  });
  let state: State | undefined;
  let review: ReviewRequest | undefined;
  try {
    for await (const chunk of stream) {
      const [mode, payload] = chunk as [string, unknown];
      if (mode === "custom" && isOrchestratorEvent(payload)) options.onEvent?.(payload);
      else if (mode === "values") state = payload as State;
      else if (mode === "checkpoints" && options.drain?.aborted) stop.abort(new RunStoppedError(options.threadId));
      else if (mode === "updates") {
        const interrupts = (payload as { __interrupt__?: { value: ReviewRequest }[] }).__interrupt__;
        if (interrupts?.length) review = interrupts[0]!.value;
      }
    }
  } catch (error) {
    if (stop.signal.aborted) throw stop.signal.reason;
    throw error;
  }
  if (!state) throw new Error(`The run on thread "${options.threadId}" produced no state.`);
  return summarize(options.threadId, state, review);
}

export { Command };
