import { connectionError, openCheckpointer, redact, type CheckpointerHandle } from "../persistence/checkpointer.js";
import { parseFlags, usageErrorText } from "./args.js";
import { readEnvironment } from "../env.js";
import { ConfigError } from "../errors.js";
import { EXAMPLES } from "../examples/index.js";
import { isEntryPoint, processIO } from "./io.js";
import { openAIProvider } from "../models.js";
import { createExecutor, type RunReport } from "../queue/executor.js";
import { defaultRegistry } from "../workers/defaults.js";
import { RunLog, runLogPath } from "./run-log.js";
import type { CliIO } from "./main.js";
import { positiveInt, serveUntilSignal, serviceIO } from "./service.js";

const USAGE = [
  "Usage: npm run executor -- --queue redis://host:6379 --checkpointer postgres://… [options]",
  "",
  'Runs queued runs (npm start -- --queue … --detach "goal") until SIGTERM or SIGINT: then each run in flight',
  "finishes its current step, is checkpointed and goes back to the queue for another executor (a second signal exits).",
  "",
  "Options:",
  "  --queue <url>          The job queue (default: $ORCHESTRATOR_QUEUE); ?prefix=name keeps queues apart on one Redis.",
  "  --checkpointer <spec>  The checkpointer every executor shares: postgres://… (default: $ORCHESTRATOR_CHECKPOINTER, $POSTGRES_URL).",
  "  --task-queue <url>     Run each task on this queue's task workers (npm run task-worker) instead of here.",
  "  --concurrency <n>      Runs at once (default 1).",
  "  --name <name>          This executor's name in the queue status and run logs (default: host-pid).",
  "  --lock-ms <ms>         A dead executor's runs are handed to another after about this long (default 30000).",
  `  --example <name>       Run the workers of a bundled example: ${Object.keys(EXAMPLES).join(", ")}.`,
  "  -h, --help             Show this help.",
].join("\n");

/** Runs an executor until a signal drains it; returns the exit code. */
export async function executorMain(argv: readonly string[], io: CliIO = serviceIO(processIO())): Promise<number> {
  const env = readEnvironment(io.env);
  let handle: CheckpointerHandle;
  let settings: { url: string; taskQueue?: string; concurrency?: number; lockMs?: number; name?: string; example?: string };
  try {
    const { values } = parseFlags({
      args: [...argv],
      options: {
        queue: { type: "string" },
        checkpointer: { type: "string" },
        "task-queue": { type: "string" },
        concurrency: { type: "string" },
        name: { type: "string" },
        "lock-ms": { type: "string" },
        example: { type: "string" },
        help: { type: "boolean", short: "h", default: false },
      },
      strict: true,
    });
    if (values.help) {
      io.stdout(`${USAGE}\n`);
      return 0;
    }
    const url = values.queue ?? env.queueUrl;
    if (!url) throw new ConfigError("No job queue given: pass --queue redis://host:6379 (or set ORCHESTRATOR_QUEUE).");
    if (values.example !== undefined && !EXAMPLES[values.example])
      throw new ConfigError(`Unknown example ${JSON.stringify(values.example)}; available: ${Object.keys(EXAMPLES).join(", ")}`);
    const spec = values.checkpointer ?? env.checkpointer ?? env.postgresUrl;
    if (!spec || spec === "memory") {
      throw new ConfigError(`An executor needs a checkpointer every executor shares: pass --checkpointer postgres://… (got ${JSON.stringify(spec ?? "none")}).`);
    }
    settings = {
      url,
      concurrency: positiveInt("concurrency", values.concurrency),
      lockMs: positiveInt("lock-ms", values["lock-ms"]),
      name: values.name,
      example: values.example,
    };
    handle = await openCheckpointer(spec);
  } catch (error) {
    io.stderr(usageErrorText(error));
    return 2;
  }
  const registry = settings.example ? EXAMPLES[settings.example]!.registry() : defaultRegistry();
  const logs = new Map<string, RunLog>();
  let executorName = "";
  const onRun = (report: RunReport) => {
    io.stderr(`${report.what.padEnd(9)} ${report.threadId}${report.what === "finished" ? ` (${report.summary.status})` : ""}\n`);
    if (report.what === "started" || report.what === "resumed") {
      const command = report.what === "started" ? "run" : "resume";
      logs.set(
        report.threadId,
        RunLog.open(runLogPath(handle, report.threadId, io.cwd), {
          threadId: report.threadId,
          command,
          goal: report.goal,
          checkpointer: handle.kind,
          executor: executorName,
        }),
      );
      return;
    }
    const log = logs.get(report.threadId);
    if (report.what === "finished") log?.finish(report.summary, report.goal);
    if (report.what === "failed") log?.fail(report.error);
    log?.close();
    logs.delete(report.threadId);
  };
  try {
    const executor = await createExecutor({
      queue: { url: settings.url },
      ...(settings.taskQueue ? { taskQueue: { url: settings.taskQueue } } : {}),
      checkpointer: handle.saver,
      lock: handle.lock,
      workers: registry,
      models: io.models ?? openAIProvider(env),
      concurrency: settings.concurrency,
      lockMs: settings.lockMs,
      name: settings.name,
      onEvent: (event, threadId) => logs.get(threadId)?.event(event),
      onRun,
    });
    executorName = executor.name;
    io.stderr(`Executor ${executor.name} is taking runs from ${redact(settings.url)} (concurrency ${settings.concurrency ?? 1}).\n`);
    return await serveUntilSignal(io, executor, "Draining: runs in flight finish their current step and go back to the queue…");
  } catch (error) {
    io.stderr(`Executor failed: ${(connectionError(error) as Error).message}\n`);
    return 1;
  } finally {
    for (const log of logs.values()) log.close();
    await handle.close();
  }
}

if (isEntryPoint(import.meta.url)) {
  process.exitCode = await executorMain(process.argv.slice(2));
}
