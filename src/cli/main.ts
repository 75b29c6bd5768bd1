import { EXAMPLES } from "../examples/index.js";
import { type CliOptions, parseCli, usage, usageErrorText } from "./args.js";
import { type CliCommand, resolveCommand } from "./command.js";
import { EXIT } from "./exit-codes.js";
import { type CliIO, isEntryPoint, processIO } from "./io.js";
import { runLocal } from "./local-run.js";
import { isQueued, runQueued } from "./queued.js";
import { exitOnLateSignal, signalsOncePerPress } from "./shutdown.js";
import { plainTextIO } from "./terminal-text.js";

export type { CliIO } from "./io.js";

const defaultIO: CliIO = {
  ...processIO(),
  // The live view redraws stderr while the answer goes to stdout: both must be the terminal.
  isTTY: Boolean(process.stdout.isTTY && process.stderr.isTTY),
  get columns() {
    return process.stderr.columns;
  },
  get rows() {
    return process.stderr.rows;
  },
  signals: signalsOncePerPress(),
  exit: (code) => process.exit(code),
};

/** Runs the CLI: a run in this process, or one on the job queue; returns the exit code. */
export async function main(argv: readonly string[], io: CliIO = defaultIO): Promise<number> {
  const plain = plainTextIO(io);
  let options: CliOptions;
  let command: CliCommand;
  try {
    options = parseCli(argv, Object.keys(EXAMPLES));
  } catch (error) {
    plain.stderr(usageErrorText(error));
    return EXIT.usage;
  }
  if (options.help) {
    io.stdout(`${usage(Object.keys(EXAMPLES))}\n`);
    return EXIT.done;
  }
  try {
    command = resolveCommand(options, io);
  } catch (error) {
    plain.stderr(`${(error as Error).message}\n`);
    return EXIT.usage;
  }
  return isQueued(command) ? runQueued(plain, command) : runLocal(io, command);
}

if (isEntryPoint(import.meta.url)) {
  process.exitCode = await main(process.argv.slice(2));
  exitOnLateSignal(process.exitCode);
}
