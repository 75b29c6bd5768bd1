import { BaseChatModel, type BaseChatModelParams } from "@langchain/core/language_models/chat_models";
import { AIMessage, AIMessageChunk, type BaseMessage } from "@langchain/core/messages";
import type { ChatResult } from "@langchain/core/outputs";
import type { ModelProvider, ModelRequest, ModelRole } from "../../src/models.js";

/** One call a scripted model received. */
export interface ModelCall extends ModelRequest {
  messages: BaseMessage[];
  /** Names of the bound tools (the structured-output function included). */
  tools: string[];
  /** Text of the system message and of the last human message. */
  system: string;
  prompt: string;
}

/** What a responder answers: text, a structured object, tool calls, or a full message. Throw to fail. */
export type Reply =
  | string
  | { structured: unknown }
  | { toolCalls: { name: string; args: Record<string, unknown> }[] }
  | AIMessage;
export type Responder = (call: ModelCall) => Reply | Promise<Reply>;

const text = (message: BaseMessage | undefined) =>
  typeof message?.content === "string" ? message.content : (message?.text ?? "");

/** Tokens as a model would roughly count them: a quarter of the characters. */
export const estimateTokens = (chars: number) => Math.ceil(chars / 4);

class ScriptedChatModel extends BaseChatModel {
  constructor(
    private readonly responder: Responder,
    private readonly request: ModelRequest,
    private readonly calls: ModelCall[],
    private readonly latency: (call: ModelCall) => number,
    private readonly onAbort: (() => void) | undefined,
    params: BaseChatModelParams = {},
  ) {
    super(params);
  }

  _llmType(): string {
    return "scripted";
  }

  /** Binds tools as real chat models do: call options on this same model (so views of it keep working). */
  override bindTools(tools: unknown[]) {
    const named = tools.map((tool) => {
      const t = tool as { name?: string; function?: { name: string } };
      return { name: t.name ?? t.function?.name ?? "tool" };
    });
    return this.withConfig({ tools: named } as Partial<this["ParsedCallOptions"]>);
  }

  async _generate(messages: BaseMessage[], options: this["ParsedCallOptions"]): Promise<ChatResult> {
    // As a real client does (fetch rejects at once): a call whose signal is already aborted is never made.
    options.signal?.throwIfAborted();
    const tools = (options as { tools?: { name: string }[] }).tools ?? [];
    const call: ModelCall = {
      ...this.request,
      messages,
      tools: tools.map((tool) => tool.name),
      system: text(messages.find((m) => m._getType() === "system")),
      prompt: text([...messages].reverse().find((m) => m._getType() === "human")),
    };
    this.calls.push(call);
    try {
      await sleep(this.latency(call), options.signal);
    } catch (error) {
      this.onAbort?.();
      throw error;
    }
    const reply = await this.responder(call);
    const message = toMessage(reply, tools);
    const promptChars = messages.reduce((sum, m) => sum + text(m).length, 0);
    const outputChars = text(message).length + JSON.stringify(message.tool_calls ?? []).length;
    message.usage_metadata = {
      input_tokens: estimateTokens(promptChars),
      output_tokens: estimateTokens(outputChars),
      total_tokens: estimateTokens(promptChars) + estimateTokens(outputChars),
    };
    return { generations: [{ message, text: text(message) }] };
  }
}

function toMessage(reply: Reply, tools: { name: string }[]): AIMessageChunk {
  if (reply instanceof AIMessage) return new AIMessageChunk({ content: reply.content, tool_calls: reply.tool_calls });
  if (typeof reply === "string") return new AIMessageChunk(reply);
  if ("structured" in reply) {
    const name = tools[tools.length - 1]?.name ?? "extract";
    return new AIMessageChunk({
      content: "",
      tool_calls: [{ name, args: reply.structured as Record<string, unknown>, id: `call_${name}` }],
    });
  }
  return new AIMessageChunk({
    content: "",
    tool_calls: reply.toolCalls.map((call, i) => ({ ...call, id: `call_${i}_${call.name}` })),
  });
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (ms <= 0) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener(
      "abort",
      () => {
        clearTimeout(timer);
        reject(signal.reason ?? new Error("aborted"));
      },
      { once: true },
    );
  });
}

export interface ScriptedProvider extends ModelProvider {
  readonly calls: ModelCall[];
  callsOf(role: ModelRole): ModelCall[];
}

/**
 * A model provider whose models answer from scripts, one responder per role (the fallback role uses the
 * worker's responder unless it has its own). No network.
 */
export function scriptedProvider(
  responders: Partial<Record<ModelRole, Responder>>,
  options: {
    latencyMs?: number | ((call: ModelCall) => number);
    configured?: boolean;
    /** Called when a call is cancelled through its signal while waiting. */
    onAbort?: () => void;
  } = {},
): ScriptedProvider {
  const calls: ModelCall[] = [];
  const latency =
    typeof options.latencyMs === "function" ? options.latencyMs : () => (options.latencyMs as number) ?? 0;
  return {
    configured: options.configured ?? true,
    calls,
    callsOf: (role) => calls.filter((call) => call.role === role),
    create(request) {
      const responder =
        responders[request.role] ??
        (request.role === "fallback" ? responders.worker : undefined) ??
        (() => {
          throw new Error(`no scripted responder for the ${request.role} role`);
        });
      return new ScriptedChatModel(responder, request, calls, latency, options.onAbort);
    },
  };
}

/** A provider error with an HTTP status, as the OpenAI client raises them. */
export function httpError(status: number, message = `HTTP ${status}`, headers: Record<string, string> = {}): Error {
  return Object.assign(new Error(message), { status, headers });
}
