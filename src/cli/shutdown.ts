import { EXIT } from "./exit-codes.js";
import type { CliIO } from "./io.js";

/** What the CLI does on SIGINT/SIGTERM while a run is in flight. */
export interface ShutdownSteps {
  /** The first signal: the current step finishes and is checkpointed. */
  drain(): void;
  /** The second: model calls in flight are aborted. */
  cancel(): void;
}

/** Listens for SIGINT/SIGTERM for one command; `ended` tells it the run is over, `stop` stops listening. */
export interface Shutdown {
  /** The run ended with this code: from now on signals end the web view's linger and never change the code. */
  ended(code: number): void;
  stop(): void;
}

/**
 * Graceful shutdown: the first SIGINT/SIGTERM drains the run (the current step finishes and is checkpointed);
 * the second cancels it (model calls in flight are aborted, the run ends and the process exits by itself, its
 * output and run log complete); a third exits at once, with 130, or with the run's code once it ended. A signal
 * relayed by a wrapper (npm, tsx) after the first one counts as another.
 */
export function onShutdown(io: CliIO, steps: ShutdownSteps): Shutdown {
  let received = 0;
  let code: number | undefined;
  const handler = () => {
    received++;
    if (received === 1) steps.drain();
    else if (received === 2) steps.cancel();
    else io.exit?.(code ?? EXIT.stopped);
  };
  io.signals?.on("SIGINT", handler);
  io.signals?.on("SIGTERM", handler);
  return {
    ended: (ended) => {
      code = ended;
      received = 0;
    },
    stop: () => {
      io.signals?.off("SIGINT", handler);
      io.signals?.off("SIGTERM", handler);
    },
  };
}

/**
 * After a command returned its code, a signal that arrives while the process winds down (one relayed late by npm or
 * tsx, say) exits with that code instead of killing the process with 130.
 */
export function exitOnLateSignal(code: number): void {
  const exit = () => process.exit(code);
  process.once("SIGINT", exit);
  process.once("SIGTERM", exit);
}
