import type { BaseCallbackHandler } from "@langchain/core/callbacks/base";
import type { Callbacks } from "@langchain/core/callbacks/manager";
import type { RunnableConfig } from "@langchain/core/runnables";

/** The handler LangGraph adds for the `messages` stream mode (chat clients build the conversation from it). */
const MESSAGES_HANDLER = "StreamMessagesHandler";
/** Where LangGraph hands a nested graph the stream of its parent run (LangGraph.js 1.7 internals). */
const PARENT_STREAM_KEY = "__pregel_stream";

type ParentStream = { modes: Set<string>; push(chunk: unknown): void };

const withoutMessagesHandler = (callbacks: Callbacks | undefined): Callbacks | undefined => {
  if (!callbacks) return callbacks;
  const isMessages = (handler: unknown) => (handler as BaseCallbackHandler).name === MESSAGES_HANDLER;
  if (Array.isArray(callbacks)) return callbacks.filter((handler) => !isMessages(handler));
  const copy = callbacks.copy();
  for (const handler of copy.handlers.filter(isMessages)) copy.removeHandler(handler);
  return copy;
};

/** The parent's stream as a nested graph sees it: every mode but `values`. */
const withoutValues = (stream: ParentStream): ParentStream => ({
  modes: new Set([...stream.modes].filter((mode) => mode !== "values")),
  push: (chunk) => stream.push(chunk),
});

/**
 * The config a task's run gets so that a worker's insides never replace the chat: its model calls and its agent's
 * steps stay off the `messages` stream, and its nested graphs send no `values` (whose `messages` chat clients on SDK
 * < 1.15 take as the thread's). Their `updates`, `custom` events and traces still flow, under the task's namespace.
 */
export function offChatStream(config: RunnableConfig): Pick<RunnableConfig, "callbacks" | "configurable"> {
  const parent = config.configurable?.[PARENT_STREAM_KEY] as ParentStream | undefined;
  return {
    callbacks: withoutMessagesHandler(config.callbacks),
    configurable: { ...config.configurable, ...(parent ? { [PARENT_STREAM_KEY]: withoutValues(parent) } : {}) },
  };
}
