import { setMaxListeners } from "node:events";
import { isGraphBubbleUp } from "@langchain/langgraph";
import { AttemptFailure, RunBudgetReachedError } from "../errors.js";
import type { TaskError, WorkerInput, AttemptParams } from "../schemas.js";
import { runAgent } from "./agent.js";
import { Attempt, type ExecuteOptions } from "./attempt.js";
import { classifyError } from "./classify.js";
import { verify } from "./verify.js";
import { runFunction } from "./function.js";
import { runGraphWorker } from "./graph.js";
import { runA2aWorker } from "./a2a.js";
import type { WorkerDefinition, WorkerOutput } from "../worker-contract.js";

export type AttemptOutcome =
  | { ok: true; output: WorkerOutput; attempt: Attempt }
  | { ok: false; error: TaskError; retryAfterMs?: number; attempt: Attempt };

/** When an attempt must stop, and why: its own time limit or the run's deadline, whichever comes first. */
function stopOf(number: number, timeoutMs: number, options: ExecuteOptions): { inMs: number; reason: () => Error } {
  const deadlineAt = options.meter?.deadlineAt;
  const toDeadline = deadlineAt === undefined ? Number.POSITIVE_INFINITY : deadlineAt - Date.now();
  if (toDeadline <= timeoutMs)
    return {
      inMs: Math.max(0, toDeadline),
      reason: () => new RunBudgetReachedError(options.meter!.deadlineReason()),
    };
  return {
    inMs: timeoutMs,
    reason: () => new AttemptFailure("timeout", `attempt ${number} timed out after ${timeoutMs} ms`),
  };
}

/** The attempt's work, by the worker's kind. */
function work(
  input: WorkerInput,
  worker: WorkerDefinition,
  feedback: string | undefined,
  attempt: Attempt,
): Promise<WorkerOutput> {
  if (worker.kind === "agent") return runAgent(input, worker, feedback, attempt);
  if (worker.kind === "graph") return runGraphWorker(input, worker, feedback, attempt);
  if (worker.kind === "a2a") return runA2aWorker(input, worker, feedback, attempt);
  return runFunction(input, worker, feedback, attempt);
}

/** One attempt under its time limit (and the run's deadline): the work, then the result contract. */
export async function runAttempt(
  input: WorkerInput,
  worker: WorkerDefinition,
  params: AttemptParams,
  number: number,
  feedback: string | undefined,
  options: ExecuteOptions,
): Promise<AttemptOutcome> {
  const timeoutMs = worker.timeoutMs ?? options.settings.workerTimeoutMs;
  // One controller per attempt, aborted by its timeout, the run's deadline or the run's signal (one listener, removed after).
  const controller = new AbortController();
  // An agent's loop listens on it once per model and tool call (createAgent merges it into each call's signal).
  setMaxListeners(0, controller.signal);
  const attempt = new Attempt(number, params, controller.signal, timeoutMs, options);
  const onRunAbort = () => controller.abort(new AttemptFailure("aborted", "the run was cancelled", false));
  if (options.signal?.aborted) onRunAbort();
  options.signal?.addEventListener("abort", onRunAbort, { once: true });
  const stop = stopOf(number, timeoutMs, options);
  let cut = false;
  const timer = setTimeout(() => {
    cut = true;
    controller.abort(stop.reason());
  }, stop.inMs);
  const stopped = new Promise<never>((_, reject) => {
    if (controller.signal.aborted) reject(controller.signal.reason);
    controller.signal.addEventListener("abort", () => reject(controller.signal.reason), { once: true });
  });
  // The result contract (a check may call a model) runs inside the attempt's limit too.
  const running = (async () => {
    const output = await work(input, worker, feedback, attempt);
    await verify(output, input, worker, attempt);
    return output;
  })();
  try {
    const output = await Promise.race([running, stopped]);
    return { ok: true, output, attempt };
  } catch (error) {
    // An interrupt inside a graph worker pauses the run: it reaches the parent graph, which resumes it there.
    if (isGraphBubbleUp(error)) throw error;
    const { retryAfterMs, ...failure } = classifyError(error);
    // Cut by its limit, the attempt holds its slot until its work ends (no retry starts on top of it), or, past the
    // grace period, gives the work up as hung.
    const graceMs = options.settings.hungGraceMs;
    const hung = cut && !(await settlesWithin(running, graceMs)) ? hungError(number, failure, graceMs) : undefined;
    return { ok: false, error: hung ?? failure, ...(retryAfterMs === undefined ? {} : { retryAfterMs }), attempt };
  } finally {
    clearTimeout(timer);
    options.signal?.removeEventListener("abort", onRunAbort);
    attempt.close();
  }
}

/** Whether `work` settles (either way) within `ms`. */
async function settlesWithin(work: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const ended = work.then(
    () => true,
    () => true,
  );
  const late = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), ms)));
  try {
    return await Promise.race([ended, late]);
  } finally {
    clearTimeout(timer);
  }
}

/** The failure of an attempt whose work still ran `graceMs` after its limit stopped it: not retried, never awaited. */
function hungError(number: number, stopped: TaskError, graceMs: number): TaskError {
  return {
    kind: "hung",
    message: `attempt ${number} was stopped (${stopped.message}) but its worker was still running ${graceMs} ms later: it ignores its abort signal, so it was abandoned`,
    retryable: false,
  };
}
