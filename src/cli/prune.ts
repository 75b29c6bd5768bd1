import { openCheckpointer, DEFAULT_CHECKPOINTER, type CheckpointerHandle } from "../persistence/checkpointer.js";
import { parseFlags, usageErrorText } from "./args.js";
import { readEnvironment } from "../env.js";
import { ConfigError } from "../errors.js";
import { EXIT } from "./exit-codes.js";
import { isEntryPoint, processIO, type TextIO } from "./io.js";
import { parseAge, pruneThreads, type PruneResult } from "../index.js";
import { runLogPath } from "./run-log.js";

const USAGE = [
  "Usage: npm run prune -- --older-than 30d [--checkpointer SPEC] [--dry-run] [--json]",
  "",
  "Deletes finished threads whose last checkpoint is older than the age given (s, m, h or d): their checkpoints,",
  "their runs' shared memory in the store and their run logs. A thread still running, interrupted (waiting for a",
  "review or an answer) or stopped mid-run is kept. The checkpointer defaults as for the CLI.",
].join("\n");

/** `npm run prune`: deletes old finished threads; returns the exit code. */
export async function pruneMain(argv: readonly string[], io: TextIO & { cwd?: string } = processIO()): Promise<number> {
  let olderThanMs: number;
  let spec: string;
  let flags: { dryRun: boolean; json: boolean };
  try {
    const { values } = parseFlags({
      args: [...argv],
      options: {
        "older-than": { type: "string" },
        checkpointer: { type: "string" },
        "dry-run": { type: "boolean", default: false },
        json: { type: "boolean", default: false },
        help: { type: "boolean", short: "h", default: false },
      },
      strict: true,
    });
    if (values.help) {
      io.stdout(`${USAGE}\n`);
      return EXIT.done;
    }
    if (values["older-than"] === undefined) throw new ConfigError("Missing --older-than (e.g. --older-than 30d).");
    olderThanMs = parseAge(values["older-than"]);
    const env = readEnvironment(io.env);
    spec = values.checkpointer ?? env.checkpointer ?? env.postgresUrl ?? DEFAULT_CHECKPOINTER;
    flags = { dryRun: values["dry-run"], json: values.json };
  } catch (error) {
    io.stderr(usageErrorText(error));
    return EXIT.usage;
  }
  let handle: CheckpointerHandle | undefined;
  try {
    handle = await openCheckpointer(spec);
    const opened = handle;
    const result = await pruneThreads(opened, {
      olderThanMs,
      dryRun: flags.dryRun,
      runLog: (threadId) => runLogPath(opened, threadId, io.cwd),
    });
    io.stdout(flags.json ? `${JSON.stringify(result, null, 2)}\n` : resultText(result, flags.dryRun));
    return EXIT.done;
  } catch (error) {
    io.stderr(`${(error as Error).message}\n`);
    return error instanceof ConfigError ? EXIT.usage : EXIT.failed;
  } finally {
    await handle?.close();
  }
}

/** One line of what was deleted and what was kept, and why. */
export function resultText(result: PruneResult, dryRun: boolean): string {
  const kept = Object.values(result.kept);
  const count = (why: string) => kept.filter((reason) => reason === why).length;
  return (
    `${dryRun ? "Would prune" : "Pruned"} ${result.pruned.length} finished thread(s); kept ${kept.length} ` +
    `(${count("recent")} recent, ${count("unfinished")} unfinished, ${count("running")} running).\n`
  );
}

if (isEntryPoint(import.meta.url)) process.exitCode = await pruneMain(process.argv.slice(2));
