import type { Client, Command, Interrupt, Message } from "@langchain/langgraph-sdk";
import { extractInterrupts, MessageTupleManager, StreamManager } from "@langchain/langgraph-sdk/ui";

/** The stream modes and options Agent Chat UI (fdc87e6, SDK 1.8.10) sends with every run. */
export const AGENT_CHAT_UI_REQUEST = {
  streamMode: ["values", "messages-tuple", "custom"] as ("values" | "messages-tuple" | "custom")[],
  streamSubgraphs: true,
};

/** One stream event as the SDK's stream manager received it, and the chat it rendered right after it. */
export interface Frame {
  event: string;
  data: unknown;
  messages: Message[];
}

type Values = { messages?: Message[]; __interrupt__?: Interrupt[] };

/**
 * A chat client made of the SDK's own stream handling (`StreamManager`, which `useStream` runs): each submit streams a
 * run with Agent Chat UI's request, folds every event into the thread's values and records the messages a chat UI
 * would render after it; when the run ends it reads the thread's state as `useStream` refetches it.
 */
export class ChatClient {
  readonly frames: Frame[] = [];
  private readonly manager = new StreamManager<Values>(new MessageTupleManager(), { throttle: false });
  private history: Values = {};
  private threadState: Awaited<ReturnType<Client["threads"]["getState"]>> | undefined;

  constructor(
    private readonly client: Client,
    readonly threadId: string,
    private readonly assistant: string,
    private readonly context: Record<string, unknown> = {},
  ) {}

  /** The messages a chat UI renders now. */
  get messages(): Message[] {
    return (this.manager.values ?? this.history).messages ?? [];
  }

  /** The interrupt a chat UI shows now, as `useStream`'s `interrupt` finds it. */
  get interrupt(): Interrupt | undefined {
    return extractInterrupts(this.manager.values ?? this.history, {
      isLoading: this.manager.isLoading,
      threadState: this.threadState as never,
      error: this.manager.error,
    });
  }

  /** The thread's state values now, as the server has them. */
  async state(): Promise<Record<string, unknown>> {
    return (await this.client.threads.getState(this.threadId)).values as Record<string, unknown>;
  }

  /** Sends a human message as Agent Chat UI does: content as text blocks, settings as the run's context. */
  say(text: string): Promise<Frame[]> {
    const message = { type: "human", content: [{ type: "text", text }] };
    return this.run({ input: { messages: [message] } });
  }

  /** Answers the pending interrupt (or sends any other command) as Agent Chat UI's inbox does. */
  command(command: Command): Promise<Frame[]> {
    return this.run({ input: {}, command });
  }

  private async run(payload: { input: Record<string, unknown>; command?: Command }): Promise<Frame[]> {
    const first = this.frames.length;
    this.manager.clear();
    let failure: unknown;
    await this.manager.start(
      async (signal) => {
        const stream = this.client.runs.stream(this.threadId, this.assistant, {
          ...payload,
          ...AGENT_CHAT_UI_REQUEST,
          context: this.context,
          signal,
        });
        return this.record(stream as AsyncGenerator<{ event: string; data: unknown }>);
      },
      {
        getMessages: (values) => values.messages ?? [],
        setMessages: (values, messages) => ({ ...values, messages }),
        initialValues: this.history,
        callbacks: {},
        onSuccess: async () => {
          await this.refresh();
          return this.history;
        },
        onError: (error) => {
          failure = error;
        },
      },
    );
    if (failure) throw failure;
    return this.frames.slice(first);
  }

  /** Passes the events on to the stream manager, noting after each one the messages it renders. */
  private async *record(stream: AsyncGenerator<{ event: string; data: unknown }>) {
    for await (const part of stream) {
      yield part as never;
      this.frames.push({ event: part.event, data: part.data, messages: this.messages });
    }
  }

  private async refresh(): Promise<void> {
    this.threadState = await this.client.threads.getState(this.threadId);
    this.history = this.threadState.values as Values;
  }
}

/** A message as a chat renders it: its type, name and text. */
export function rendered(message: Message): string {
  const content = message.content;
  const text =
    typeof content === "string"
      ? content
      : content.map((part) => ("text" in part && typeof part.text === "string" ? part.text : "")).join("");
  const calls = message.type === "ai" && message.tool_calls?.length ? ` [${message.tool_calls.length} calls]` : "";
  return `${message.type}${message.name ? `(${message.name})` : ""}: ${text}${calls}`;
}
