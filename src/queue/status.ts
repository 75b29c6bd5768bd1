import { Queue } from "bullmq";
import { redact } from "../persistence/checkpointer.js";
import { connect, executorCountsKey, QUEUES, resolveQueueOptions, type QueueOptions } from "./connection.js";
import { runQueue } from "./runs.js";

/** One executor as the queue sees it. */
export interface ExecutorStatus {
  name: string;
  /** Connected to the queue now. */
  online: boolean;
  running: number;
  completed: number;
  failed: number;
  /** Runs it handed back while draining. */
  released: number;
}

/** The run queue at a glance: `npm run queue -- status`. */
export interface QueueStatus {
  prefix: string;
  /** Runs waiting for an executor (delayed ones included: a busy thread waits its turn). */
  waiting: number;
  running: number;
  failed: number;
  completed: number;
  executors: ExecutorStatus[];
}

/** Reads the queue's depth, its running and failed runs, and the counts per executor. */
export async function queueStatus(queue: QueueOptions): Promise<QueueStatus> {
  const options = resolveQueueOptions(queue);
  const connection = await connect(options.url);
  const runs = runQueue(options, connection);
  try {
    const [counts, active, workers, totals] = await Promise.all([
      runs.getJobCounts("waiting", "delayed", "prioritized", "active", "failed", "completed"),
      runs.getActive(),
      runs.getWorkers(),
      connection.hgetall(executorCountsKey(options.prefix)),
    ]);
    const executors = new Map<string, ExecutorStatus>();
    const of = (name: string) =>
      executors.get(name) ??
      executors.set(name, { name, online: false, running: 0, completed: 0, failed: 0, released: 0 }).get(name)!;
    // A worker's connections are named `<queue client>:w:<worker name>`.
    for (const worker of workers) {
      const name = /:w:(.+)$/.exec(worker.rawname ?? "")?.[1];
      if (name) of(name).online = true;
    }
    for (const job of active) if (job.processedBy) of(job.processedBy).running++;
    for (const [field, value] of Object.entries(totals)) {
      const [name, what] = field.split("\u0000") as [string, "completed" | "failed" | "released"];
      of(name)[what] = Number(value);
    }
    return {
      prefix: options.prefix,
      waiting: (counts.waiting ?? 0) + (counts.delayed ?? 0) + (counts.prioritized ?? 0),
      running: counts.active ?? 0,
      failed: counts.failed ?? 0,
      completed: counts.completed ?? 0,
      executors: [...executors.values()].sort((a, b) => a.name.localeCompare(b.name)),
    };
  } finally {
    await runs.close();
    connection.disconnect();
  }
}

/** A line saying that no task worker serves the task queue at `url` yet (its tasks wait for one); else "". */
export async function noTaskWorkerWarning(url: string): Promise<string> {
  if ((await taskWorkersOnline({ url })) > 0) return "";
  return `No task worker is connected to ${redact(url)} yet: its tasks wait until one starts (npm run task-worker -- --queue <url>).\n`;
}

/** How many task workers (`npm run task-worker`, `createTaskWorker`) are connected to the task queue now. */
export async function taskWorkersOnline(queue: QueueOptions): Promise<number> {
  const options = resolveQueueOptions(queue);
  const connection = await connect(options.url);
  const tasks = new Queue(QUEUES.tasks, { connection, prefix: options.prefix });
  try {
    return await tasks.getWorkersCount();
  } finally {
    await tasks.close();
    connection.disconnect();
  }
}
