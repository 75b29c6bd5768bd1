import { ConfigError, type WorkerRegistry } from "../index.js";
import { EXAMPLES } from "../examples/index.js";
import type { Environment } from "../env.js";
import { resolveQueueOptions } from "../queue/connection.js";
import { loadWorkersFile, serverRegistry } from "../workers/workers-file.js";
import { parseFlags } from "./args.js";
import type { CliIO } from "./io.js";
import { EXIT } from "./exit-codes.js";
import { signalsOncePerPress } from "./shutdown.js";

/** What every queue service (executor, task worker) is told on its command line. */
export interface ServiceFlags {
  url: string;
  concurrency?: number;
  lockMs?: number;
  name?: string;
  /** The checkpointer the orchestrators share (`--checkpointer`, else ORCHESTRATOR_CHECKPOINTER, else POSTGRES_URL); never `memory`. */
  checkpointer?: string;
  /** A workers file's team (`--workers`), a bundled example's (`--example`), else `serverRegistry`'s (ORCHESTRATOR_WORKERS, or the defaults). */
  registry: WorkerRegistry;
  /** The command's own string flags. */
  extra: Record<string, string | undefined>;
}

/** The lines of `--help` for the flags every service takes. */
export const SERVICE_USAGE = [
  "  --queue <url>          The job queue (default: $ORCHESTRATOR_QUEUE); ?prefix=name keeps queues apart on one Redis.",
  "  --name <name>          This process's name in the queue status and run logs (default: host-pid).",
  "  --lock-ms <ms>         A dead process's jobs go to another after about this long (default 30000).",
  "  --workers <file.json>  Run the team of a workers file (default: $ORCHESTRATOR_WORKERS, else the default workers).",
  `  --example <name>       Run the workers of a bundled example: ${Object.keys(EXAMPLES).join(", ")}.`,
  "  -h, --help             Show this help.",
];

/** The queue's URL from `--queue` or ORCHESTRATOR_QUEUE; a clear error when neither gives one. */
export function queueUrlOf(given: string | undefined): string {
  if (!given) throw new ConfigError("No job queue given: pass --queue redis://host:6379 (or set ORCHESTRATOR_QUEUE).");
  return given;
}

/** Parses a service's command line (`extra`: its own string flags); "help" for --help. Throws a `ConfigError` naming a bad flag or value. */
export function parseServiceFlags(
  argv: readonly string[],
  env: Environment,
  extra: readonly string[],
): ServiceFlags | "help" {
  const own = Object.fromEntries(extra.map((flag) => [flag, { type: "string" as const }]));
  const { values } = parseFlags({
    args: [...argv],
    options: {
      ...own,
      queue: { type: "string" },
      checkpointer: { type: "string" },
      concurrency: { type: "string" },
      name: { type: "string" },
      "lock-ms": { type: "string" },
      example: { type: "string" },
      workers: { type: "string" },
      help: { type: "boolean", short: "h", default: false },
    },
    strict: true,
  });
  const flags = values as Record<string, string | boolean | undefined>;
  if (flags.help) return "help";
  const url = queueUrlOf((flags.queue as string | undefined) ?? env.queueUrl);
  resolveQueueOptions({ url });
  const exampleName = flags.example as string | undefined;
  const example = exampleName === undefined ? undefined : EXAMPLES[exampleName];
  if (exampleName !== undefined && !example)
    throw new ConfigError(
      `Unknown example ${JSON.stringify(exampleName)}; available: ${Object.keys(EXAMPLES).join(", ")}`,
    );
  const workersFile = flags.workers as string | undefined;
  if (workersFile !== undefined && example)
    throw new ConfigError("Pass --workers or --example, not both: each names the whole team.");
  const checkpointer = (flags.checkpointer as string | undefined) ?? env.checkpointer ?? env.postgresUrl;
  if (checkpointer === "memory") {
    throw new ConfigError(
      'A queue service shares its checkpointer with other processes: pass --checkpointer postgres://… (got "memory", which no other process sees).',
    );
  }
  return {
    url,
    ...(checkpointer ? { checkpointer } : {}),
    concurrency: positiveInt("concurrency", flags.concurrency as string | undefined),
    lockMs: positiveInt("lock-ms", flags["lock-ms"] as string | undefined),
    name: flags.name as string | undefined,
    registry: workersFile !== undefined ? loadWorkersFile(workersFile) : (example?.registry() ?? serverRegistry(env)),
    extra: Object.fromEntries(extra.map((flag) => [flag, flags[flag] as string | undefined])),
  };
}

/** A flag's value as a whole number of at least 1, or a `ConfigError` naming the flag and value. */
function positiveInt(flag: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const number = Number(value);
  if (!Number.isInteger(number) || number < 1)
    throw new ConfigError(
      `Invalid value for --${flag}: ${JSON.stringify(value)} (expected a whole number of at least 1)`,
    );
  return number;
}

/**
 * Keeps a queue service (an executor, a task worker) up until the first SIGTERM or SIGINT, then closes it gracefully;
 * a second signal exits at once. Returns the exit code.
 */
export async function serveUntilSignal(
  io: CliIO,
  service: { close(): Promise<void> },
  stopping: string,
): Promise<number> {
  await new Promise<void>((resolve) => {
    const once = () => {
      io.signals?.off("SIGTERM", once);
      io.signals?.off("SIGINT", once);
      resolve();
    };
    io.signals?.on("SIGTERM", once);
    io.signals?.on("SIGINT", once);
  });
  io.stderr(`${stopping} (again to exit at once)\n`);
  const exit = () => io.exit?.(EXIT.stopped);
  io.signals?.on("SIGTERM", exit);
  io.signals?.on("SIGINT", exit);
  await service.close();
  io.stderr("Stopped.\n");
  return EXIT.done;
}

/** The process's own IO, signals and exit, for the service commands. */
export const serviceIO = (base: Omit<CliIO, "signals" | "exit">): CliIO => ({
  ...base,
  signals: signalsOncePerPress(),
  exit: (code) => process.exit(code),
});
