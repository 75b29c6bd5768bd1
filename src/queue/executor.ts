import { DelayedError, type Job, WaitingError, Worker } from "bullmq";
import type { Redis } from "ioredis";
import type { BaseCheckpointSaver } from "@langchain/langgraph";
import type { RunSummary } from "../app/run.js";
import { CheckpointerConnectionError, RunStoppedError, ThreadBusyError } from "../errors.js";
import type { OrchestratorEvent } from "../events.js";
import { createOrchestrator, type Orchestrator, type OrchestratorOptions } from "../index.js";
import { connectionError } from "../persistence/checkpointer.js";
import {
  connect,
  executorCountsKey,
  lease,
  processName,
  QUEUES,
  resolveQueueOptions,
  type QueueOptions,
} from "./connection.js";
import { publish, type RunEntry, type RunJobData } from "./runs.js";
import { createTaskQueue } from "./tasks.js";

/** An executor's options: the queue, the shared checkpointer, and how many runs it takes at once. */
export interface ExecutorOptions extends Omit<OrchestratorOptions, "checkpointer" | "onEvent"> {
  queue: QueueOptions;
  /** Shared by every executor: `postgres://…` (a file or memory checkpointer only suits one machine). */
  checkpointer: BaseCheckpointSaver | string;
  /** Runs each task on this task queue's workers (`createTaskWorker`) instead of in the executor. */
  taskQueue?: QueueOptions;
  /** Runs at once (default 1). */
  concurrency?: number;
  /** Names this executor in the queue status and in every event it publishes (default: host-pid). */
  name?: string;
  /** How long a job stays ours without a lock renewal: a dead executor's runs are re-delivered after about this long (default 30 s). */
  lockMs?: number;
  /** Times a run may be re-delivered after its executor died before the queue fails it (default 5). */
  maxStalls?: number;
  /** How long a run whose thread is busy elsewhere waits before it is tried again (default 1 s; five times that while the database is unreachable). */
  busyRetryMs?: number;
  /** Each lifecycle event of each run this executor runs. */
  onEvent?: (event: OrchestratorEvent, threadId: string) => void;
  /** A run this executor starts or resumes, finishes, fails or releases to the queue. */
  onRun?: (report: RunReport) => void;
}

/** What happened to one run on this executor. */
export type RunReport = { threadId: string; goal: string; executor: string } & (
  | { what: "started" | "resumed" | "released" }
  | { what: "finished"; summary: RunSummary }
  | { what: "failed"; error: unknown }
);

/** A process's share of the queued runs. */
export interface Executor {
  readonly name: string;
  /**
   * Stops taking runs; each run in flight finishes its current step, is checkpointed and goes back to the queue for
   * another executor. Resolves once every run is handed back and the connections are closed.
   */
  close(): Promise<void>;
}

/**
 * Starts an executor: it takes queued runs (`submitRun`) one job per thread, runs each with the orchestrator on the
 * shared checkpointer, and publishes its events and outcome for `followRun`. A run whose job was delivered before
 * (its executor died) resumes from its last checkpoint: finished tasks do not run again.
 */
export async function createExecutor(options: ExecutorOptions): Promise<Executor> {
  const {
    queue: queueOptions,
    taskQueue,
    concurrency = 1,
    lockMs,
    maxStalls,
    busyRetryMs = 1000,
    name = processName(),
    onEvent,
    onRun,
    ...orchestratorOptions
  } = options;
  const queue = resolveQueueOptions(queueOptions);
  const connection = await connect(queue.url);
  const workerConnection = await connect(queue.url);
  const tasks = taskQueue ? await createTaskQueue(taskQueue) : undefined;
  const orchestrator = await createOrchestrator({
    ...orchestratorOptions,
    // A Postgres spec: each run in flight holds a connection (its thread's lock); one more serves the checkpoints.
    checkpointerOptions: { poolSize: concurrency + 1, ...orchestratorOptions.checkpointerOptions },
    taskRunner: tasks?.runner ?? orchestratorOptions.taskRunner,
  });
  const drain = new AbortController();
  const processor = jobProcessor({
    orchestrator,
    connection,
    prefix: queue.prefix,
    name,
    drain,
    busyRetryMs,
    onEvent,
    onRun,
  });

  const worker = new Worker<RunJobData, RunSummary>(QUEUES.runs, processor, {
    connection: workerConnection,
    prefix: queue.prefix,
    name,
    concurrency,
    ...lease(lockMs, maxStalls),
  });
  await worker.waitUntilReady();
  let closing: Promise<void> | undefined;
  return {
    name,
    close: () =>
      (closing ??= (async () => {
        drain.abort();
        await worker.close();
        await orchestrator.close();
        await tasks?.close();
        connection.disconnect();
        workerConnection.disconnect();
      })()),
  };
}

/** What an executor's job processor works with. */
interface ProcessorContext extends Pick<ExecutorOptions, "onEvent" | "onRun"> {
  orchestrator: Orchestrator;
  connection: Redis;
  prefix: string;
  name: string;
  drain: AbortController;
  busyRetryMs: number;
}

/**
 * Runs one queued run's job: the orchestrator decides, holding the thread, whether it starts, continues or is only
 * summarised; its events and outcome are published for `followRun`. A busy thread or an unreachable database delays
 * the job; a drain puts it back for another executor.
 */
function jobProcessor(context: ProcessorContext) {
  const { orchestrator, connection, prefix, name, drain, busyRetryMs, onEvent, onRun } = context;
  const count = (what: string) => connection.hincrby(executorCountsKey(prefix), `${name}\u0000${what}`, 1);
  return async (job: Job<RunJobData>, token?: string, signal?: AbortSignal): Promise<RunSummary> => {
    const threadId = job.id!;
    const report = (what: DistributiveOmit<RunReport, "threadId" | "goal" | "executor">) =>
      onRun?.({ threadId, goal: job.data.goal, executor: name, ...what } as RunReport);
    const entry = (value: DistributiveOmit<RunEntry, "executor">) =>
      publish(connection, prefix, threadId, { executor: name, ...value } as RunEntry);
    try {
      // The orchestrator decides, holding the thread, whether the run starts, continues (the job was delivered
      // before) or is only summarised (it finished): a job delivered twice runs once.
      const { goal, runId, plan, fallbackPlan, settings } = job.data;
      const summary = await orchestrator.run(goal, {
        threadId,
        runId,
        plan,
        fallbackPlan,
        settings,
        signal,
        drain: drain.signal,
        onEvent: (event) => {
          onEvent?.(event, threadId);
          // Events are best effort (the outcome is awaited): a lost one never fails the run.
          entry({ kind: "event", event }).catch(() => {});
        },
        onStart: async (resumed) => {
          report({ what: resumed ? "resumed" : "started" });
          await entry({ kind: "started", resumed });
        },
      });
      await entry({ kind: "finished", summary, goal: job.data.goal });
      await count("completed");
      report({ what: "finished", summary });
      return summary;
    } catch (caught) {
      const error = connectionError(caught);
      if (error instanceof ThreadBusyError || error instanceof CheckpointerConnectionError) {
        // Another executor (or a stalled one still alive) holds the thread, or the database is away: the run is
        // intact, so it waits and is tried again, not failed.
        const unreachable = error instanceof CheckpointerConnectionError;
        if (unreachable) await entry({ kind: "released", reason: error.message });
        await job.moveToDelayed(Date.now() + busyRetryMs * (unreachable ? 5 : 1), token);
        throw new DelayedError();
      }
      const released = error instanceof RunStoppedError;
      await entry(
        released ? { kind: "released", reason: "executor draining" } : { kind: "failed", error: describe(error) },
      );
      await count(released ? "released" : "failed");
      report(released ? { what: "released" } : { what: "failed", error });
      if (!released) throw error;
      // Drained: the step is checkpointed; the job goes back for another executor.
      await job.moveToWait(token);
      throw new WaitingError();
    }
  };
}

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

const describe = (error: unknown): string =>
  error instanceof Error ? `${error.name}: ${error.message}` : String(error);
