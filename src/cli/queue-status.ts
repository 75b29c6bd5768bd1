import { parseFlags, usageErrorText } from "./args.js";
import { readEnvironment } from "../env.js";
import { ConfigError } from "../index.js";
import { EXIT, exitCodeHelp } from "./exit-codes.js";
import { isEntryPoint, processIO, type TextIO } from "./io.js";
import { queueUrlOf } from "./service.js";
import { type QueueStatus, queueStatus, recoverRuns } from "../queue/index.js";
import { openCheckpointer } from "../index.js";

const USAGE = [
  "Usage: npm run queue -- status [--queue redis://host:6379] [--json]",
  "       npm run queue -- recover [--queue redis://host:6379] [--checkpointer postgres://…] [--json]",
  "",
  "status: shows the run queue: runs waiting, running, failed and completed, and per executor whether it is online",
  "and how many runs it is running, completed, failed and handed back while draining.",
  "recover: re-enqueues every unfinished run of the shared checkpointer that has no job (its Redis lost it): an",
  "executor continues each from its last checkpoint. The checkpointer defaults to $ORCHESTRATOR_CHECKPOINTER, $POSTGRES_URL.",
  "The queue defaults to $ORCHESTRATOR_QUEUE; ?prefix=name in the URL picks a queue on a shared Redis.",
  "",
  exitCodeHelp(["done", "failed", "usage"]),
].join("\n");

/** `npm run queue -- status` prints the queue's status, `recover` re-enqueues lost runs; returns the exit code. */
export async function queueMain(argv: readonly string[], io: TextIO = processIO()): Promise<number> {
  let url: string;
  let json: boolean;
  let command: string;
  let checkpointer: string | undefined;
  try {
    const { values, positionals } = parseFlags({
      args: [...argv],
      options: {
        queue: { type: "string" },
        checkpointer: { type: "string" },
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
    command = positionals.join(" ");
    if (command !== "status" && command !== "recover")
      throw new ConfigError(
        `Unknown queue command ${JSON.stringify(command)}: the commands are "status" and "recover".`,
      );
    const env = readEnvironment(io.env);
    url = queueUrlOf(values.queue ?? env.queueUrl);
    json = values.json;
    checkpointer = values.checkpointer ?? env.checkpointer ?? env.postgresUrl;
    if (command === "recover" && !checkpointer)
      throw new ConfigError("recover reads the executors' shared checkpointer: pass --checkpointer postgres://….");
  } catch (error) {
    io.stderr(usageErrorText(error));
    return EXIT.usage;
  }
  try {
    if (command === "recover") return await recover(io, url, checkpointer!, json);
    const status = await queueStatus({ url });
    io.stdout(json ? `${JSON.stringify(status, null, 2)}\n` : statusText(status));
    return EXIT.done;
  } catch (error) {
    io.stderr(`${(error as Error).message}\n`);
    return error instanceof ConfigError ? EXIT.usage : EXIT.failed;
  }
}

/** `recover`: re-enqueues the unfinished runs that have no job and says which. */
async function recover(io: TextIO, url: string, checkpointer: string, json: boolean): Promise<number> {
  const handle = await openCheckpointer(checkpointer);
  try {
    const recovered = await recoverRuns({ url }, handle);
    const text = recovered.length
      ? `Re-enqueued ${recovered.length} run(s) whose job was lost:\n${recovered.map((id) => `  ${id}\n`).join("")}`
      : "Every unfinished run has its job: nothing to re-enqueue.\n";
    io.stdout(json ? `${JSON.stringify({ recovered })}\n` : text);
    return 0;
  } finally {
    await handle.close();
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
