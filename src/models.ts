import type { BaseChatModel } from "@langchain/core/language_models/chat_models";
import type { BaseMessage } from "@langchain/core/messages";
import { ChatOpenAI } from "@langchain/openai";
import { readEnvironment, type Environment } from "./env.js";
import { ModelCallTimeoutError, ModelNotConfiguredError, RunBudgetReachedError } from "./errors.js";

/** A model reply's text: its string content, or its text parts joined. */
export function textOf(message: BaseMessage): string {
  if (typeof message.content === "string") return message.content;
  return message.content.map((part) => (typeof part === "string" ? part : part.type === "text" ? (part as { text: string }).text : "")).join("");
}

export type ModelRole = "planner" | "worker" | "synthesizer" | "fallback";

/** What a node asks the provider for. */
export interface ModelRequest {
  role: ModelRole;
  model: string;
  temperature?: number;
  /** Time limit of one call, in ms: every model is created with one, so no call outlives its configured limit. */
  timeoutMs: number;
}

/** Creates chat models on demand, inside nodes: importing a graph never needs a key. */
export interface ModelProvider {
  /** False when no endpoint is configured; nodes then use their offline paths. */
  readonly configured: boolean;
  create(request: ModelRequest): BaseChatModel;
}

/**
 * Runs one model call with a signal that aborts after `timeoutMs` or with `signal` (the run's), whichever comes
 * first; a call cut by the limit fails with a `ModelCallTimeoutError` naming `what` and the limit.
 */
export async function boundedCall<T>(timeoutMs: number, signal: AbortSignal | undefined, what: string, call: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const limit = AbortSignal.timeout(timeoutMs);
  try {
    return await call(signal ? AbortSignal.any([signal, limit]) : limit);
  } catch (error) {
    if (limit.aborted && !signal?.aborted) throw new ModelCallTimeoutError(what, timeoutMs, { cause: error });
    // Cut by the run's deadline: say so, rather than the client's "aborted".
    if (signal?.aborted && signal.reason instanceof RunBudgetReachedError) throw signal.reason;
    throw error;
  }
}

/** No HTTP-level retries in the OpenAI client: retries, with changed parameters, live in one layer — the worker's ladder. */
const CLIENT_MAX_RETRIES = 0;

/**
 * The default provider: `ChatOpenAI` against OPENAI_BASE_URL (any OpenAI-compatible server) with
 * OPENAI_API_KEY, explicit retries and timeouts.
 */
export function openAIProvider(env: Environment = readEnvironment()): ModelProvider {
  const configured = Boolean(env.openaiApiKey || env.openaiBaseUrl);
  return {
    configured,
    create({ role, model, temperature, timeoutMs }) {
      if (!configured) throw new ModelNotConfiguredError(role);
      return new ChatOpenAI({
        model,
        temperature,
        apiKey: env.openaiApiKey ?? "not-needed",
        configuration: env.openaiBaseUrl ? { baseURL: env.openaiBaseUrl } : undefined,
        maxRetries: CLIENT_MAX_RETRIES,
        timeout: timeoutMs,
      });
    },
  };
}
