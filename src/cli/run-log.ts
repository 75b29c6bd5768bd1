import { dirname, join, resolve } from "node:path";
import pino, { type Level, type Logger } from "pino";
import type { OrchestratorEvent } from "../events.js";
import { fit, formatEvent } from "./event-lines.js";
import { countStatuses, type RunSummary, type TaskSummary } from "../app/run.js";

/** How much of a task's output a result line keeps. */
export const OUTPUT_PREVIEW_CHARS = 200;

/**
 * Where a thread's run log goes: `runs/<threadId>.log` next to the SQLite checkpoint file, or under
 * `<cwd>/.orchestrator/runs/` when the checkpointer has no file (memory, Postgres).
 */
export function runLogPath(checkpoint: { path?: string }, threadId: string, cwd: string = process.cwd()): string {
  const dir = checkpoint.path ? join(dirname(resolve(checkpoint.path)), "runs") : resolve(cwd, ".orchestrator", "runs");
  return join(dir, `${threadId.replace(/[^\w.-]/g, "_")}.log`);
}

/** What a run log's first line records. */
export interface RunLogContext {
  threadId: string;
  command: "run" | "resume" | "redrive";
  goal?: string;
  checkpointer: string;
  /** The queue executor running it: then every line of this run names it. */
  executor?: string;
}

const LEVELS: Partial<Record<OrchestratorEvent["type"], Level>> = {
  "task.retrying": "warn",
  "task.failed": "warn",
  "task.skipped": "warn",
  "task.dead": "error",
};
const RESULT_LEVELS: Record<TaskSummary["status"], Level> = {
  done: "info",
  pending: "warn",
  running: "warn",
  skipped: "warn",
  dead: "error",
};

/**
 * The structured log of one thread's runs (pino, JSON lines, appended): a line when a run starts, one per
 * lifecycle event with its timing, one result line per task when it ends, and the run's outcome. Writes are
 * synchronous, so the file is complete as soon as a call returns.
 */
export class RunLog {
  private readonly started = Date.now();
  private closed = false;

  private constructor(
    readonly path: string,
    private readonly logger: Logger,
    private readonly destination: ReturnType<typeof pino.destination>,
  ) {}

  /** Opens (creating its directory) the log file and records the start of a run; throws if it cannot be written. */
  static open(path: string, context: RunLogContext): RunLog {
    const destination = pino.destination({ dest: path, sync: true, mkdir: true, append: true });
    const logger = pino(
      {
        base: { threadId: context.threadId, ...(context.executor ? { executor: context.executor } : {}) },
        timestamp: pino.stdTimeFunctions.isoTime,
      },
      destination,
    );
    const log = new RunLog(path, logger, destination);
    logger.info(
      {
        event: "run.started",
        command: context.command,
        checkpointer: context.checkpointer,
        ...(context.goal ? { goal: context.goal } : {}),
      },
      `${context.command} started`,
    );
    return log;
  }

  /** Logs one lifecycle event, with the ms since the run started. */
  event(event: OrchestratorEvent): void {
    if (this.closed) return;
    const { type, ...fields } = event;
    this.logger[LEVELS[type] ?? "info"](
      { event: type, ...fields, elapsedMs: Date.now() - this.started },
      formatEvent(event),
    );
  }

  /** Logs one result line per task (status, attempts, timing, tokens, the start of its output), then the outcome. */
  finish(summary: RunSummary, goal?: string): void {
    if (this.closed) return;
    const rows = summary.tasks;
    for (const row of rows) {
      this.logger[RESULT_LEVELS[row.status]](
        {
          event: "task.result",
          taskId: row.id,
          worker: row.worker,
          title: row.title,
          status: row.status,
          origin: row.origin,
          attempts: row.attempts,
          durationMs: row.durationMs,
          ...(row.startedAt ? { startedAt: row.startedAt } : {}),
          tokens: row.tokens,
          output: fit(row.output.replace(/\s+/g, " ").trim(), OUTPUT_PREVIEW_CHARS),
          ...(row.reason ? { reason: row.reason } : {}),
        },
        `${row.id}: ${row.status}`,
      );
    }
    const count = countStatuses(rows);
    this.logger.info(
      {
        event: "run.finished",
        status: summary.status,
        ...(summary.stopReason ? { stopReason: summary.stopReason } : {}),
        ...(goal ? { goal } : {}),
        tasks: rows.length,
        done: count.done,
        dead: count.dead,
        skipped: count.skipped,
        deadLetters: summary.deadLetters.map((letter) => letter.taskId),
        usage: summary.usage,
        answerChars: summary.answer.length,
        elapsedMs: Date.now() - this.started,
      },
      `run ${summary.status}`,
    );
  }

  /** Logs a run that ended with an error. */
  fail(error: unknown): void {
    if (this.closed) return;
    const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    this.logger.error({ event: "run.failed", error: message, elapsedMs: Date.now() - this.started }, "run failed");
  }

  /** Flushes and closes the file. Idempotent. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.destination.flushSync();
    this.destination.end();
  }
}
