/** The exit codes of every command (CLI, client, executor, task worker, queue commands): one table. */
export const EXIT = {
  done: 0,
  failed: 1,
  usage: 2,
  review: 3,
  partial: 4,
  busy: 5,
  stopped: 130,
} as const;

/** An exit code of the table. */
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];
