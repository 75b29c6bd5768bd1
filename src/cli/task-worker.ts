import { type CheckpointerHandle, ConfigError, openAIProvider, openCheckpointer } from "../index.js";
import { connectionError, redact } from "../persistence/checkpointer.js";
import { usageErrorText } from "./args.js";
import { readEnvironment } from "../env.js";
import { EXIT, exitCodeHelp } from "./exit-codes.js";
import { isEntryPoint, processIO } from "./io.js";
import { createTaskWorker, type TaskWorkerOptions } from "../queue/index.js";
import type { CliIO } from "./io.js";
import { parseServiceFlags, serveUntilSignal, SERVICE_USAGE, serviceIO } from "./service.js";

const USAGE = [
  "Usage: npm run task-worker -- --queue redis://host:6379 [options]",
  "",
  "Runs the registry's workers for orchestrators started with --task-queue, on any machine that reaches the queue,",
  "until SIGTERM or SIGINT (the tasks in flight finish first; a second signal exits at once).",
  "",
  "Options:",
  "  --checkpointer <spec>  The orchestrators' shared checkpointer, whose store holds each run's memory: postgres://…",
  "                         (default: $ORCHESTRATOR_CHECKPOINTER, $POSTGRES_URL; without one, tasks get no memory).",
  "  --concurrency <n>      Tasks at once (default 4).",
  ...SERVICE_USAGE,
  "Models: OPENAI_API_KEY and OPENAI_BASE_URL, as for the CLI.",
  "",
  exitCodeHelp(["done", "failed", "usage", "stopped"]),
].join("\n");

/** Serves the task queue until a signal; returns the exit code. */
export async function taskWorkerMain(argv: readonly string[], io: CliIO = serviceIO(processIO())): Promise<number> {
  const env = readEnvironment(io.env);
  let options: TaskWorkerOptions;
  let handle: CheckpointerHandle | undefined;
  try {
    const flags = parseServiceFlags(argv, env, []);
    if (flags === "help") {
      io.stdout(`${USAGE}\n`);
      return EXIT.done;
    }
    const { url, registry, concurrency, lockMs, name, checkpointer } = flags;
    options = { queue: { url }, registry, models: io.models ?? openAIProvider(env), concurrency, lockMs, name };
    handle = checkpointer ? await openCheckpointer(checkpointer) : undefined;
  } catch (error) {
    io.stderr(usageErrorText(error));
    return EXIT.usage;
  }
  try {
    const worker = await createTaskWorker({ ...options, ...(handle ? { store: handle.store } : {}) });
    const memory = handle ? `memory in the ${handle.kind} store` : "no memory: no --checkpointer";
    io.stderr(
      `Task worker ${worker.name} is serving ${redact(options.queue.url)} (concurrency ${options.concurrency ?? 4}; ${memory}).\n`,
    );
    return await serveUntilSignal(io, worker, "Stopping: the tasks in flight finish first…");
  } catch (error) {
    io.stderr(`Task worker failed: ${(connectionError(error) as Error).message}\n`);
    return error instanceof ConfigError ? EXIT.usage : EXIT.failed;
  } finally {
    await handle?.close();
  }
}

if (isEntryPoint(import.meta.url)) {
  process.exitCode = await taskWorkerMain(process.argv.slice(2));
}
