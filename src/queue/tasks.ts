import { createHash } from "node:crypto";
import { Queue, QueueEvents, UnrecoverableError, Worker } from "bullmq";
import type { BaseStore } from "@langchain/langgraph";
import { prepareModels, type TaskRunner } from "../deps.js";
import { HANDOFF_VERSION, SPOKEN_HANDOFF_VERSIONS } from "../worker-contract.js";
import { isOrchestratorEvent, type EventInit } from "../events.js";
import type { ModelProvider } from "../models.js";
import { HandoffVersionError, MalformedTaskResultError } from "../errors.js";
import { type TaskResult, TaskResultSchema, type WorkerInput } from "../schemas.js";
import type { Settings } from "../settings.js";
import { abortable } from "../workers/abortable.js";
import { runTaskHere, taskMemory } from "../workers/run-task.js";
import type { BudgetShare } from "../budget/budgets.js";
import type { WorkerCatalog } from "../worker-contract.js";
import { SharedMeter } from "./budget.js";
import {
  connect,
  DELIVER_ONCE,
  lease,
  processName,
  QUEUES,
  resolveQueueOptions,
  type QueueOptions,
} from "./connection.js";

/** What a task job carries. */
export interface TaskJobData {
  /** The handoff contract version the job speaks: a task worker refuses one it does not. */
  contractVersion: string;
  threadId: string;
  input: WorkerInput;
  settings: Settings;
  /** Under a run budget: the wave's share, metered in Redis with the wave's other tasks. */
  budget?: BudgetShare;
}

/**
 * The job id of one dispatch of one task of one run: the same when a resumed run dispatches it again, different
 * for another run on the thread (its run id and fence seed differ) and for a retry dispatch.
 */
export function taskJobId(threadId: string, input: WorkerInput): string {
  const digest = createHash("sha256")
    .update(JSON.stringify([threadId, input.runId ?? "", input.fenceSeed ?? "", input.task.id, input.dispatch]))
    .digest("hex")
    .slice(0, 24);
  return `${input.task.id}.${input.dispatch}.${digest}`;
}

/** The orchestrator's side of the task queue: a task runner for `createOrchestrator`, and its connections. */
export interface TaskQueue {
  runner: TaskRunner;
  close(): Promise<void>;
}

/**
 * Connects to the task queue: each task becomes a job (id: thread, run, task, dispatch) and its result is awaited,
 * the workers' events relayed to the run. A job that exists already — a resumed run dispatching again — is not added
 * twice: its result, finished or to come, is the task's.
 */
export async function createTaskQueue(queue: QueueOptions): Promise<TaskQueue> {
  const options = resolveQueueOptions(queue);
  const connection = await connect(options.url);
  const tasks = new Queue<TaskJobData, TaskResult>(QUEUES.tasks, { connection, prefix: options.prefix });
  const eventsConnection = await connect(options.url);
  const events = new QueueEvents(QUEUES.tasks, { connection: eventsConnection, prefix: options.prefix });
  events.setMaxListeners(0);
  await events.waitUntilReady();
  const runner: TaskRunner = async (input, context) => {
    const jobId = taskJobId(context.threadId, input);
    const relay = ({ jobId: id, data }: { jobId: string; data: unknown }) => {
      if (id === jobId && isOrchestratorEvent(data)) context.emit(data as EventInit);
    };
    events.on("progress", relay);
    try {
      const job = await tasks.add(
        "task",
        {
          contractVersion: HANDOFF_VERSION,
          threadId: context.threadId,
          input,
          settings: context.settings,
          ...(context.budget ? { budget: context.budget } : {}),
        },
        {
          jobId,
          ...DELIVER_ONCE,
        },
      );
      // On abort the job itself goes on: a resumed run picks its result up.
      return checkedResult(input, await abortable(job.waitUntilFinished(events), context.signal));
    } finally {
      events.off("progress", relay);
    }
  };
  return {
    runner,
    close: async () => {
      await events.close();
      await tasks.close();
      eventsConnection.disconnect();
      connection.disconnect();
    },
  };
}

/**
 * A task worker's result as state may take it: it fits the result schema and answers this task. Throws
 * `MalformedTaskResultError` naming every problem otherwise (the run records it as the task's failure).
 */
function checkedResult(input: WorkerInput, raw: unknown): TaskResult {
  const parsed = TaskResultSchema.safeParse(raw);
  if (!parsed.success)
    throw new MalformedTaskResultError(
      input.task.id,
      parsed.error.issues.map((issue) => `${issue.path.join(".") || "(the result)"}: ${issue.message}`),
    );
  if (parsed.data.taskId !== input.task.id)
    throw new MalformedTaskResultError(input.task.id, [
      `taskId: ${JSON.stringify(parsed.data.taskId)} answers another task`,
    ]);
  return parsed.data;
}

/** A task worker's options: the queue, the registry's workers and models, the shared store, and how many tasks at once. */
export interface TaskWorkerOptions {
  queue: QueueOptions;
  registry: WorkerCatalog;
  models: ModelProvider;
  /** The store the orchestrators share (their checkpointer's): each task's run memory lives there. Without it, tasks get no memory. */
  store?: BaseStore;
  /** Tasks at once (default 4). */
  concurrency?: number;
  /** Names this worker in the queue (default: host-pid). */
  name?: string;
  /** A dead worker's tasks go to another after about this long (default 30 s). */
  lockMs?: number;
  /** Times a task may be re-delivered after its worker died before the queue fails it (default 5). */
  maxStalls?: number;
}

/** A process serving the task queue. */
export interface TaskWorker {
  readonly name: string;
  /** Stops taking tasks and waits for those in flight. */
  close(): Promise<void>;
}

/**
 * Starts a task worker: it runs queued tasks with the registry's workers under the run's settings (time limits and
 * the retry ladder included) and returns each result record; lifecycle events go back to the run as job progress.
 */
export async function createTaskWorker(options: TaskWorkerOptions): Promise<TaskWorker> {
  const queue = resolveQueueOptions(options.queue);
  const name = options.name ?? processName();
  const connection = await connect(queue.url);
  // The budget ledgers' own connection: the worker's blocks while it waits for jobs.
  const ledgers = await connect(queue.url);
  const worker = new Worker<TaskJobData, TaskResult>(
    QUEUES.tasks,
    (job, _token, signal) => {
      const { contractVersion } = job.data;
      if (!SPOKEN_HANDOFF_VERSIONS.includes(contractVersion)) {
        throw new UnrecoverableError(new HandoffVersionError(contractVersion, SPOKEN_HANDOFF_VERSIONS).message);
      }
      const emit = (event: EventInit) => void job.updateProgress(event).catch(() => {});
      const { input, settings, budget } = job.data;
      const meter = budget ? new SharedMeter(ledgers, queue.prefix, budget) : undefined;
      const execute = { provider: options.models, settings, emit, signal, meter };
      return runTaskHere(
        input,
        options.registry,
        { ...execute, ...taskMemory(options.store, input, settings) },
        prepareModels(options, settings),
      );
    },
    {
      connection,
      prefix: queue.prefix,
      name,
      concurrency: options.concurrency ?? 4,
      ...lease(options.lockMs, options.maxStalls),
    },
  );
  await worker.waitUntilReady();
  return {
    name,
    close: async () => {
      await worker.close();
      connection.disconnect();
      // After the budget ledgers' last writes (a task's tokens), which nothing awaits.
      await ledgers.quit().catch(() => ledgers.disconnect());
    },
  };
}
