import { parseFlags, usageErrorText } from "./args.js";
import { readEnvironment } from "../env.js";
import { ConfigError } from "../index.js";
import { EXIT, exitCodeHelp } from "./exit-codes.js";
import { isEntryPoint, processIO, type TextIO } from "./io.js";
import { queueUrlOf } from "./service.js";
import { type QueueStatus, queueStatus } from "../queue/index.js";

const USAGE = [
  "Usage: npm run queue -- status [--queue redis://host:6379] [--json]",
  "",
  "Shows the run queue: runs waiting, running, failed and completed, and per executor whether it is online and how",
  "many runs it is running, completed, failed and handed back while draining.",
  "The queue defaults to $ORCHESTRATOR_QUEUE; ?prefix=name in the URL picks a queue on a shared Redis.",
  "",
  exitCodeHelp(["done", "failed", "usage"]),
].join("\n");

/** `npm run queue -- status`: prints the queue's status; returns the exit code. */
export async function queueMain(argv: readonly string[], io: TextIO = processIO()): Promise<number> {
  let url: string;
  let json: boolean;
  try {
    const { values, positionals } = parseFlags({
      args: [...argv],
      options: {
        queue: { type: "string" },
        json: { type: "boolean", default: false },
        help: { type: "boolean", short: "h", default: false },
      },
      allowPositionals: true,
      strict: true,
    });
    if (values.help) {
      io.stdout(`${USAGE}\n`);
      return EXIT.done;
    }
    if (positionals.join(" ") !== "status")
      throw new ConfigError(`Unknown queue command ${JSON.stringify(positionals.join(" "))}: the command is "status".`);
    url = queueUrlOf(values.queue ?? readEnvironment(io.env).queueUrl);
    json = values.json;
  } catch (error) {
    io.stderr(usageErrorText(error));
    return EXIT.usage;
  }
  try {
    const status = await queueStatus({ url });
    io.stdout(json ? `${JSON.stringify(status, null, 2)}\n` : statusText(status));
    return EXIT.done;
  } catch (error) {
    io.stderr(`${(error as Error).message}\n`);
    return error instanceof ConfigError ? EXIT.usage : EXIT.failed;
  }
}

/** The status as a few aligned lines. */
export function statusText(status: QueueStatus): string {
  const head = `Queue ${status.prefix}: ${status.waiting} waiting, ${status.running} running, ${status.failed} failed, ${status.completed} completed`;
  if (status.executors.length === 0) return `${head}\nNo executor has taken a run yet.\n`;
  const rows = status.executors.map((executor) =>
    [
      executor.name.padEnd(Math.max(8, ...status.executors.map((e) => e.name.length))),
      (executor.online ? "online" : "offline").padEnd(8),
      `${executor.running} running`.padEnd(11),
      `${executor.completed} completed`.padEnd(13),
      `${executor.failed} failed`.padEnd(10),
      `${executor.released} released`,
    ].join("  "),
  );
  return `${head}\n${rows.join("\n")}\n`;
}

if (isEntryPoint(import.meta.url)) {
  process.exitCode = await queueMain(process.argv.slice(2));
}
