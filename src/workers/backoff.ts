import type { ErrorKind } from "../schemas.js";

/** The nominal wait before a first retry; each later retry doubles it. */
export const BACKOFF_BASE_MS = 500;
/** The longest wait between two attempts, whatever the provider's `Retry-After` asks. */
export const BACKOFF_CAP_MS = 10_000;

/** Failures of the provider or the network, which a retry at once would only repeat: they back off. */
const BACKS_OFF: ReadonlySet<ErrorKind> = new Set(["rate_limit", "server", "network"]);

/** When the next attempt may start, and how long until then. */
export interface RetryWaitInput {
  kind: ErrorKind;
  /** 1 before the first retry, 2 before the second, … */
  retry: number;
  /** What the provider's `Retry-After` asked for, if it did. */
  retryAfterMs?: number;
  /** The attempt's time limit: no wait is longer. */
  limitMs: number;
  /** The run's deadline (epoch ms): no wait goes past it. */
  deadlineAt?: number;
  random?: () => number;
}

/**
 * The wait before a retry: what `Retry-After` asked for when the provider sent one; else, after a rate limit, a 5xx
 * or a network error, exponential back-off with "equal jitter" (between half and all of 500 ms × 2^(retry-1), so
 * never below half the nominal delay); nothing after other failures (the next rung changes what it asks). Always
 * capped at `BACKOFF_CAP_MS`, the attempt's time limit and the time left to the run's deadline.
 */
export function retryWaitMs(input: RetryWaitInput): number {
  const { kind, retry, retryAfterMs, limitMs, deadlineAt, random = Math.random } = input;
  let wait = 0;
  if (retryAfterMs !== undefined && retryAfterMs > 0) wait = retryAfterMs;
  else if (BACKS_OFF.has(kind)) {
    const nominal = Math.min(BACKOFF_BASE_MS * 2 ** (retry - 1), BACKOFF_CAP_MS);
    wait = nominal / 2 + (random() * nominal) / 2;
  }
  const untilDeadline = deadlineAt === undefined ? Number.POSITIVE_INFINITY : deadlineAt - Date.now();
  return Math.max(0, Math.round(Math.min(wait, BACKOFF_CAP_MS, limitMs, untilDeadline)));
}

/**
 * A `Retry-After` header's wait in ms: delay-seconds ("120") or an HTTP-date ("Wed, 21 Oct 2026 07:28:00 GMT"), as
 * RFC 9110 allows; OpenAI's `retry-after-ms` wins when present. Undefined when absent or unreadable.
 */
export function retryAfterMs(
  header: (name: string) => string | null | undefined,
  now = Date.now(),
): number | undefined {
  const ms = Number(header("retry-after-ms") ?? Number.NaN);
  if (Number.isFinite(ms) && ms >= 0) return ms;
  const raw = header("retry-after")?.trim();
  if (!raw) return undefined;
  if (/^\d+(\.\d+)?$/.test(raw)) return Number(raw) * 1000;
  const at = Date.parse(raw);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}
