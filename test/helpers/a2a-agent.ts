import { TaskState, type Message, type Task } from "@a2a-js/sdk";
import {
  AgentEvent,
  DefaultRequestHandler,
  type ExecutionEventBus,
  InMemoryTaskStore,
  type RequestContext,
} from "@a2a-js/sdk/server";
import { agentCard } from "../../src/a2a/card.js";
import { a2aRoutes, listen } from "../../src/a2a/http.js";
import { a2aMessage, artifact, dataPart, messageText, textPart } from "../../src/workers/a2a-parts.js";

/** What the scripted agent does with a message: complete, ask for input, fail or reject, after progress lines. */
export type AgentReply =
  | { complete: string; data?: unknown; progress?: string[] }
  | { ask: string }
  | { fail: string }
  | { reject: string }
  | { hang: true };

/** One message the agent received. */
export interface Received {
  text: string;
  taskId: string;
  continued: boolean;
  metadata: Record<string, unknown> | undefined;
  headers: Record<string, string>;
}

const status = (state: TaskState, text?: string) => ({
  state,
  message: text === undefined ? undefined : a2aMessage("agent", [textPart(text)]),
  timestamp: new Date().toISOString(),
});

/** A real A2A server built with `@a2a-js/sdk` (request handler, task store, JSON-RPC transport), scripted per message. */
export async function startA2aAgent(
  reply: (received: Received, index: number) => AgentReply,
  card: {
    name?: string;
    skills?: { id: string; name: string; description: string; tags: string[] }[];
    /** Every request must carry this authorization header (else 401). */
    authorization?: string;
  } = {},
) {
  const received: Received[] = [];
  /** The tasks cancelled by the caller, and the hanging tasks' releases. */
  const cancelled: string[] = [];
  const hanging = new Map<string, () => void>();
  const executor = {
    async execute(context: RequestContext, bus: ExecutionEventBus) {
      const message: Message = context.userMessage;
      const { taskId, contextId } = context;
      const headers = (context.context.state.get("headers") ?? {}) as Record<string, string>;
      const entry = {
        text: messageText(message),
        taskId,
        continued: Boolean(context.task),
        metadata: message.metadata,
        headers,
      };
      received.push(entry);
      const task: Task = context.task ?? {
        id: taskId,
        contextId,
        status: status(TaskState.TASK_STATE_SUBMITTED),
        artifacts: [],
        history: [message],
        metadata: undefined,
      };
      bus.publish(AgentEvent.task(task));
      const answer = reply(entry, received.length - 1);
      const update = (state: TaskState, text?: string) =>
        bus.publish(AgentEvent.statusUpdate({ taskId, contextId, status: status(state, text), metadata: undefined }));
      if ("complete" in answer) {
        for (const line of answer.progress ?? []) update(TaskState.TASK_STATE_WORKING, line);
        const parts = [textPart(answer.complete), ...(answer.data === undefined ? [] : [dataPart(answer.data)])];
        bus.publish(
          AgentEvent.artifactUpdate({
            taskId,
            contextId,
            artifact: artifact("result", parts),
            append: false,
            lastChunk: true,
            metadata: undefined,
          }),
        );
        update(TaskState.TASK_STATE_COMPLETED);
      } else if ("ask" in answer) update(TaskState.TASK_STATE_INPUT_REQUIRED, answer.ask);
      else if ("hang" in answer) {
        update(TaskState.TASK_STATE_WORKING, "thinking");
        await new Promise<void>((release) => hanging.set(taskId, release));
      } else if ("fail" in answer) update(TaskState.TASK_STATE_FAILED, answer.fail);
      else update(TaskState.TASK_STATE_REJECTED, answer.reject);
      bus.finished();
    },
    async cancelTask(taskId: string, bus: ExecutionEventBus) {
      cancelled.push(taskId);
      hanging.get(taskId)?.();
      bus.publish(
        AgentEvent.statusUpdate({
          taskId,
          contextId: "",
          status: status(TaskState.TASK_STATE_CANCELED),
          metadata: undefined,
        }),
      );
    },
  };
  const skills = card.skills ?? [];
  const served = agentCard({ name: card.name ?? "Scripted agent", description: "A scripted A2A agent.", skills }, "");
  const handler = new DefaultRequestHandler(served, new InMemoryTaskStore(), executor);
  const routes = a2aRoutes(handler);
  const server = await listen((request) =>
    card.authorization && request.headers.get("authorization") !== card.authorization
      ? new Response("Unauthorized", { status: 401 })
      : routes.fetch(request),
  );
  const url = `http://127.0.0.1:${server.port}`;
  for (const face of served.supportedInterfaces) face.url = url;
  return { url, received, cancelled, close: server.close };
}
