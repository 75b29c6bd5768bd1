import { AIMessage, AIMessageChunk, type BaseMessage } from "@langchain/core/messages";
import { MissingGoalError } from "../errors.js";
import type { TaskRecord, TaskSpec, TaskStatus } from "../schemas.js";
import type { State } from "../state.js";
import { REVIEW_MESSAGE_NAME } from "./plan-review.js";

/** The name of the AI message that lists a plan's tasks: it is not part of the conversation the planner sees. */
export const PLAN_MESSAGE_NAME = "plan";
/** Messages of ours that are not the conversation: plans and review requests. */
const OWN_MESSAGES: ReadonlySet<string> = new Set([PLAN_MESSAGE_NAME, REVIEW_MESSAGE_NAME]);
/** How many earlier messages, and how many characters of each, the planner sees. */
const CONTEXT_MESSAGES = 6;
const CONTEXT_CHARS = 400;

const isHuman = (message: BaseMessage) => message.type === "human";

/** The thread's last human message, if any. */
export const lastHuman = (messages: readonly BaseMessage[] | undefined): BaseMessage | undefined =>
  [...(messages ?? [])].reverse().find(isHuman);

/** Whether the thread has a human message that no run has taken as its goal yet. */
export function hasNewHumanMessage(state: Pick<State, "messages" | "chatTurn">): boolean {
  const human = lastHuman(state.messages);
  return human !== undefined && human.id !== state.chatTurn;
}

/**
 * The goal a new run starts from: a goal the input gave (one not yet planned), else the new last human message's
 * text, else the goal on the thread. None is a `MissingGoalError`.
 */
export function runGoal(state: Pick<State, "goal" | "planGoal" | "messages" | "chatTurn">): {
  goal: string;
  chatTurn?: string;
} {
  const human = lastHuman(state.messages);
  const inputGoal = state.goal?.trim() && state.goal !== state.planGoal ? state.goal : undefined;
  const goal = inputGoal ?? (hasNewHumanMessage(state) ? human?.text : state.goal);
  if (!goal?.trim()) throw new MissingGoalError();
  return { goal, chatTurn: human?.id ?? state.chatTurn };
}

/**
 * The conversation before the current human message (earlier goals and answers, the last few, each clipped), one
 * line each; empty when there is none.
 */
export function conversationContext(messages: readonly BaseMessage[] | undefined): string {
  const all = messages ?? [];
  const current = all.lastIndexOf(lastHuman(all) as BaseMessage);
  const earlier = all
    .slice(0, Math.max(current, 0))
    .filter((m) => (isHuman(m) || m.type === "ai") && !OWN_MESSAGES.has(m.name ?? "") && m.text.trim());
  if (earlier.length === 0) return "";
  const lines = earlier.slice(-CONTEXT_MESSAGES).map((m) => `${isHuman(m) ? "user" : "assistant"}: ${clip(m.text)}`);
  return lines.join("\n");
}

const clip = (text: string) => (text.length > CONTEXT_CHARS ? `${text.slice(0, CONTEXT_CHARS - 1)}…` : text);

type PlanLine = Pick<TaskSpec, "id" | "worker" | "title"> & { status?: TaskStatus };

/** The id of the run's plan message: each round's progress replaces the message the chat shows. */
const planMessageId = (runId: string | undefined) => (runId ? `plan-${runId}` : undefined);

/** A task's line in the plan message: id, worker, title and (once it moved) status. */
const planLine = (task: PlanLine) =>
  `- ${task.id} (${task.worker}): ${task.title}${task.status && task.status !== "pending" ? ` — ${task.status}` : ""}`;

/**
 * A piece of the run's plan message while the plan streams: the header with the first task, a line with each next.
 * Chat clients append the pieces of one message id, so the plan grows in the chat as the planner writes it; the plan
 * message the run then stores (same id) takes its place.
 */
export function planPiece(task: PlanLine, first: boolean, runId: string): AIMessageChunk {
  return new AIMessageChunk({
    content: `${first ? "Plan:" : ""}\n${planLine(task)}`,
    name: PLAN_MESSAGE_NAME,
    id: planMessageId(runId),
  });
}

/** The one short AI message that lists a plan's tasks: id, worker, title and (once it moved) status, one line each. */
export function planMessage(tasks: readonly PlanLine[], runId?: string): AIMessage {
  const lines = tasks.map(planLine);
  return new AIMessage({
    content: [`Plan (${tasks.length} task${tasks.length === 1 ? "" : "s"}):`, ...lines].join("\n"),
    name: PLAN_MESSAGE_NAME,
    id: planMessageId(runId),
  });
}

/** The state update that announces a plan in `messages`, unless `announcePlan` is off. */
export const announcePlan = (
  settings: { announcePlan: boolean },
  tasks: readonly PlanLine[],
  runId?: string,
): { messages?: AIMessage[] } => (settings.announcePlan ? { messages: [planMessage(tasks, runId)] } : {});

/** The run's plan message again with every task's status, if the plan was announced: progress, round by round. */
export function planProgress(state: Pick<State, "messages" | "runId">, tasks: readonly TaskRecord[]) {
  const id = planMessageId(state.runId);
  if (!id || !state.messages?.some((message) => message.id === id)) return {};
  const ordered = [...tasks].sort((a, b) => a.order - b.order);
  return { messages: [planMessage(ordered, state.runId)] };
}
