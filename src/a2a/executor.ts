/** The orchestrator as an A2A agent executor: an A2A task is a thread, its run's progress status updates. */
import { TaskState, type Message, type Task } from "@a2a-js/sdk";
import { AgentEvent, type AgentExecutor, type ExecutionEventBus, type RequestContext } from "@a2a-js/sdk/server";
import type { OrchestratorEvent, RunSummary } from "../index.js";
import type { PlanInput } from "../schemas.js";
import { formatEvent, reviewListing } from "../cli/event-lines.js";
import { handoffMessage } from "../worker-contract.js";
import { a2aMessage, artifact, dataPart, messageText, partsData, textPart } from "../workers/a2a-parts.js";

/** One run's options as the agent passes them. */
export interface A2aRunRequest {
  threadId: string;
  signal: AbortSignal;
  onEvent: (event: OrchestratorEvent) => void;
  plan?: PlanInput;
  /** The A2A request's HTTP headers (a server-backed runner passes the caller's credentials on). */
  headers?: Record<string, string>;
}

/** What the agent runs goals on: an `Orchestrator` (in this process), or a LangGraph server's API. */
export interface A2aRuns {
  run(goal: string, request: A2aRunRequest): Promise<RunSummary>;
  resume(threadId: string, answer: unknown, request: Omit<A2aRunRequest, "threadId" | "plan">): Promise<RunSummary>;
}

/** What an input-required status carries in its data part, so the answer can be read against it. */
type Pending = { review: NonNullable<RunSummary["review"]> } | { interrupt: unknown };

const HOW_TO_ANSWER =
  'Answer "approve", "reject <reason>", or send a data part { "action": "edit", "plan": { "tasks": [...] } }.';

/** Publishes one task's events. */
function publisher(bus: ExecutionEventBus, taskId: string, contextId: string) {
  return (state: TaskState, parts: Message["parts"] | string, metadata?: Record<string, unknown>) =>
    bus.publish(
      AgentEvent.statusUpdate({
        taskId,
        contextId,
        status: {
          state,
          message: a2aMessage("agent", typeof parts === "string" ? [textPart(parts)] : parts, { taskId, contextId }),
          timestamp: new Date().toISOString(),
        },
        metadata,
      }),
    );
}

/** The goal and an optional plan of a first message: its text, and a data part's `plan`. */
function goalOf(message: Message): { goal: string; plan?: PlanInput } {
  const plan = partsData(message.parts).find((data) => (data as { plan?: unknown })?.plan !== undefined) as
    | { plan: PlanInput }
    | undefined;
  const goal = message.parts.flatMap((p) => (p.content?.$case === "text" ? [p.content.value] : [])).join("\n");
  return { goal: goal.trim(), ...(plan ? { plan: plan.plan } : {}) };
}

/** The answer a message gives to what the task waits for; undefined when it is not an answer to a plan review. */
function answerOf(message: Message, pending: Pending | undefined): unknown {
  const [data] = partsData(message.parts);
  if (data !== undefined) return data;
  const text = messageText(message).trim();
  if (!pending || !("review" in pending)) return text;
  if (/^(approve|approved|yes|ok)\b/i.test(text)) return { action: "approve" };
  const reject = /^reject(?:ed)?\b[\s:,-]*([\s\S]*)$/i.exec(text);
  return reject ? { action: "reject", ...(reject[1] ? { reason: reject[1] } : {}) } : undefined;
}

/** What a task waiting for input waits for, from its status message's data part. */
const pendingOf = (task: Task | undefined): Pending | undefined =>
  task?.status?.state === TaskState.TASK_STATE_INPUT_REQUIRED
    ? (partsData(task.status.message?.parts)[0] as Pending | undefined)
    : undefined;

/** A run that stopped for a human as an input-required status; a finished one as its answer artifact, completed. */
function publishOutcome(bus: ExecutionEventBus, ids: { taskId: string; contextId: string }, summary: RunSummary) {
  const status = publisher(bus, ids.taskId, ids.contextId);
  if (summary.review) {
    const lines = reviewListing(summary.review, "Planning failed: break the goal down by hand.");
    return status(TaskState.TASK_STATE_INPUT_REQUIRED, [
      textPart(`${lines.join("\n")}\n\n${HOW_TO_ANSWER}`),
      dataPart({ review: summary.review }),
    ]);
  }
  if (summary.interrupt !== undefined) {
    const question = (summary.interrupt as { question?: unknown })?.question ?? summary.interrupt;
    const text = typeof question === "string" ? question : JSON.stringify(question);
    return status(TaskState.TASK_STATE_INPUT_REQUIRED, [textPart(text), dataPart({ interrupt: summary.interrupt })]);
  }
  const record = {
    status: summary.status,
    tasks: summary.tasks.map(({ id, worker, status, attempts }) => ({ id, worker, status, attempts })),
    deadLetters: summary.deadLetters.map(({ taskId, error }) => ({ taskId, error })),
    usage: summary.usage,
  };
  bus.publish(
    AgentEvent.artifactUpdate({
      ...ids,
      artifact: artifact("answer", [textPart(summary.answer), dataPart(record)], "The run's synthesized answer."),
      append: false,
      lastChunk: true,
      metadata: undefined,
    }),
  );
  const gaps = summary.status === "partial" ? ` (partial: ${summary.deadLetters.length} task(s) dead-lettered)` : "";
  status(TaskState.TASK_STATE_COMPLETED, `Run ${summary.status}${gaps}.`);
}

/**
 * Runs each A2A task as a run on the thread of the task's id: a first message's text is the goal, a message to a task
 * waiting for input answers it (a plan review, or a worker's question); every lifecycle event streams as a working
 * status update (its handoff message in the metadata); cancelling the task cancels the run.
 */
export class OrchestratorExecutor implements AgentExecutor {
  /** The tasks running or waiting for input here: the run's stop, and the task's context. */
  private readonly tasks = new Map<string, { stop: AbortController; contextId: string }>();

  constructor(private readonly runs: A2aRuns) {}

  async execute(context: RequestContext, bus: ExecutionEventBus): Promise<void> {
    const { taskId, contextId, task, userMessage } = context;
    const ids = { taskId, contextId };
    const status = publisher(bus, taskId, contextId);
    bus.publish(AgentEvent.task(task ?? newTask(taskId, contextId, userMessage)));
    const pending = pendingOf(task);
    const answer = pending ? answerOf(userMessage, pending) : undefined;
    if (pending && answer === undefined) return void status(TaskState.TASK_STATE_INPUT_REQUIRED, HOW_TO_ANSWER);
    const stop = new AbortController();
    this.tasks.set(taskId, { stop, contextId });
    const request = {
      signal: stop.signal,
      headers: (context.context.state.get("headers") ?? {}) as Record<string, string>,
      onEvent: (event: OrchestratorEvent) =>
        status(TaskState.TASK_STATE_WORKING, formatEvent(event), { handoff: handoffMessage("event", event) }),
    };
    let waiting = false;
    try {
      let summary: RunSummary;
      if (pending) summary = await this.runs.resume(taskId, answer, request);
      else {
        const { goal, plan } = goalOf(userMessage);
        if (!goal) return void status(TaskState.TASK_STATE_REJECTED, "Send the goal as a text part.");
        status(TaskState.TASK_STATE_WORKING, "Planning.");
        summary = await this.runs.run(goal, { ...request, threadId: taskId, ...(plan ? { plan } : {}) });
      }
      waiting = summary.status === "interrupted";
      publishOutcome(bus, ids, summary);
    } catch (error) {
      if (!stop.signal.aborted) status(TaskState.TASK_STATE_FAILED, `The run failed: ${(error as Error).message}`);
    } finally {
      // A task waiting for input stays known here: a cancel then names its context.
      if (!waiting) this.tasks.delete(taskId);
    }
  }

  /** Cuts every run in flight (they resume from their checkpoints): the agent is closing. */
  stopAll(): void {
    for (const { stop } of this.tasks.values()) stop.abort();
  }

  async cancelTask(taskId: string, bus: ExecutionEventBus): Promise<void> {
    const run = this.tasks.get(taskId);
    this.tasks.delete(taskId);
    run?.stop.abort();
    publisher(bus, taskId, run?.contextId ?? "")(TaskState.TASK_STATE_CANCELED, "The run was cancelled.");
  }
}

/** A new task, submitted with the message that starts it. */
const newTask = (id: string, contextId: string, message: Message): Task => ({
  id,
  contextId,
  status: { state: TaskState.TASK_STATE_SUBMITTED, message: undefined, timestamp: new Date().toISOString() },
  artifacts: [],
  history: [message],
  metadata: { threadId: id },
});
