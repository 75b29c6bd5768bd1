import { EventEmitter } from "node:events";
import { EXIT } from "./exit-codes.js";
import type { CliIO } from "./io.js";

/** Where a command's SIGINT and SIGTERM come from. */
export type SignalSource = NonNullable<CliIO["signals"]>;

/** How long after a signal the same signal is that one again, relayed: npm sends it within milliseconds. */
export const RELAY_WINDOW_MS = 1_000;

/**
 * The process's SIGINT and SIGTERM, once per press. A terminal sends Ctrl-C to its whole foreground process group,
 * and a wrapper in that group (`npm start`, `npm run`, npx) relays it to its child as well: one press reaches the CLI
 * twice, which would cancel a run that was asked to drain, or kill a service that was asked to close. A signal within
 * `windowMs` of the same signal taken last is dropped; a different signal always counts. Listens to `source` only
 * while it has listeners of its own, so that without them a signal acts as it would without this — but for the rest
 * of a window still open: a relay that comes as the command winds down is that press again, not a kill.
 */
export function signalsOncePerPress(
  source: SignalSource = process,
  windowMs = RELAY_WINDOW_MS,
  now: () => number = Date.now,
): SignalSource {
  const listeners = new EventEmitter();
  const taken = new Map<string, number>();
  const forwarders = new Map<string, () => void>();
  const detaching = new Map<string, NodeJS.Timeout>();
  const detach = (signal: string) => {
    detaching.delete(signal);
    source.off(signal as NodeJS.Signals, forwarders.get(signal)!);
    forwarders.delete(signal);
  };
  const forward = (signal: string) => () => {
    const at = now();
    const last = taken.get(signal);
    if (last !== undefined && at - last < windowMs) return;
    taken.set(signal, at);
    listeners.emit(signal);
  };
  const signals = {
    on(signal: string, listener: () => void) {
      clearTimeout(detaching.get(signal));
      detaching.delete(signal);
      if (!forwarders.has(signal)) {
        forwarders.set(signal, forward(signal));
        source.on(signal as NodeJS.Signals, forwarders.get(signal)!);
      }
      listeners.on(signal, listener);
      return signals;
    },
    off(signal: string, listener: () => void) {
      listeners.off(signal, listener);
      if (!forwarders.has(signal) || listeners.listenerCount(signal) > 0 || detaching.has(signal)) return signals;
      const open = windowMs - (now() - (taken.get(signal) ?? Number.NEGATIVE_INFINITY));
      if (open > 0) detaching.set(signal, setTimeout(() => detach(signal), open).unref());
      else detach(signal);
      return signals;
    },
  };
  return signals as unknown as SignalSource;
}

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
 * output and run log complete); a third exits at once, with 130, or with the run's code once it ended. A Ctrl-C that
 * a wrapper (npm) relays counts once when the signals come through {@link signalsOncePerPress}, as the CLI's do.
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
