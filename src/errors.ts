/** Base class of every error this package raises on purpose. */
export class OrchestratorError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** A configuration value (CLI flag, config field, env var) is invalid. */
export class ConfigError extends OrchestratorError {}

/** A plan (from the planner, the caller or a human) fails validation. */
export class PlanValidationError extends OrchestratorError {
  constructor(
    readonly issues: readonly string[],
    source = "plan",
  ) {
    super(`Invalid ${source}:\n${issues.map((issue) => `  - ${issue}`).join("\n")}`);
  }
}

/** The worker registry is malformed (duplicate or badly named workers, missing descriptions). */
export class RegistryError extends OrchestratorError {}

/** A worker name that the registry does not know. */
export class UnknownWorkerError extends OrchestratorError {
  constructor(
    readonly worker: string,
    known: readonly string[],
  ) {
    super(`Unknown worker "${worker}". Known workers: ${known.join(", ")}`);
  }
}

/** No model endpoint is configured, but a model was needed. */
export class ModelNotConfiguredError extends OrchestratorError {
  constructor(role: string) {
    super(
      `No model is configured for the ${role} role. Set OPENAI_API_KEY (and optionally OPENAI_BASE_URL for any ` +
        `OpenAI-compatible server), set the model to "provider:model" (e.g. --planner-model anthropic:claude-sonnet-4-5 ` +
        `with its package installed and its key set), pass a model factory to createOrchestrator, or pass a plan (--plan).`,
    );
  }
}

/** A "provider:model" setting names a provider whose LangChain package is not installed. */
export class ModelPackageMissingError extends ConfigError {
  constructor(
    readonly model: string,
    readonly packageName: string,
  ) {
    super(
      `The model "${model}" needs the package ${packageName}, which is not installed. Install it with: npm install ${packageName}`,
    );
  }
}

/** An MCP server a worker takes tools from could not be started or reached, or went away during a call. */
export class McpServerError extends OrchestratorError {
  constructor(
    readonly servers: readonly string[],
    reason: string,
    options?: { cause?: unknown },
  ) {
    super(`MCP server ${servers.map((server) => `"${server}"`).join(", ")} ${reason}`, options);
  }
}

/** A re-drive asked for while a run is in progress on the thread. */
export class RunInProgressError extends ConfigError {
  constructor(threadId: string) {
    super(`A run is in progress on thread "${threadId}"; re-drive once it has stopped.`);
  }
}

/** The checkpointer spec is not one of memory, sqlite:PATH, postgres://… */
export class CheckpointerSpecError extends ConfigError {
  constructor(spec: string) {
    super(`Unknown checkpointer "${spec}". Use memory, sqlite:PATH or postgres://user@host/db`);
  }
}

/** A model call overran its configured time limit. */
export class ModelCallTimeoutError extends OrchestratorError {
  constructor(what: string, timeoutMs: number, options?: { cause?: unknown }) {
    super(`${what} timed out after ${timeoutMs} ms`, options);
  }
}

/** A run budget (deadline, tokens, model calls) is used up: no model call may start, work in flight is cancelled. */
export class RunBudgetReachedError extends OrchestratorError {
  constructor(readonly budget: string) {
    super(`run budget reached: ${budget}`);
  }
}

/** A run stopped on request after its current step; everything up to that step is checkpointed. */
export class RunStoppedError extends OrchestratorError {
  constructor(readonly threadId: string) {
    super(
      `The run on thread "${threadId}" stopped after its current step; its checkpoints are saved and it can be resumed.`,
    );
  }
}

/** A run cancelled through its AbortSignal: the steps in flight were abandoned; finished work is checkpointed and the thread resumes. */
export class RunCancelledError extends OrchestratorError {
  constructor(
    readonly threadId: string,
    options?: { cause?: unknown },
  ) {
    super(
      `The run on thread "${threadId}" was cancelled; the work it had finished is checkpointed and the thread can be resumed.`,
      options,
    );
  }
}

/** The input names nothing to do: no goal and no human message. */
export class MissingGoalError extends OrchestratorError {
  constructor() {
    super("The input has no goal and no human message: pass `goal` or `messages` ending in a human message.");
  }
}

/** A job queue URL that is not `redis://…` or `rediss://…`. */
export class QueueUrlError extends ConfigError {
  constructor(url: string) {
    const why = /^postgres(ql)?:/.test(url)
      ? " pg-boss (a queue on Postgres) needs Node 22.12 or later; this package supports Node 20, so runs queue on BullMQ and Redis."
      : "";
    super(`Unknown job queue URL ${JSON.stringify(url)}: use redis://host:port (or rediss:// for TLS).${why}`);
  }
}

/** A job queue URL naming a Redis database that is not a number, or that the server does not have. */
export class QueueDatabaseError extends ConfigError {
  constructor(url: string, database: string, reason: string) {
    super(
      `The job queue URL ${JSON.stringify(url)} names Redis database ${JSON.stringify(database)}, ${reason}: a Redis server has databases 0 to its \`databases\` setting minus 1 (0-15 by default).`,
    );
  }
}

/** The run queue holds as many waiting runs as it may: the submission is refused, nothing was queued. */
export class QueueFullError extends OrchestratorError {
  constructor(
    readonly waiting: number,
    readonly maxQueued: number,
  ) {
    super(
      `The run queue is full: ${waiting} runs are waiting (maxQueued ${maxQueued}). Start more executors, or submit again later.`,
    );
  }
}

/** A queued run that ended in an error on its executor (or was given up by the queue). */
export class QueuedRunFailedError extends OrchestratorError {
  constructor(
    readonly threadId: string,
    reason: string,
  ) {
    super(`The queued run on thread "${threadId}" failed: ${reason}`);
  }
}

/** A task worker's result that does not fit the result schema (another version, or a bug): it never enters state. */
export class MalformedTaskResultError extends OrchestratorError {
  constructor(taskId: string, problems: readonly string[]) {
    super(`The task worker's result for task "${taskId}" is malformed: ${problems.join("; ")}`);
  }
}

/** The job queue's Redis went away while a run was followed: the run itself is in its checkpointer. */
export class QueueLostError extends OrchestratorError {
  constructor(url: string, threadId: string, options?: { cause?: unknown }) {
    const cause = options?.cause as NodeJS.ErrnoException | undefined;
    super(
      `Lost the job queue at ${url} (${cause?.code ?? cause?.message ?? "connection closed"}) while following thread ${threadId}: once Redis is back, follow it again with --wait ${threadId}; a run whose job Redis lost is re-enqueued by npm run queue -- recover.`,
      options,
    );
  }
}

/** The job queue's Redis cannot be reached. */
export class QueueConnectionError extends OrchestratorError {
  constructor(url: string, options?: { cause?: unknown }) {
    const cause = options?.cause as NodeJS.ErrnoException | undefined;
    super(
      `Cannot reach the job queue at ${url} (${cause?.code ?? cause?.message ?? "no answer"}): is Redis running there?`,
      options,
    );
  }
}

/** Another invocation is running on the same thread. */
export class ThreadBusyError extends OrchestratorError {
  constructor(
    readonly threadId: string,
    where: string,
  ) {
    super(
      `Thread "${threadId}" is already running ${where}. Two runs on one thread would interleave their writes; ` +
        "wait for the other run to finish, or use another thread.",
    );
  }
}

/** A lock file that cannot be read or written, or that holds something other than a lock. */
export class LockFileError extends OrchestratorError {}

/** The database could not be reached or dropped the connection; the thread's checkpoints are intact. */
export class CheckpointerConnectionError extends OrchestratorError {}

/** A re-drive asked for a task that is not in the dead-letter queue. */
export class NotDeadLetteredError extends ConfigError {
  constructor(id: string, dead: readonly string[]) {
    super(`Task "${id}" is not in the dead-letter queue. Dead letters: ${dead.length ? dead.join(", ") : "none"}.`);
  }
}

/** What went wrong in a task's attempt; the kind decides whether the attempt is retried. */
export const ERROR_KINDS = [
  "timeout",
  "rate_limit",
  "server",
  "network",
  "client",
  "auth",
  "schema",
  "empty",
  "underspecified",
  "check",
  "refusal",
  "not_configured",
  "mcp",
  "worker",
  "aborted",
  "budget",
  "hung",
] as const;
export type ErrorKind = (typeof ERROR_KINDS)[number];

/** A failed attempt with a known kind: empty output, a failed contract or check, a timeout. */
export class AttemptFailure extends OrchestratorError {
  constructor(
    readonly kind: ErrorKind,
    message: string,
    readonly retryable = true,
    readonly retryAfterMs?: number,
  ) {
    super(message);
  }
}

/** A handoff (a task-queue job, an A2A message) of a contract version this build does not speak. */
export class HandoffVersionError extends OrchestratorError {
  constructor(
    readonly version: unknown,
    readonly spoken: readonly string[],
  ) {
    super(
      `Handoff contract version ${version === undefined ? "(none)" : JSON.stringify(version)} is not spoken here ` +
        `(this build speaks ${spoken.join(", ")}): run orchestrators and task workers of the same contract version.`,
    );
  }
}
