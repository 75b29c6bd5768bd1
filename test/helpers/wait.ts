/** How long {@link waitFor} polls before giving up, and what it says when it does. */
export interface WaitOptions {
  /** Deadline in ms (default 5,000): long enough for a loaded machine, short enough to fail well before the test timeout. */
  timeoutMs?: number;
  /** Poll interval in ms (default 10). */
  intervalMs?: number;
  /** What is awaited, for the error message ("the worker to start"). */
  what?: string;
}

/**
 * Polls `condition` until it returns a truthy value and resolves with that value; rejects after `timeoutMs`
 * naming `what`. A condition that throws is treated as not met yet (the last error is reported on timeout).
 * For waiting on state that no event announces; prefer awaiting the event itself when there is one.
 */
export async function waitFor<T>(condition: () => T | Promise<T>, options: WaitOptions = {}): Promise<NonNullable<T>> {
  const { timeoutMs = 5_000, intervalMs = 10, what = "the condition" } = options;
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await condition();
      if (value) return value as NonNullable<T>;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() >= deadline) {
      const cause =
        lastError === undefined ? "" : ` (last error: ${(lastError as Error)?.message ?? String(lastError)})`;
      throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}${cause}`);
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/** A promise with its resolve function outside: a gate a test opens, or a signal a worker gives. */
export interface Deferred<T = void> {
  promise: Promise<T>;
  resolve(value: T): void;
  /** True once `resolve` was called. */
  readonly settled: boolean;
}

export function deferred<T = void>(): Deferred<T> {
  let resolve!: (value: T) => void;
  let settled = false;
  const promise = new Promise<T>((done) => (resolve = done));
  return {
    promise,
    resolve: (value: T) => {
      settled = true;
      resolve(value);
    },
    get settled() {
      return settled;
    },
  };
}

/** Rejects with a message naming `what` when `promise` has not settled within `timeoutMs`. */
export async function within<T>(promise: Promise<T>, timeoutMs: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`)), timeoutMs);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
