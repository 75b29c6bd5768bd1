import {
  AttemptFailure,
  MalformedTaskResultError,
  McpServerError,
  ModelNotConfiguredError,
  RunBudgetReachedError,
} from "../errors.js";
import type { ErrorKind, TaskError } from "../schemas.js";
import { retryAfterMs } from "./backoff.js";

const RETRYABLE: Record<ErrorKind, boolean> = {
  timeout: true,
  rate_limit: true,
  server: true,
  network: true,
  client: false,
  auth: false,
  schema: true,
  empty: true,
  underspecified: true,
  check: true,
  refusal: true,
  not_configured: false,
  mcp: true,
  worker: true,
  aborted: false,
  budget: false,
  hung: false,
};

function statusOf(error: unknown): number | undefined {
  const e = error as { status?: unknown; response?: { status?: unknown }; lc_error_code?: string };
  const status = e?.status ?? e?.response?.status;
  return typeof status === "number" ? status : undefined;
}

function retryAfterOf(error: unknown): number | undefined {
  const headers = (error as { headers?: Record<string, string> | Headers })?.headers;
  if (!headers) return undefined;
  return retryAfterMs((name) => (headers instanceof Headers ? headers.get(name) : headers[name]));
}

function kindOf(error: unknown): ErrorKind {
  if (error instanceof AttemptFailure) return error.kind;
  if (error instanceof ModelNotConfiguredError) return "not_configured";
  if (error instanceof McpServerError) return "mcp";
  if (error instanceof RunBudgetReachedError) return "budget";
  if (error instanceof MalformedTaskResultError) return "schema";
  const status = statusOf(error);
  if (status === 429) return "rate_limit";
  if (status === 401 || status === 403) return "auth";
  if (status !== undefined && status >= 500) return "server";
  if (status !== undefined && status >= 400) return "client";
  const name = (error as Error)?.name ?? "";
  const text = `${name} ${(error as Error)?.message ?? String(error)}`;
  if (/timeout|timed out/i.test(text)) return "timeout";
  if (name === "AbortError" || /aborted/i.test(text)) return "aborted";
  if (/ECONNREFUSED|ECONNRESET|ENOTFOUND|EPIPE|socket hang up|fetch failed|Connection error/i.test(text)) {
    return "network";
  }
  if (name === "ZodError" || name === "SyntaxError" || /OutputParser|Failed to parse|JSON|schema/i.test(text)) {
    return "schema";
  }
  return "worker";
}

/** Classifies any error of an attempt: what kind it is, whether another attempt can help, how long to wait. */
export function classifyError(error: unknown): TaskError & { retryAfterMs?: number } {
  const kind = kindOf(error);
  const retryable = error instanceof AttemptFailure ? error.retryable : RETRYABLE[kind];
  const message = ((error as Error)?.message ?? String(error)).slice(0, 2000);
  const retryAfterMs = error instanceof AttemptFailure ? error.retryAfterMs : retryAfterOf(error);
  return retryAfterMs === undefined ? { kind, message, retryable } : { kind, message, retryable, retryAfterMs };
}
