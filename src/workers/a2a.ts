/** The A2A worker kind: a task handed to a remote agent over the Agent2Agent protocol, as `@a2a-js/sdk` speaks it. */
import { TaskState, type AgentCard, type Message, type Part, type Task } from "@a2a-js/sdk";
import {
  type Client,
  ClientFactory,
  ClientFactoryOptions,
  DefaultAgentCardResolver,
  JsonRpcTransportFactory,
  RestTransportFactory,
} from "@a2a-js/sdk/client";
import { interrupt, isGraphBubbleUp } from "@langchain/langgraph";
import { HANDOFF_VERSION } from "../worker-contract.js";
import type { WorkerInput } from "../schemas.js";
import type { A2aWorker, WorkerOutput } from "../worker-contract.js";
import { a2aMessage, dataPart, messageText, partsData, partsText, textPart } from "./a2a-parts.js";
import type { Attempt } from "./attempt.js";
import { AttemptFailure } from "../errors.js";
import { classifyError } from "./classify.js";
import { fencedTaskPrompt } from "./graph.js";

/** What an `input-required` reply of a remote agent pauses the run with; `resume(threadId, answer)` answers it. */
export interface A2aQuestion {
  kind: "a2a_input_required";
  worker: string;
  taskId: string;
  agent: string;
  question: string;
  data?: unknown[];
}

/** `fetch` with the worker's configured headers on every request. */
const fetchWith =
  (headers: Record<string, string> = {}): typeof fetch =>
  (input, init) => {
    const merged = new Headers(init?.headers);
    for (const [name, value] of Object.entries(headers)) merged.set(name, value);
    return fetch(input, { ...init, headers: merged });
  };

/** A client factory speaking JSON-RPC and REST (A2A 1.0, and 0.3 for older agents), with the worker's headers. */
export function clientFactory(headers?: Record<string, string>): ClientFactory {
  const fetchImpl = fetchWith(headers);
  const legacyCompat = { enabled: true };
  return new ClientFactory(
    ClientFactoryOptions.createFrom(ClientFactoryOptions.default, {
      transports: [
        new JsonRpcTransportFactory({ fetchImpl, legacyCompat }),
        new RestTransportFactory({ fetchImpl, legacyCompat }),
      ],
      cardResolver: new DefaultAgentCardResolver({ fetchImpl, legacyCompat }),
    }),
  );
}

/** The base the card path resolves against: an agent mounted under a path (`…/a2a`) keeps it. */
const cardBase = (url: string) => (url.endsWith("/") ? url : `${url}/`);

const clients = new WeakMap<A2aWorker, Promise<Client>>();

/** The worker's client, from its agent card (fetched once per worker; again after a failure). */
function clientOf(worker: A2aWorker): Promise<Client> {
  let client = clients.get(worker);
  if (!client) {
    client = clientFactory(worker.headers).createFromUrl(cardBase(worker.url));
    clients.set(worker, client);
    client.catch(() => clients.delete(worker));
  }
  return client;
}

/** How long a card may take to come: an agent that never answers must not hold up a command's start. */
const CARD_TIMEOUT_MS = 10_000;

/** Reads a remote agent's card. */
export async function fetchAgentCard(url: string, headers?: Record<string, string>): Promise<AgentCard> {
  const fetchImpl = fetchWith(headers);
  try {
    return await new DefaultAgentCardResolver({
      fetchImpl: (input, init) =>
        fetchImpl(input, { ...init, signal: init?.signal ?? AbortSignal.timeout(CARD_TIMEOUT_MS) }),
      legacyCompat: { enabled: true },
    }).resolve(cardBase(url));
  } catch (error) {
    throw a2aFailure(error, url);
  }
}

/** The status code an SDK error reports in its message ("HTTP error … Status: 503", "… Agent Card from …: 404"). */
const statusIn = (message: string): number | undefined => {
  const status = /(?:Status: |Agent Card from \S+: |stream for \S+: )(\d{3})\b/.exec(message)?.[1];
  return status === undefined ? undefined : Number(status);
};

/** Any error of an exchange with the agent as a classified failure naming its URL. */
export function a2aFailure(error: unknown, url: string): unknown {
  if (error instanceof AttemptFailure || isGraphBubbleUp(error)) return error;
  const message = (error as Error)?.message ?? String(error);
  const code = ((error as { cause?: { code?: string } })?.cause as { code?: string } | undefined)?.code;
  const status = statusIn(message);
  const { kind, retryable } = classifyError(status === undefined ? error : { status, message });
  return new AttemptFailure(kind, `A2A agent at ${url}: ${message}${code ? ` (${code})` : ""}`, retryable);
}

/** The failure a task that did not complete comes to, by its final state. */
function failureOf(task: Task, url: string): AttemptFailure {
  const reason = messageText(task.status?.message) || "no reason given";
  const state = task.status?.state;
  const at = `A2A agent at ${url}`;
  if (state === TaskState.TASK_STATE_REJECTED)
    return new AttemptFailure("refusal", `${at} rejected the task: ${reason}`, false);
  if (state === TaskState.TASK_STATE_CANCELED)
    return new AttemptFailure("aborted", `${at} cancelled the task: ${reason}`, false);
  if (state === TaskState.TASK_STATE_AUTH_REQUIRED) {
    return new AttemptFailure("auth", `${at} asks for authentication: ${reason}`, false);
  }
  if (state === TaskState.TASK_STATE_FAILED) return new AttemptFailure("worker", `${at} failed the task: ${reason}`);
  return new AttemptFailure("worker", `${at} stopped with the task in state ${TaskState[state ?? 0]}: ${reason}`);
}

/** The result of a completed task's artifacts (else its last status message), or of a plain message's parts. */
function resultOf(parts: Part[], url: string, status?: Message): WorkerOutput {
  const output = partsText(parts) || messageText(status);
  if (!output.trim()) throw new AttemptFailure("empty", `A2A agent at ${url} completed the task with no text`);
  const data = partsData(parts);
  return data.length === 0 ? { output } : { output, data: data.length === 1 ? data[0] : data };
}

/**
 * Sends one message and follows the task it starts (or continues) to its next stop: a completed, failed, rejected,
 * cancelled, input- or auth-required task, or a plain message. Status updates with text become progress events.
 */
async function exchange(client: Client, message: Message, input: WorkerInput, worker: A2aWorker, attempt: Attempt) {
  let task: Task | undefined;
  const params = { tenant: "", message, configuration: undefined, metadata: undefined };
  try {
    for await (const { payload } of client.sendMessageStream(params, { signal: attempt.signal })) {
      if (payload?.$case === "message") return payload.value;
      if (payload?.$case === "task") task = payload.value;
      else if (payload?.$case === "statusUpdate" && task) {
        task = { ...task, status: payload.value.status };
        const text = messageText(payload.value.status?.message);
        if (text && payload.value.status?.state === TaskState.TASK_STATE_WORKING) {
          attempt.emit({ type: "task.progress", taskId: input.task.id, worker: worker.name, message: text });
        }
      } else if (payload?.$case === "artifactUpdate" && task && payload.value.artifact) {
        const update = payload.value.artifact;
        const earlier = task.artifacts.find((artifact) => artifact.artifactId === update.artifactId);
        const merged =
          earlier && payload.value.append ? { ...earlier, parts: [...earlier.parts, ...update.parts] } : update;
        task = { ...task, artifacts: [...task.artifacts.filter((a) => a.artifactId !== update.artifactId), merged] };
      }
    }
  } catch (error) {
    // The attempt's time limit (or the run) stopped it: the agent is told, as far as it listens.
    if (attempt.signal.aborted && task)
      void client.cancelTask({ tenant: "", id: task.id, metadata: undefined }).catch(() => undefined);
    throw error;
  }
  if (!task) throw new AttemptFailure("empty", `A2A agent at ${worker.url} answered with neither a task nor a message`);
  return task;
}

/**
 * Runs an A2A worker's attempt: the task (its dependencies' results routed and fenced, as for any worker) goes out as
 * a message; a completed task's artifacts are the result. An `input-required` reply asks here with LangGraph's
 * `interrupt()`: the run pauses with the question, and when it resumes the task runs again from its first message,
 * each question the agent asks again answered with the answer given before, in order.
 */
export async function runA2aWorker(
  input: WorkerInput,
  worker: A2aWorker,
  feedback: string | undefined,
  attempt: Attempt,
): Promise<WorkerOutput> {
  const metadata = { handoffVersion: HANDOFF_VERSION, taskId: input.task.id, dispatch: input.dispatch };
  let message = a2aMessage("user", [textPart(fencedTaskPrompt(input, feedback))], { metadata });
  try {
    const client = await clientOf(worker);
    for (;;) {
      const reply = await exchange(client, message, input, worker, attempt);
      // A plain message answers at once, without a task.
      if (!("status" in reply)) return resultOf(reply.parts, worker.url);
      if (reply.status?.state === TaskState.TASK_STATE_COMPLETED) {
        return resultOf(
          reply.artifacts.flatMap((artifact) => artifact.parts),
          worker.url,
          reply.status.message,
        );
      }
      if (reply.status?.state !== TaskState.TASK_STATE_INPUT_REQUIRED) throw failureOf(reply, worker.url);
      const data = partsData(reply.status.message?.parts);
      const question: A2aQuestion = {
        kind: "a2a_input_required",
        worker: worker.name,
        taskId: input.task.id,
        agent: worker.url,
        question: messageText(reply.status.message),
        ...(data.length ? { data } : {}),
      };
      const answer = interrupt(question);
      const parts = typeof answer === "string" ? [textPart(answer)] : [dataPart(answer)];
      message = a2aMessage("user", parts, { taskId: reply.id, contextId: reply.contextId, metadata });
    }
  } catch (error) {
    throw a2aFailure(error, worker.url);
  }
}
