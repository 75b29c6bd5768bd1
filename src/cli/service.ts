import { ConfigError } from "../errors.js";
import type { CliIO } from "./main.js";

/** A flag's value as a whole number of at least 1, or a `ConfigError` naming the flag and value. */
export function positiveInt(flag: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const number = Number(value);
  if (!Number.isInteger(number) || number < 1) throw new ConfigError(`Invalid value for --${flag}: ${JSON.stringify(value)} (expected a whole number of at least 1)`);
  return number;
}

/**
 * Keeps a queue service (an executor, a task worker) up until the first SIGTERM or SIGINT, then closes it gracefully;
 * a second signal exits at once. Returns the exit code.
 */
export async function serveUntilSignal(io: CliIO, service: { close(): Promise<void> }, stopping: string): Promise<number> {
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
  const exit = () => io.exit?.(130);
  io.signals?.on("SIGTERM", exit);
  io.signals?.on("SIGINT", exit);
  await service.close();
  io.stderr("Stopped.\n");
  return 0;
}

/** The process's own IO, signals and exit, for the service commands. */
export const serviceIO = (base: Omit<CliIO, "signals" | "exit">): CliIO => ({ ...base, signals: process, exit: (code) => process.exit(code) });
