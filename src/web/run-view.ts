import type { OrchestratorEvent } from "../events.js";
import type { AttemptRecord, DeadLetter, DroppedEdge, TaskRecord, TaskResult } from "../schemas.js";

/** A task's status as the web view shows it: the state's, plus `failed` between a failed attempt and the next. */
export type ViewStatus = "pending" | "running" | "failed" | "done" | "dead" | "skipped";

/** One attempt of a task, as the side panel lists it. */
export interface AttemptView {
  attempt: number;
  ok: boolean;
  durationMs: number;
  error?: string;
  params?: string;
}

/** One task node of the view. */
export interface TaskView {
  id: string;
  title: string;
  worker: string;
  status: ViewStatus;
  dependsOn: string[];
  origin: TaskRecord["origin"];
  attempts: number;
  durationMs?: number;
  /** The task that proposed this follow-up, or the parent of an expanded subtask. */
  from?: string;
  /** Subtasks of an expanded task. */
  children?: string[];
  output?: string;
  error?: string;
  reason?: string;
  attemptLog: AttemptView[];
}

/** The picture of one run: what the page renders (before layout). */
export interface RunView {
  threadId: string;
  goal: string;
  /** `running` while a run is streaming on the thread, `idle` otherwise. */
  phase: "running" | "synthesizing" | "idle";
  tasks: TaskView[];
  droppedEdges: DroppedEdge[];
  deadLetters: { taskId: string; worker: string; error: string; attempts: number }[];
  answer: string;
  notes: string[];
  /** A plan review waiting for a human: what it asks. */
  review?: string;
  /** An interrupt inside a worker (a graph worker's `interrupt()`) waiting for an answer: what it asks. */
  question?: string;
}

/** The state keys the view reads (the graph's output, from a checkpoint or a `values` stream chunk). */
export interface ViewState {
  goal?: string;
  tasks?: Record<string, TaskRecord>;
  results?: Record<string, TaskResult>;
  deadLetters?: DeadLetter[];
  droppedEdges?: DroppedEdge[];
  answer?: string;
  notes?: string[];
  pendingReview?: { kind: "approve_plan" | "manual_breakdown"; tasks: unknown[] } | null;
  /** The values of the interrupts the thread waits at: from the checkpoint's pending tasks, not a state key. */
  interrupts?: unknown[];
}

/** A thread's snapshot as the view reads it: a `getState` result of the graph or of the SDK. */
export const viewStateOf = (snapshot: {
  values?: unknown;
  tasks?: readonly { interrupts?: readonly { value?: unknown }[] }[];
}): ViewState => ({
  ...(snapshot.values as ViewState | undefined),
  interrupts: (snapshot.tasks ?? []).flatMap((task) => (task.interrupts ?? []).map((pending) => pending.value)),
});

/** Outputs longer than this are cut in the view (the side panel says so). */
export const OUTPUT_CHARS = 4_000;

const errorText = (error: { kind: string; message: string }) => `${error.kind}: ${error.message}`;

const clip = (text: string) =>
  text.length > OUTPUT_CHARS
    ? `${text.slice(0, OUTPUT_CHARS)}\n… (${text.length - OUTPUT_CHARS} more characters)`
    : text;

const attemptView = (record: AttemptRecord): AttemptView => {
  // The model settings of an attempt that called no model (a plain function) would only mislead.
  const { model, temperature, note } = record.usage.modelCalls > 0 ? record.params : {};
  const params = [model, temperature === undefined ? undefined : `t=${temperature}`, note].filter(Boolean).join(" ");
  return {
    attempt: record.attempt,
    ok: record.ok,
    durationMs: Math.round(record.durationMs),
    ...(record.error ? { error: errorText(record.error) } : {}),
    ...(params ? { params } : {}),
  };
};

/** An empty view of a thread. */
export const emptyView = (threadId: string, goal = ""): RunView => ({
  threadId,
  goal,
  phase: "idle",
  tasks: [],
  droppedEdges: [],
  deadLetters: [],
  answer: "",
  notes: [],
});

/** The view of a checkpointed state: tasks in plan order with their results, dead letters, dropped edges, answer. */
export function viewFromState(threadId: string, state: ViewState): RunView {
  const results = state.results ?? {};
  const proposer = new Map<string, string>();
  for (const result of Object.values(results))
    for (const followUp of result.followUps ?? []) proposer.set(followUp.id, result.taskId);
  const letters = new Map((state.deadLetters ?? []).map((letter) => [letter.taskId, letter]));
  const tasks = Object.values(state.tasks ?? {})
    .sort((a, b) => a.order - b.order)
    .map((task): TaskView => {
      const result = results[task.id];
      const attempts = result?.attempts ?? letters.get(task.id)?.attempts ?? [];
      const error = task.status === "done" ? undefined : (letters.get(task.id)?.error ?? result?.error);
      const from = task.parent ?? proposer.get(task.id);
      return {
        id: task.id,
        title: task.title,
        worker: task.worker,
        status: task.status,
        dependsOn: task.dependsOn,
        origin: task.origin,
        attempts: task.attempts,
        ...(result ? { durationMs: Math.round(result.durationMs), output: clip(result.output) } : {}),
        ...(from ? { from } : {}),
        ...(task.children ? { children: task.children } : {}),
        ...(error ? { error: errorText(error) } : {}),
        ...(task.reason ? { reason: task.reason } : {}),
        attemptLog: attempts.map(attemptView),
      };
    });
  return {
    ...emptyView(threadId, state.goal ?? ""),
    tasks,
    droppedEdges: state.droppedEdges ?? [],
    deadLetters: (state.deadLetters ?? []).map((letter) => ({
      taskId: letter.taskId,
      worker: letter.task.worker,
      error: errorText(letter.error),
      attempts: letter.attempts.length,
    })),
    answer: state.answer ?? "",
    notes: state.notes ?? [],
    // A plan review is an interrupt too, shown as the review it is.
    ...(state.pendingReview
      ? { review: reviewText(state.pendingReview) }
      : state.interrupts?.length
        ? {
            question: state.interrupts
              .map((value) => `A worker waits for an answer: ${JSON.stringify(value)}`)
              .join("\n"),
          }
        : {}),
  };
}

const reviewText = (review: NonNullable<ViewState["pendingReview"]>) =>
  review.kind === "approve_plan"
    ? `Waiting for a plan review: ${review.tasks.length} proposed task(s) to approve, edit or reject.`
    : "Planning failed: waiting for a human to write the plan.";

const STAGE: Record<ViewStatus, number> = { pending: 0, running: 1, failed: 1, done: 2, dead: 2, skipped: 2 };

/** A task as the live events of the current run have it. */
export type LiveTask = Pick<TaskView, "status"> &
  Partial<Pick<TaskView, "attempts" | "durationMs" | "error" | "reason" | "title" | "worker" | "dependsOn" | "from">>;

/**
 * Folds one lifecycle event into the live overlay (task id → what the events say). Events run ahead of checkpoints:
 * a worker's `task.done` arrives before its result is in state.
 */
export function applyEvent(live: Map<string, LiveTask>, event: OrchestratorEvent): void {
  for (const [id, patch] of livePatches(event, live)) live.set(id, { ...live.get(id), ...patch });
}

function livePatches(event: OrchestratorEvent, live: ReadonlyMap<string, LiveTask>): [string, LiveTask][] {
  switch (event.type) {
    case "plan.created":
      return event.tasks
        .filter((task) => !live.has(task.id))
        .map((task) => [
          task.id,
          { status: "pending", title: task.title, worker: task.worker, dependsOn: task.dependsOn },
        ]);
    case "task.started":
    case "task.retrying":
      return [[event.taskId, { status: "running", worker: event.worker, attempts: event.attempt }]];
    case "task.failed":
      return [
        [
          event.taskId,
          { status: "failed", worker: event.worker, attempts: event.attempt, error: errorText(event.error) },
        ],
      ];
    case "task.done":
      return [
        [
          event.taskId,
          {
            status: "done",
            worker: event.worker,
            attempts: event.attempts,
            durationMs: Math.round(event.durationMs),
            error: undefined,
          },
        ],
      ];
    case "task.dead":
      return [
        [
          event.taskId,
          { status: "dead", worker: event.worker, attempts: event.attempts, error: errorText(event.error) },
        ],
      ];
    case "task.skipped":
      return [[event.taskId, { status: "skipped", worker: event.worker, reason: event.reason }]];
    case "task.follow_up":
      return event.accepted && !live.has(event.taskId)
        ? [[event.taskId, { status: "pending", worker: event.worker, from: event.from }]]
        : [];
    default:
      return [];
  }
}

/**
 * The view with the live overlay on top: a task's live status wins unless the checkpoint is further along
 * (a live `running` never hides a checkpointed `done`); tasks only the events know yet are appended. While
 * events flow, a task the checkpoint calls running but that has not started (it waits in a worker's chain) is
 * pending.
 */
export function overlay(view: RunView, live: ReadonlyMap<string, LiveTask>, phase: RunView["phase"]): RunView {
  const known = new Set(view.tasks.map((task) => task.id));
  const tasks = view.tasks.map((task): TaskView => {
    const now = live.get(task.id);
    const checkpointed: TaskView =
      live.size > 0 && task.status === "running" && !task.children ? { ...task, status: "pending" } : task;
    if (!now || STAGE[now.status] < STAGE[checkpointed.status]) return checkpointed;
    return { ...task, ...now, title: task.title, dependsOn: task.dependsOn, from: task.from ?? now.from };
  });
  for (const [id, now] of live) {
    if (!known.has(id)) {
      tasks.push({
        id,
        title: now.title ?? id,
        worker: now.worker ?? "",
        dependsOn: now.dependsOn ?? [],
        origin: now.from ? "follow-up" : "plan",
        attempts: 0,
        attemptLog: [],
        ...now,
      });
    }
  }
  const deadLetters = [...view.deadLetters];
  for (const task of tasks) {
    if (task.status === "dead" && !deadLetters.some((letter) => letter.taskId === task.id)) {
      deadLetters.push({ taskId: task.id, worker: task.worker, error: task.error ?? "", attempts: task.attempts });
    }
  }
  return { ...view, phase, tasks, deadLetters };
}

/** The run's phase after an event: synthesis shows as its own phase. */
export const phaseAfter = (phase: RunView["phase"], event: OrchestratorEvent): RunView["phase"] =>
  event.type === "synthesis.started" ? "synthesizing" : phase === "idle" ? "running" : phase;
