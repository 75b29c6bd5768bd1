import { hostname } from "node:os";
import { Redis } from "ioredis";
import { z } from "zod";
import { ConfigError, QueueConnectionError, QueueDatabaseError, QueueUrlError } from "../errors.js";
import { redact } from "../persistence/checkpointer.js";

/** Where the queue lives and how it is bounded: one schema for submitters, executors and the status command. */
export const QueueOptionsSchema = z.object({
  url: z.string().describe("The Redis server of the queue: redis://host:port[/db][?prefix=name] (rediss:// for TLS)."),
  prefix: z
    .string()
    .regex(/^[\w.-]+$/, "letters, digits, '_', '.' or '-'")
    .default("orchestrator")
    .describe("Prefix of every Redis key of the queue: queues with different prefixes never see each other's jobs."),
  maxQueued: z
    .number()
    .int()
    .positive()
    .default(1000)
    .describe("Most runs waiting for an executor; a submission beyond it fails with QueueFullError."),
});
export type QueueOptions = z.input<typeof QueueOptionsSchema>;
export type ResolvedQueueOptions = z.infer<typeof QueueOptionsSchema>;

/** Validates queue options, naming a bad URL or value; a `?prefix=` in the URL sets the prefix (as `?schema=` does for Postgres). */
export function resolveQueueOptions(options: QueueOptions): ResolvedQueueOptions {
  let url: URL;
  try {
    url = new URL(options.url);
  } catch {
    throw new QueueUrlError(redact(options.url));
  }
  if (url.protocol !== "redis:" && url.protocol !== "rediss:") throw new QueueUrlError(redact(options.url));
  const database = url.pathname.slice(1);
  if (database !== "" && !/^\d{1,9}$/.test(database))
    throw new QueueDatabaseError(redact(options.url), decodeURIComponent(database), "which is not a whole number");
  const prefix = options.prefix ?? url.searchParams.get("prefix") ?? undefined;
  url.searchParams.delete("prefix");
  const parsed = QueueOptionsSchema.safeParse({ ...options, url: url.href, prefix });
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const key = issue.path.join(".");
    throw new ConfigError(
      `Invalid queue option ${key}: ${JSON.stringify({ ...options, prefix }[key as keyof QueueOptions])} (${issue.message})`,
    );
  }
  return parsed.data;
}

/**
 * Connects to the queue's Redis, failing at once with `QueueConnectionError` when it cannot be reached; once connected,
 * commands wait out an outage (BullMQ's workers need that) and connection errors surface through them. With
 * `failFast` (a follower, not a worker) a command fails after a few reconnection attempts instead.
 */
export async function connect(url: string, { failFast = false } = {}): Promise<Redis> {
  const connection = new Redis(url, { maxRetriesPerRequest: failFast ? 3 : null, lazyConnect: true });
  let refused: Error | undefined;
  connection.on("error", (error: Error) => void (refused ??= error));
  try {
    await connection.connect();
  } catch (error) {
    connection.disconnect();
    throw new QueueConnectionError(redact(url), { cause: refused ?? error });
  }
  // ioredis only reports a failed SELECT as an "error" event, then goes on in database 0: ask again, and refuse.
  const { db } = connection.options;
  if (db) {
    await connection.select(db).catch((error: Error) => {
      connection.disconnect();
      throw new QueueDatabaseError(redact(url), String(db), `which the server refuses (${error.message})`);
    });
  }
  return connection;
}

/** How long finished jobs (runs and tasks) and a run's events are kept: for `--wait`, `status` and resumed runs. */
export const KEEP_SECONDS = 7 * 24 * 3600;

/**
 * How runs and tasks are queued: retries and dead letters are the orchestrator's, so the queue delivers a job once,
 * and again only when the process running it died; finished jobs are kept for `KEEP_SECONDS`.
 */
export const DELIVER_ONCE = {
  attempts: 1,
  removeOnComplete: { age: KEEP_SECONDS },
  removeOnFail: { age: KEEP_SECONDS },
} as const;

/** A worker's lease on its jobs: a process that stops renewing it for about `lockMs` is taken for dead, its jobs re-delivered up to `maxStalls` times. */
export const lease = (lockMs = 30_000, maxStalls = 5) => ({
  lockDuration: lockMs,
  stalledInterval: lockMs,
  maxStalledCount: maxStalls,
});

/** The default name of an executor or task worker in the queue: its host and process. */
export const processName = (): string => `${hostname()}-${process.pid}`;

/** Names of the queues and keys under one prefix. */
export const QUEUES = { runs: "runs", tasks: "tasks" } as const;

/** The Redis stream that carries a queued run's events and outcome. */
export const runEventsKey = (prefix: string, threadId: string): string => `${prefix}:run-events:${threadId}`;

/** The Redis hash of per-executor counts (completed, failed, released runs). */
export const executorCountsKey = (prefix: string): string => `${prefix}:executor-counts`;
