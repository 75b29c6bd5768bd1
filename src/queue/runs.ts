import { randomUUID } from "node:crypto";
import { Queue } from "bullmq";
import type { Redis } from "ioredis";
import type { RunSummary } from "../app/run.js";
import {
  ConfigError,
  OrchestratorError,
  QueuedRunFailedError,
  QueueFullError,
  QueueLostError,
  ThreadBusyError,
} from "../errors.js";
import type { OrchestratorEvent } from "../events.js";
import { redact } from "../persistence/checkpointer.js";
import type { PlanInput } from "../schemas.js";
import type { SettingsInput } from "../settings.js";
import {
  connect,
  DELIVER_ONCE,
  KEEP_SECONDS,
  QUEUES,
  resolveQueueOptions,
  runEventsKey,
  type QueueOptions,
  type ResolvedQueueOptions,
} from "./connection.js";

/** What a run job carries: the job's id is the thread id. */
export interface RunJobData {
  goal: string;
  /** Names the run, so a re-delivered job resumes it instead of starting another. */
  runId: string;
  plan?: PlanInput;
  fallbackPlan?: PlanInput;
  settings?: SettingsInput;
}

/** One entry of a queued run's event stream, each naming the executor that wrote it. */
export type RunEntry = { executor: string } & (
  | { kind: "started"; resumed: boolean }
  | { kind: "event"; event: OrchestratorEvent }
  | { kind: "released"; reason: string }
  | { kind: "finished"; summary: RunSummary; goal: string }
  | { kind: "failed"; error: string }
);

/** A run to queue. */
export interface SubmitRequest {
  /** Default: a new thread. */
  threadId?: string;
  plan?: PlanInput;
  fallbackPlan?: PlanInput;
  settings?: SettingsInput;
}

/** The queue of runs, as submitters and followers see it. */
export const runQueue = (options: ResolvedQueueOptions, connection: Redis): Queue<RunJobData> =>
  new Queue<RunJobData>(QUEUES.runs, { connection, prefix: options.prefix });

/**
 * Queues a run for the executors and returns its thread and run ids. The job's id is the thread id, so a thread
 * has at most one queued or running job. Throws `QueueFullError` when `maxQueued` runs are waiting, and
 * `ThreadBusyError` when the thread already has a run waiting or running.
 */
export async function submitRun(
  queue: QueueOptions,
  goal: string,
  request: SubmitRequest = {},
): Promise<{ threadId: string; runId: string }> {
  const options = resolveQueueOptions(queue);
  const threadId = request.threadId ?? randomUUID();
  if (!goal.trim()) throw new ConfigError("A queued run needs a goal: the goal is empty.");
  // BullMQ job ids are the thread ids: they may not contain ":" nor be whole numbers.
  if (threadId.includes(":") || /^\d+$/.test(threadId)) {
    throw new ConfigError(
      `Thread id ${JSON.stringify(threadId)} cannot name a queued run: use one without ":" that is not a whole number.`,
    );
  }
  const connection = await connect(options.url);
  const runs = runQueue(options, connection);
  try {
    const counts = await runs.getJobCounts("waiting", "delayed", "prioritized");
    const waiting = Object.values(counts).reduce((sum, count) => sum + count, 0);
    if (waiting >= options.maxQueued) throw new QueueFullError(waiting, options.maxQueued);
    const previous = await runs.getJob(threadId);
    if (previous) {
      const state = await previous.getState();
      if (state !== "completed" && state !== "failed")
        throw new ThreadBusyError(threadId, `on the queue (its job is ${state})`);
      await previous.remove();
    }
    const runId = randomUUID();
    const data: RunJobData = { goal, runId, ...pick(request, ["plan", "fallbackPlan", "settings"]) };
    await connection.del(runEventsKey(options.prefix, threadId));
    await runs.add("run", data, {
      jobId: threadId,
      ...DELIVER_ONCE,
    });
    // Adding an id that exists is a no-op: a submission that raced this one on the thread may have won.
    const stored = await runs.getJob(threadId);
    if (stored?.data.runId !== runId) throw new ThreadBusyError(threadId, "on the queue (another submission took it)");
    return { threadId, runId };
  } finally {
    await runs.close();
    connection.disconnect();
  }
}

const pick = <T extends object, K extends keyof T>(value: T, keys: readonly K[]): Partial<Pick<T, K>> =>
  Object.fromEntries(keys.filter((key) => value[key] !== undefined).map((key) => [key, value[key]])) as Partial<
    Pick<T, K>
  >;

/** Appends an entry to a run's event stream. */
export async function publish(connection: Redis, prefix: string, threadId: string, entry: RunEntry): Promise<void> {
  const key = runEventsKey(prefix, threadId);
  await connection.multi().xadd(key, "*", "entry", JSON.stringify(entry)).expire(key, KEEP_SECONDS).exec();
}

/** What following a run reports besides its end. */
export interface FollowOptions {
  /** Every lifecycle event of the run, from its start, whichever executor ran it. */
  onEvent?: (event: OrchestratorEvent, executor: string) => void;
  /** Every entry, events and executor hand-overs included. */
  onEntry?: (entry: RunEntry) => void;
  signal?: AbortSignal;
}

/**
 * Follows a queued run from its first event to its end and returns its summary and goal. Rejects with
 * `QueuedRunFailedError` when the run failed (or the queue gave its job up), and with a `ConfigError`-like
 * message when the thread has no queued run.
 */
export async function followRun(
  queue: QueueOptions,
  threadId: string,
  follow: FollowOptions = {},
): Promise<{ summary: RunSummary; goal: string }> {
  const options = resolveQueueOptions(queue);
  const connection = await connect(options.url, { failFast: true });
  let lost: Error | undefined;
  connection.on("error", (error: Error) => void (lost = error));
  const runs = runQueue(options, connection);
  // Its connection's errors end the wait below, as one QueueLostError (unheard, BullMQ prints each to the console).
  runs.on("error", () => {});
  const key = runEventsKey(options.prefix, threadId);
  try {
    let last = "0";
    for (;;) {
      if (follow.signal?.aborted) throw follow.signal.reason;
      const read = (await connection.xread("COUNT", 100, "BLOCK", 1000, "STREAMS", key, last)) as
        | [string, [string, string[]][]][]
        | null;
      for (const [id, fields] of read?.[0]?.[1] ?? []) {
        last = id;
        const entry = JSON.parse(fields[1]!) as RunEntry;
        follow.onEntry?.(entry);
        if (entry.kind === "event") follow.onEvent?.(entry.event, entry.executor);
        if (entry.kind === "finished") return { summary: entry.summary, goal: entry.goal };
        if (entry.kind === "failed") throw new QueuedRunFailedError(threadId, entry.error);
      }
      if (!read) await checkJob(runs, threadId);
    }
  } catch (error) {
    if (error instanceof OrchestratorError || error === follow.signal?.reason) throw error;
    throw new QueueLostError(redact(options.url), threadId, { cause: lost ?? error });
  } finally {
    await runs.close();
    connection.disconnect();
  }
}

/** Between reads: a job the queue itself failed (stalled too often) or that does not exist ends the wait. */
async function checkJob(runs: Queue<RunJobData>, threadId: string): Promise<void> {
  const job = await runs.getJob(threadId);
  if (!job)
    throw new QueuedRunFailedError(threadId, "the queue has no run on this thread (never submitted, or removed)");
  if ((await job.getState()) === "failed")
    throw new QueuedRunFailedError(threadId, job.failedReason || "the queue gave the job up");
}
