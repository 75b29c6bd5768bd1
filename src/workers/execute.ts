import { HumanMessage, SystemMessage } from "@langchain/core/messages";
import { OrchestratorError, RunBudgetReachedError } from "../errors.js";
import { taskNonce, withDataRule } from "../fence.js";
import { boundedCall, internalCall, textOf } from "../models.js";
import { clarifyRequest, CLARIFIER_SYSTEM_PROMPT } from "../prompts.js";
import type { AttemptParams, AttemptRecord, FollowUp, TaskError, TaskResult, WorkerInput } from "../schemas.js";
import { sumUsage } from "../budget/usage.js";
import type { Attempt, ExecuteOptions } from "./attempt.js";
import { runAttempt, type AttemptOutcome } from "./run-attempt.js";
import { capData, capOutput } from "./verify.js";
import { retryLadder } from "./ladder.js";
import { retryWaitMs } from "./backoff.js";
import { keepFullResult } from "./memory.js";
import type { WorkerDefinition, WorkerOutput } from "../worker-contract.js";

/** The run note of a task whose worker hung. */
const HUNG_NOTE =
  "its worker ignored its time limit and was abandoned still running (it may hold resources until it ends)";

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve) => {
    if (ms <= 0 || signal?.aborted) return resolve();
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener("abort", () => (clearTimeout(timer), resolve()), { once: true });
  });

/**
 * Runs one task to a result record: every attempt of the ladder until one passes its checks, a
 * non-retryable error, or the ladder ends. Failed attempts feed their reason into the next; a task the
 * worker calls underspecified is rewritten by the planner model first. A run budget that stops the task (its
 * deadline passed, or a model call was refused) ends it with a `budget` error: not a failure of the task, so
 * no `task.failed`. Never throws.
 */
export async function executeTask(
  input: WorkerInput,
  worker: WorkerDefinition,
  options: ExecuteOptions,
): Promise<TaskResult> {
  const { settings, emit } = options;
  const startedAt = new Date();
  const ladder = retryLadder(worker, settings);
  const attempts: AttemptRecord[] = [];
  const ref = { taskId: input.task.id, worker: worker.name };
  const original = input.task.description;
  const finish = (fields: Pick<TaskResult, "status" | "output"> & Partial<TaskResult>): TaskResult => ({
    ...ref,
    dispatch: input.dispatch,
    attempts,
    startedAt: startedAt.toISOString(),
    durationMs: Date.now() - startedAt.getTime(),
    usage: sumUsage(attempts),
    followUps: [],
    ...(input.task.description !== original ? { clarifiedDescription: input.task.description } : {}),
    ...fields,
  });
  let feedback: string | undefined;

  for (let i = 0; i < ladder.length; i++) {
    const number = i + 1;
    const params = ladder[i]!;
    const pastDeadline = deadlinePassed(options);
    if (pastDeadline) return finish({ status: "failed", output: "", error: budgetError(pastDeadline) });
    emit({ type: "task.started", ...ref, attempt: number });
    const began = performance.now();
    const outcome = await runAttempt(input, worker, params, number, feedback, options);
    const durationMs = performance.now() - began;
    // Pushed once the attempt's usage is complete (a clarification after it counts to it).
    const record = (): AttemptRecord => attemptRecord(number, params, outcome, durationMs);
    if (outcome.ok) {
      attempts.push(record());
      const result = finish(await doneFields(input.task.id, outcome.output, options));
      emit({ type: "task.done", ...ref, attempts: number, durationMs: result.durationMs, usage: result.usage });
      return result;
    }
    const { error } = outcome;
    if (error.kind !== "budget") emit({ type: "task.failed", ...ref, attempt: number, error });
    if (options.signal?.aborted || !error.retryable || i === ladder.length - 1) {
      attempts.push(record());
      return finish({ status: "failed", output: "", error, ...(error.kind === "hung" ? { notes: [HUNG_NOTE] } : {}) });
    }
    feedback = `${error.kind}: ${error.message}`;
    input = await retryInput(input, error, outcome.attempt, options);
    const waitMs = retryWaitMs({
      kind: error.kind,
      retry: number,
      retryAfterMs: outcome.retryAfterMs,
      limitMs: worker.timeoutMs ?? settings.workerTimeoutMs,
      deadlineAt: options.meter?.deadlineAt,
    });
    attempts.push({ ...record(), ...(waitMs > 0 ? { waitMs } : {}) });
    emit({
      type: "task.retrying",
      ...ref,
      attempt: number + 1,
      reason: feedback,
      ...(waitMs > 0 ? { delayMs: waitMs } : {}),
    });
    await sleep(waitMs, options.signal);
  }
  throw new OrchestratorError("unreachable: the retry ladder is never empty");
}

const budgetError = (message: string): TaskError => ({ kind: "budget", message, retryable: false });

/** The record of one attempt, once its usage is complete. */
function attemptRecord(
  number: number,
  params: AttemptParams,
  outcome: AttemptOutcome,
  durationMs: number,
): AttemptRecord {
  return {
    attempt: number,
    params,
    ok: outcome.ok,
    ...(outcome.ok ? {} : { error: outcome.error }),
    durationMs,
    usage: outcome.attempt.usage,
  };
}

/**
 * A done result's fields: the output and data capped to what state holds (with notes saying so), the whole result
 * kept in the run's memory when it was cut, with a reference in state.
 */
async function doneFields(
  taskId: string,
  produced: WorkerOutput,
  options: ExecuteOptions,
): Promise<Pick<TaskResult, "status" | "output"> & Partial<TaskResult>> {
  const { output, data, followUps } = produced;
  const capped = capData(data, options.settings.maxDataChars);
  const text = capOutput(output, options.settings.maxOutputChars);
  const cut = text !== output || capped.note !== undefined;
  const stored = cut && options.memory ? await keepFullResult(options.memory, taskId, produced) : undefined;
  const notes = [
    ...(capped.note ? [capped.note] : []),
    ...(stored ? [`the full result is in the store at ${stored.namespace.join("/")} "${stored.key}"`] : []),
  ];
  return {
    status: "done",
    output: notes.length ? `${text}\n\n[${notes.join("; ")}]` : text,
    ...("data" in capped ? { data: capped.data } : {}),
    ...(notes.length ? { notes } : {}),
    ...(stored ? { stored } : {}),
    followUps: followUps as FollowUp[],
  };
}

/** The input of the next attempt: a task the worker found underspecified is rewritten by the planner model first. */
async function retryInput(
  input: WorkerInput,
  error: TaskError,
  attempt: Attempt,
  options: ExecuteOptions,
): Promise<WorkerInput> {
  if (error.kind !== "underspecified" || !options.provider.configured) return input;
  return { ...input, task: { ...input.task, description: await clarify(input, error.message, attempt, options) } };
}

/** The run budget message when the run's deadline has passed: no attempt starts then. */
function deadlinePassed(options: ExecuteOptions): string | undefined {
  const { meter } = options;
  return meter?.deadlineAt !== undefined && Date.now() >= meter.deadlineAt
    ? new RunBudgetReachedError(meter.reached()!).message
    : undefined;
}

/**
 * Rewrites an underspecified task description with the planner model, between two attempts, under
 * `plannerTimeoutMs` and the run's deadline; keeps the old description if that fails.
 */
async function clarify(input: WorkerInput, reason: string, attempt: Attempt, options: ExecuteOptions): Promise<string> {
  try {
    const nonce = taskNonce(input, "clarify");
    const model = attempt.model("planner");
    const messages = [
      new SystemMessage(withDataRule(CLARIFIER_SYSTEM_PROMPT, nonce)),
      new HumanMessage(clarifyRequest(input, reason, nonce)),
    ];
    const cancel = options.meter ? options.meter.withDeadline(options.signal) : options.signal;
    const reply = await boundedCall(options.settings.plannerTimeoutMs, cancel, "the clarifier call", (signal) =>
      model.invoke(messages, { signal, ...internalCall("clarifier") }),
    );
    attempt.meter(reply);
    const text = textOf(reply).trim();
    return text || input.task.description;
  } catch {
    return input.task.description;
  }
}
