import { redact } from "../persistence/checkpointer.js";
import { parseFlags, usageErrorText } from "./args.js";
import { readEnvironment } from "../env.js";
import { ConfigError } from "../errors.js";
import { EXAMPLES } from "../examples/index.js";
import { isEntryPoint, processIO } from "./io.js";
import { openAIProvider } from "../models.js";
import { createTaskWorker, type TaskWorkerOptions } from "../queue/tasks.js";
import { defaultRegistry } from "../workers/defaults.js";
import type { CliIO } from "./main.js";
import { positiveInt, serveUntilSignal, serviceIO } from "./service.js";

const USAGE = [
  "Usage: npm run task-worker -- --queue redis://host:6379 [options]",
  "",
  "Runs the registry's workers for orchestrators started with --task-queue, on any machine that reaches the queue,",
  "until SIGTERM or SIGINT (the tasks in flight finish first; a second signal exits at once).",
  "",
  "Options:",
  "  --queue <url>          The task queue (default: $ORCHESTRATOR_QUEUE); ?prefix=name keeps queues apart on one Redis.",
  "  --concurrency <n>      Tasks at once (default 4).",
  "  --name <name>          This worker's name in the queue (default: host-pid).",
  "  --lock-ms <ms>         A dead worker's tasks go to another after about this long (default 30000).",
  `  --example <name>       Serve the workers of a bundled example: ${Object.keys(EXAMPLES).join(", ")}.`,
  "  -h, --help             Show this help.",
  "Models: OPENAI_API_KEY and OPENAI_BASE_URL, as for the CLI.",
].join("\n");

/** Serves the task queue until a signal; returns the exit code. */
export async function taskWorkerMain(argv: readonly string[], io: CliIO = serviceIO(processIO())): Promise<number> {
  const env = readEnvironment(io.env);
  let options: TaskWorkerOptions;
  try {
    const { values } = parseFlags({
      args: [...argv],
      options: {
        queue: { type: "string" },
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
    if (!url) throw new ConfigError("No task queue given: pass --queue redis://host:6379 (or set ORCHESTRATOR_QUEUE).");
    const example = values.example === undefined ? undefined : EXAMPLES[values.example];
    if (values.example !== undefined && !example)
      throw new ConfigError(`Unknown example ${JSON.stringify(values.example)}; available: ${Object.keys(EXAMPLES).join(", ")}`);
    options = {
      queue: { url },
      registry: example?.registry() ?? defaultRegistry(),
      models: io.models ?? openAIProvider(env),
      concurrency: positiveInt("concurrency", values.concurrency),
      lockMs: positiveInt("lock-ms", values["lock-ms"]),
      name: values.name,
    };
  } catch (error) {
    io.stderr(usageErrorText(error));
    return 2;
  }
  try {
    const worker = await createTaskWorker(options);
    io.stderr(`Task worker ${worker.name} is serving ${redact(options.queue.url)} (concurrency ${options.concurrency ?? 4}).\n`);
    return await serveUntilSignal(io, worker, "Stopping: the tasks in flight finish first…");
  } catch (error) {
    io.stderr(`Task worker failed: ${(error as Error).message}\n`);
    return error instanceof ConfigError ? 2 : 1;
  }
}

if (isEntryPoint(import.meta.url)) {
  process.exitCode = await taskWorkerMain(process.argv.slice(2));
}
