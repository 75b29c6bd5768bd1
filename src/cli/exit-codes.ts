/** The exit codes of every command (CLI, client, executor, task worker, queue commands): one table. */
export const EXIT = {
  done: 0,
  failed: 1,
  usage: 2,
  review: 3,
  partial: 4,
  busy: 5,
  rejected: 6,
  stopped: 130,
} as const;

/** A name of the table. */
export type ExitName = keyof typeof EXIT;

/** An exit code of the table. */
export type ExitCode = (typeof EXIT)[ExitName];

/** What each code means, one line each: `--help` and the README print these. */
export const EXIT_MEANINGS: Record<ExitName, string> = {
  done: "done: every task done (a service: stopped by a signal after closing cleanly)",
  failed: "failed: the run or the service failed (a run's thread is checkpointed: --resume continues it)",
  usage: "bad usage or configuration: the bad flag, value or file is named",
  review: "waiting for a plan review (--approve, --reject or --resume --plan answers it)",
  partial: "partial: some task is dead-lettered or skipped; the missing tasks are named on stderr",
  busy: "the thread is busy: another run is using it, and nothing was done",
  rejected: "the plan was rejected at review (the client)",
  stopped: "stopped by SIGINT/SIGTERM: the thread resumes with --resume",
};

/** The "Exit codes:" lines of a command's `--help`: the codes it returns (default: all), from the table. */
export function exitCodeHelp(names: readonly ExitName[] = Object.keys(EXIT) as ExitName[]): string {
  return ["Exit codes:", ...names.map((name) => `  ${String(EXIT[name]).padEnd(4)} ${EXIT_MEANINGS[name]}`)].join("\n");
}
