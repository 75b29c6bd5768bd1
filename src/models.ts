import type { BaseChatModel } from "@langchain/core/language_models/chat_models";
import type { BaseMessage } from "@langchain/core/messages";
import { ChatOpenAI } from "@langchain/openai";
import { getChatModelByClassName, MODEL_PROVIDER_CONFIG } from "langchain/chat_models/universal";
import { readEnvironment, type Environment } from "./env.js";
import {
  ModelCallTimeoutError,
  ConfigError,
  ModelNotConfiguredError,
  ModelPackageMissingError,
  OrchestratorError,
  RunBudgetReachedError,
} from "./errors.js";

/** A model reply's text: its string content, or its text parts joined. */
export function textOf(message: BaseMessage): string {
  if (typeof message.content === "string") return message.content;
  return message.content
    .map((part) => (typeof part === "string" ? part : part.type === "text" ? (part as { text: string }).text : ""))
    .join("");
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
  /** Loads what `create` needs for these model settings (provider packages); nodes await it before creating models. */
  prepare?(models: readonly string[]): Promise<void>;
}

type ProviderName = keyof typeof MODEL_PROVIDER_CONFIG;

/**
 * A model setting split into provider and model: "provider:model" for any provider `initChatModel` knows
 * ("anthropic:claude-sonnet-4-5"); a bare name, or an unknown prefix ("llama3:8b"), is an OpenAI-compatible model.
 */
export function parseModelSpec(spec: string): { provider?: ProviderName; model: string } {
  const at = spec.indexOf(":");
  const provider = spec.slice(0, at);
  if (at <= 0 || !Object.hasOwn(MODEL_PROVIDER_CONFIG, provider)) return { model: spec };
  return { provider: provider as ProviderName, model: spec.slice(at + 1) };
}

type ChatModelClass = new (fields: Record<string, unknown>) => BaseChatModel;

/** Imports a provider's chat model class the way `initChatModel` does; a missing package names itself. */
async function importChatModel(spec: string, provider: ProviderName): Promise<ChatModelClass> {
  const { className, package: packageName } = MODEL_PROVIDER_CONFIG[provider];
  try {
    const found = await getChatModelByClassName(className, provider);
    if (!found) throw new ConfigError(`no ${className} in ${packageName}`);
    return found as unknown as ChatModelClass;
  } catch (error) {
    if (/Unable to import|Cannot find (package|module)/.test((error as Error).message))
      throw new ModelPackageMissingError(spec, packageName);
    throw error;
  }
}

/**
 * The run options of an internal model call (plan, repair, expansion, replan, result check, clarification): named
 * `runName` and tagged `langsmith:nostream`, so LangGraph's `messages` stream, and the chat a client builds from it,
 * never shows it. Traces still do.
 */
export const internalCall = (runName: string) => ({ runName, tags: ["langsmith:nostream"] });

/**
 * Runs one model call with a signal that aborts after `timeoutMs` or with `signal` (the run's), whichever comes
 * first; a call cut by the limit fails with a `ModelCallTimeoutError` naming `what` and the limit.
 */
export async function boundedCall<T>(
  timeoutMs: number,
  signal: AbortSignal | undefined,
  what: string,
  call: (signal: AbortSignal) => Promise<T>,
): Promise<T> {
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
 * The default provider. A bare model name is `ChatOpenAI` against OPENAI_BASE_URL (any OpenAI-compatible server)
 * with OPENAI_API_KEY; "provider:model" is that provider's LangChain chat model (its package installed, its key in
 * its own environment variable), resolved as `initChatModel` resolves it. Every model gets explicit retries (none)
 * and its call's time limit. Configured once OpenAI is, or once a model of another provider was prepared.
 */
export function chatModelProvider(env: Environment = readEnvironment()): ModelProvider {
  const openAIConfigured = Boolean(env.openaiApiKey || env.openaiBaseUrl);
  const classes = new Map<ProviderName, ChatModelClass>();
  return {
    get configured() {
      return openAIConfigured || [...classes.keys()].some((provider) => provider !== "openai");
    },
    async prepare(models) {
      for (const spec of new Set(models)) {
        const { provider } = parseModelSpec(spec);
        if (provider && provider !== "openai" && !classes.has(provider))
          classes.set(provider, await importChatModel(spec, provider));
      }
    },
    create({ role, model: spec, temperature, timeoutMs }) {
      const { provider, model } = parseModelSpec(spec);
      if (provider && provider !== "openai") {
        const ChatModel = classes.get(provider);
        if (!ChatModel)
          throw new OrchestratorError(
            `The model "${spec}" was not prepared: await provider.prepare([...]) before creating it.`,
          );
        return new ChatModel({ model, temperature, maxRetries: CLIENT_MAX_RETRIES, timeout: timeoutMs });
      }
      if (!openAIConfigured) throw new ModelNotConfiguredError(role);
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

/** The default provider under its first name: bare names are OpenAI-compatible, "provider:model" any provider. */
export const openAIProvider = chatModelProvider;
