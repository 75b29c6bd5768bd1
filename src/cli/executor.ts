import {
  type CheckpointerHandle,
  ConfigError,
  type OrchestratorEvent,
  openAIProvider,
  openCheckpointer,
} from "../index.js";
import { connectionError, redact } from "../persistence/checkpointer.js";
import { usageErrorText } from "./args.js";
import { readEnvironment } from "../env.js";
import { EXIT, exitCodeHelp } from "./exit-codes.js";
import { isEntryPoint, processIO } from "./io.js";
import { createExecutor, type RunReport } from "../queue/index.js";
import { RunLog, runLogPath } from "./run-log.js";
import type { CliIO } from "./io.js";
import { noTaskWorkerWarning } from "../queue/status.js";
import { durabilityWarning } from "../queue/durability.js";
import { parseServiceFlags, serveUntilSignal, SERVICE_USAGE, serviceIO, type ServiceFlags } from "./service.js";

const USAGE = [
  "Usage: npm run executor -- --queue redis://host:6379 --checkpointer postgres://… [options]",
  "",
  'Runs queued runs (npm start -- --queue … --detach "goal") until SIGTERM or SIGINT: then each run in flight',
  "finishes its current step, is checkpointed and goes back to the queue for another executor (a second signal exits).",
  "",
  "Options:",
  "  --checkpointer <spec>  The checkpointer every executor shares: postgres://… (default: $ORCHESTRATOR_CHECKPOINTER, $POSTGRES_URL).",
  "  --task-queue <url>     Run each task on this queue's task workers (npm run task-worker) instead of here.",
  "  --concurrency <n>      Runs at once (default 1).",
  ...SERVICE_USAGE,
  "Models: OPENAI_API_KEY and OPENAI_BASE_URL, as for the CLI.",
  "",
  exitCodeHelp(["done", "failed", "usage", "stopped"]),
].join("\n");

/** Runs an executor until a signal drains it; returns the exit code. */
export async function executorMain(argv: readonly string[], io: CliIO = serviceIO(processIO())): Promise<number> {
  const env = readEnvironment(io.env);
  let flags: ServiceFlags;
  let handle: CheckpointerHandle;
  try {
    const parsed = parseServiceFlags(argv, env, ["task-queue"]);
    if (parsed === "help") {
      io.stdout(`${USAGE}\n`);
      return EXIT.done;
    }
    flags = parsed;
    if (!flags.checkpointer)
      throw new ConfigError(
        'An executor needs a checkpointer every executor shares: pass --checkpointer postgres://… (got "none").',
      );
    // Each run in flight holds a connection (its thread's lock) for the run: one more serves their checkpoints.
    handle = await openCheckpointer(flags.checkpointer, { poolSize: (flags.concurrency ?? 1) + 1 });
  } catch (error) {
    io.stderr(usageErrorText(error));
    return EXIT.usage;
  }
  const logs = runLogs(io, handle);
  try {
    const taskQueue = flags.extra["task-queue"];
    const executor = await createExecutor({
      queue: { url: flags.url },
      ...(taskQueue ? { taskQueue: { url: taskQueue } } : {}),
      checkpointer: handle.saver,
      store: handle.store,
      lock: handle.lock,
      workers: flags.registry,
      models: io.models ?? openAIProvider(env),
      concurrency: flags.concurrency,
      lockMs: flags.lockMs,
      name: flags.name,
      onEvent: logs.onEvent,
      onRun: logs.onRun,
    });
    const tasks = taskQueue ? `; tasks go to ${redact(taskQueue)}` : "";
    io.stderr(
      `Executor ${executor.name} is taking runs from ${redact(flags.url)} (concurrency ${flags.concurrency ?? 1}${tasks}).\n`,
    );
    io.stderr(await durabilityWarning(flags.url));
    if (taskQueue) io.stderr(await noTaskWorkerWarning(taskQueue));
    return await serveUntilSignal(
      io,
      executor,
      "Draining: runs in flight finish their current step and go back to the queue…",
    );
  } catch (error) {
    io.stderr(`Executor failed: ${(connectionError(error) as Error).message}\n`);
    return EXIT.failed;
  } finally {
    logs.close();
    await handle.close();
  }
}

/** The executor's run logs: each run's names the executor on every line, and closes with the run here. */
function runLogs(io: CliIO, handle: CheckpointerHandle) {
  const logs = new Map<string, RunLog>();
  const onRun = (report: RunReport) => {
    const status = report.what === "finished" ? ` (${report.summary.status})` : "";
    io.stderr(`${report.what.padEnd(9)} ${report.threadId}${status}\n`);
    if (report.what === "started" || report.what === "resumed") {
      const context = {
        threadId: report.threadId,
        command: report.what === "started" ? "run" : "resume",
        goal: report.goal,
        checkpointer: handle.kind,
        executor: report.executor,
      } as const;
      logs.set(report.threadId, RunLog.open(runLogPath(handle, report.threadId, io.cwd), context));
      return;
    }
    const log = logs.get(report.threadId);
    if (report.what === "finished") log?.finish(report.summary, report.goal);
    if (report.what === "failed") log?.fail(report.error);
    log?.close();
    logs.delete(report.threadId);
  };
  return {
    onRun,
    onEvent: (event: OrchestratorEvent, threadId: string) => logs.get(threadId)?.event(event),
    close: () => {
      for (const log of logs.values()) log.close();
    },
  };
}

if (isEntryPoint(import.meta.url)) {
  process.exitCode = await executorMain(process.argv.slice(2));
}
