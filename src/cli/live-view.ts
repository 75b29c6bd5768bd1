import { createLogUpdate } from "log-update";
import picocolors from "picocolors";
import type { OrchestratorEvent } from "../events.js";
import { fit, shortDuration } from "./event-lines.js";
import { terminalText } from "./terminal-text.js";
import type { TaskRecord } from "../schemas.js";

/** Where a task stands in the live view; finer than the state's status (queued, retrying, failed). */
export type TaskPhase =
  | "waiting"
  | "queued"
  | "running"
  | "retrying"
  | "failed"
  | "done"
  | "dead"
  | "skipped"
  | "expanded";

/** One task line of the live view. */
export interface TaskLine {
  id: string;
  worker: string;
  phase: TaskPhase;
  /** The attempt running or last run (0 before the first). */
  attempt: number;
  /** When the current dispatch started its first attempt (ms since the epoch). */
  startedAt?: number;
  /** When the dispatch stopped: done, or its last attempt failed. */
  endedAt?: number;
  tokens: number;
  note?: string;
}

const TERMINAL: ReadonlySet<TaskPhase> = new Set(["done", "dead", "skipped"]);
const ACTIVE: ReadonlySet<TaskPhase> = new Set(["running", "retrying", "failed"]);

/** An event about one task. */
type TaskEvent = Exclude<Extract<OrchestratorEvent, { taskId: string }>, { type: "task.follow_up" }>;

/** What the live view knows of a run, built from lifecycle events alone (a pure state machine). */
export class RunProgress {
  private readonly tasks = new Map<string, TaskLine>();
  /** Tasks queued since the last plan: with streamed planning they start before their plan is announced. */
  private readonly queuedBeforePlan = new Map<string, TaskLine>();
  /** Time of the first event. */
  startedAt?: number;
  synthesis?: { startedAt: number; durationMs?: number; mode?: string };

  /** Shows the tasks of a thread that already has a plan (resume, re-drive) before any event arrives. */
  seed(records: readonly Pick<TaskRecord, "id" | "worker" | "status" | "attempts" | "reason">[]): void {
    for (const record of records) {
      const phase: TaskPhase = record.status === "pending" || record.status === "running" ? "waiting" : record.status;
      this.tasks.set(record.id, {
        id: record.id,
        worker: record.worker,
        phase,
        attempt: record.attempts,
        tokens: 0,
        ...(record.reason ? { note: record.reason } : {}),
      });
    }
  }

  /** Applies one lifecycle event. */
  apply(event: OrchestratorEvent): void {
    const at = Date.parse(event.ts);
    this.startedAt ??= at;
    switch (event.type) {
      case "plan.created": {
        const early = new Map(this.queuedBeforePlan);
        this.queuedBeforePlan.clear();
        this.tasks.clear();
        this.synthesis = undefined;
        for (const task of event.tasks) {
          const line = early.get(task.id);
          if (line) this.tasks.set(task.id, line);
          else this.ensure(task.id, task.worker);
        }
        return;
      }
      case "plan.replanned":
        for (const id of event.added) this.ensure(id, "").note = "added by replan";
        for (const id of event.cancelled)
          Object.assign(this.ensure(id, ""), { phase: "skipped", note: `cancelled by replan: ${event.reason}` });
        return;
      case "synthesis.started":
        this.queuedBeforePlan.clear();
        this.synthesis = { startedAt: at };
        return;
      case "synthesis.finished":
        this.synthesis = {
          startedAt: this.synthesis?.startedAt ?? at - event.durationMs,
          durationMs: event.durationMs,
          mode: event.mode,
        };
        return;
      case "task.follow_up":
        if (event.accepted) this.ensure(event.taskId, event.worker).note = `follow-up of ${event.from}`;
        return;
    }
    this.applyToTask(this.ensure(event.taskId, event.worker), event, at);
  }

  /** Applies an event of one task to its line. */
  private applyToTask(task: TaskLine, event: TaskEvent, at: number): void {
    switch (event.type) {
      case "task.queued":
        this.queuedBeforePlan.set(event.taskId, task);
        Object.assign(task, {
          phase: "queued",
          attempt: 0,
          startedAt: undefined,
          endedAt: undefined,
          note: undefined,
          tokens: 0,
        });
        return;
      case "task.started":
        if (event.attempt === 1 || task.startedAt === undefined) task.startedAt = at;
        Object.assign(task, { phase: "running", attempt: event.attempt, endedAt: undefined, note: undefined });
        return;
      case "task.failed":
        Object.assign(task, {
          phase: "failed",
          attempt: event.attempt,
          endedAt: at,
          note: `${event.error.kind}: ${event.error.message}`,
        });
        return;
      case "task.retrying":
        Object.assign(task, { phase: "retrying", endedAt: undefined, note: event.reason });
        return;
      case "task.done":
        task.startedAt ??= at - event.durationMs;
        Object.assign(task, {
          phase: "done",
          attempt: Math.max(task.attempt, event.attempts),
          endedAt: task.startedAt + event.durationMs,
          tokens: event.usage.totalTokens,
          note: undefined,
        });
        return;
      case "task.dead":
        Object.assign(task, {
          phase: "dead",
          endedAt: task.endedAt ?? at,
          note: `${event.error.kind}: ${event.error.message}`,
        });
        return;
      case "task.skipped":
        Object.assign(task, { phase: "skipped", note: event.reason });
        return;
      case "task.expanded":
        Object.assign(task, { phase: "expanded", note: `→ ${event.children.join(", ")}` });
        for (const child of event.children) this.ensure(child, "");
        return;
    }
  }

  /** The task lines in the order the tasks became known. */
  get lines(): TaskLine[] {
    return [...this.tasks.values()];
  }

  /** Known tasks, terminal ones, and how many are in each phase. */
  counts(): { known: number; terminal: number } & Record<TaskPhase, number> {
    const counts = {
      known: 0,
      terminal: 0,
      waiting: 0,
      queued: 0,
      running: 0,
      retrying: 0,
      failed: 0,
      done: 0,
      dead: 0,
      skipped: 0,
      expanded: 0,
    };
    for (const task of this.tasks.values()) {
      counts.known++;
      counts[task.phase]++;
      if (TERMINAL.has(task.phase)) counts.terminal++;
    }
    return counts;
  }

  private ensure(id: string, worker: string): TaskLine {
    let task = this.tasks.get(id);
    if (!task) {
      task = { id, worker, phase: "waiting", attempt: 0, tokens: 0 };
      this.tasks.set(id, task);
    } else if (worker) task.worker = worker;
    return task;
  }
}

const SPINNER = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];
const SYMBOLS: Record<TaskPhase, string> = {
  waiting: "·",
  queued: "○",
  running: "",
  retrying: "↻",
  failed: "!",
  done: "✔",
  dead: "✖",
  skipped: "⊘",
  expanded: "◆",
};
const BAR_WIDTH = 24;

export interface FrameOptions {
  /** The time the frame shows (ms since the epoch): running tasks' elapsed time counts up to it. */
  now: number;
  color?: boolean;
  columns?: number;
  /** Terminal height: tasks that do not fit are summarised, finished ones first. */
  rows?: number;
  title?: string;
}

/** Renders the live view: title, progress bar, one line per task (status, id, worker, attempt, elapsed), synthesis. */
export function renderFrame(progress: RunProgress, options: FrameOptions): string {
  const c = picocolors.createColors(options.color ?? false);
  const columns = options.columns || 80;
  const { now } = options;
  const spinner = SPINNER[Math.floor(now / 80) % SPINNER.length]!;
  const counts = progress.counts();
  const lines: string[] = [];
  if (options.title) lines.push(c.bold(fit(oneLine(options.title), columns - 1)));
  const finished = progress.synthesis?.durationMs !== undefined;
  const end = finished ? progress.synthesis!.startedAt + progress.synthesis!.durationMs! : now;
  const elapsed = progress.startedAt === undefined ? "" : `  ${shortDuration(end - progress.startedAt)}`;
  if (counts.known === 0) {
    lines.push(`${c.cyan(spinner)} planning…${elapsed}`);
    return lines.join("\n");
  }
  const filled = Math.round((counts.terminal / counts.known) * BAR_WIDTH);
  const tally = [
    `${counts.terminal}/${counts.known} tasks`,
    ...(counts.running + counts.retrying ? [`${counts.running + counts.retrying} running`] : []),
    ...(counts.dead ? [c.red(`${counts.dead} dead`)] : []),
    ...(counts.skipped ? [`${counts.skipped} skipped`] : []),
  ].join(" · ");
  lines.push(`${c.green("█".repeat(filled))}${c.dim("░".repeat(BAR_WIDTH - filled))} ${tally}${elapsed}`);

  const tasks = progress.lines.map((task) => ({
    ...task,
    id: oneLine(task.id),
    worker: oneLine(task.worker),
    ...(task.note ? { note: oneLine(task.note) } : {}),
  }));
  const line = taskLiner(tasks, c, { columns, now, spinner });
  const synthesis = progress.synthesis;
  const footer = synthesis
    ? synthesis.durationMs === undefined
      ? `${c.cyan(spinner)} synthesis  running ${shortDuration(now - synthesis.startedAt)}`
      : `${c.green("✔")} synthesis  ${synthesis.mode ?? ""} ${shortDuration(synthesis.durationMs)}`
    : undefined;
  const room = options.rows ? Math.max(1, options.rows - 1 - lines.length - (footer ? 1 : 0)) : Infinity;
  lines.push(...visible(tasks, room).map((entry) => (typeof entry === "string" ? c.dim(entry) : line(entry))));
  if (footer) lines.push(footer);
  return lines.join("\n");
}

/** Colours of a frame. */
type Colors = ReturnType<typeof picocolors.createColors>;

/** Renders one task's line of a frame: columns sized to the longest id and worker, the note cut to what is left. */
function taskLiner(
  tasks: readonly TaskLine[],
  c: Colors,
  frame: { columns: number; now: number; spinner: string },
): (task: TaskLine) => string {
  const paint: Record<TaskPhase, (text: string) => string> = {
    waiting: c.dim,
    queued: c.blue,
    running: c.cyan,
    retrying: c.yellow,
    failed: c.yellow,
    done: c.green,
    dead: c.red,
    skipped: c.gray,
    expanded: c.magenta,
  };
  const idWidth = Math.min(24, Math.max(...tasks.map((t) => t.id.length)));
  const workerWidth = Math.min(20, Math.max(...tasks.map((t) => t.worker.length)));
  const fixed = 2 + idWidth + 2 + workerWidth + 2 + 8 + 2 + 10 + 6;
  return (task: TaskLine): string => {
    const symbol = task.phase === "running" ? frame.spinner : SYMBOLS[task.phase];
    const attempt = task.attempt > 0 ? `attempt ${task.attempt}` : "";
    const time = task.startedAt === undefined ? "" : shortDuration((task.endedAt ?? frame.now) - task.startedAt);
    const note = task.phase === "done" && task.tokens > 0 ? `${task.tokens} tokens` : (task.note ?? "");
    const room = frame.columns - 1 - fixed - 2;
    const head =
      `${paint[task.phase](symbol)} ${fit(task.id, idWidth).padEnd(idWidth)}  ${c.dim(fit(task.worker, workerWidth).padEnd(workerWidth))}  ` +
      `${paint[task.phase](task.phase)}${" ".repeat(10 - task.phase.length)}${attempt.padEnd(10)}${time.padStart(6)}`;
    return room >= 4 && note ? `${head}  ${c.dim(fit(note, room))}` : head.trimEnd();
  };
}

/** Text from the run on one line of the frame: no terminal escapes, whitespace runs as one space. */
const oneLine = (text: string) => terminalText(text).replace(/\s+/g, " ");

/** The task lines that fit in `room` lines: finished tasks are summarised first, then the last waiting ones. */
function visible(tasks: TaskLine[], room: number): (TaskLine | string)[] {
  if (tasks.length <= room) return tasks;
  const hidden = new Set<TaskLine>();
  const budget = Math.max(0, room - 1);
  for (const task of tasks) if (tasks.length - hidden.size > budget && TERMINAL.has(task.phase)) hidden.add(task);
  for (const task of [...tasks].reverse())
    if (tasks.length - hidden.size > budget && !ACTIVE.has(task.phase)) hidden.add(task);
  for (const task of tasks) if (tasks.length - hidden.size > budget) hidden.add(task);
  const done = [...hidden].filter((task) => TERMINAL.has(task.phase)).length;
  const summary = `  … ${hidden.size} more not shown (${done} finished, ${hidden.size - done} not yet)`;
  return [...tasks.filter((task) => !hidden.has(task)), summary];
}

/** Where a live view draws: a writer plus the terminal's size (read at every frame, so resizes apply). */
export interface LiveTerminal {
  write(text: string): void;
  readonly columns?: number;
  readonly rows?: number;
}

export interface LiveViewOptions {
  title?: string;
  color?: boolean;
  /** Least time between two frames; the ticker that advances running tasks' clocks uses it too (default 100 ms). */
  intervalMs?: number;
  clock?: () => number;
  /** Leave the cursor visible (log-update hides it on a real terminal otherwise). */
  showCursor?: boolean;
}

/**
 * The live terminal view of a run: fed lifecycle events, redrawn in place by log-update at most every
 * `intervalMs`, with a ticker so running tasks' times advance. `stop()` draws the final frame, leaves it on
 * screen and clears the ticker (so the process can exit).
 */
export class LiveView {
  readonly progress = new RunProgress();
  private readonly update: ReturnType<typeof createLogUpdate>;
  private readonly intervalMs: number;
  private readonly clock: () => number;
  private timer: NodeJS.Timeout | undefined;
  private lastFrameAt = Number.NEGATIVE_INFINITY;
  private stopped = false;

  constructor(
    private readonly terminal: LiveTerminal,
    private readonly options: LiveViewOptions = {},
  ) {
    this.intervalMs = options.intervalMs ?? 100;
    this.clock = options.clock ?? Date.now;
    const stream = {
      isTTY: true,
      write: (chunk: unknown) => (terminal.write(String(chunk)), true),
      get columns() {
        return terminal.columns || 80;
      },
      get rows() {
        return terminal.rows || 24;
      },
    };
    this.update = createLogUpdate(stream as unknown as NodeJS.WritableStream, {
      showCursor: options.showCursor ?? false,
    });
  }

  /** Draws the first frame and starts the ticker. */
  start(): void {
    if (this.timer || this.stopped) return;
    this.draw();
    this.timer = setInterval(() => this.draw(), this.intervalMs);
    this.timer.unref();
  }

  /** Applies an event; redraws now unless a frame was drawn less than `intervalMs` ago (the ticker catches up). */
  handle(event: OrchestratorEvent): void {
    this.progress.apply(event);
    if (!this.stopped && this.clock() - this.lastFrameAt >= this.intervalMs) this.draw();
  }

  /** The frame for the given time. */
  frame(now = this.clock()): string {
    return renderFrame(this.progress, {
      now,
      color: this.options.color,
      columns: this.terminal.columns || 80,
      rows: this.terminal.rows || 24,
      ...(this.options.title ? { title: this.options.title } : {}),
    });
  }

  /** Whether the ticker is running. */
  get ticking(): boolean {
    return this.timer !== undefined;
  }

  /** Draws the final frame, keeps it on screen and stops the ticker. Idempotent. */
  stop(): void {
    if (this.stopped) return;
    clearInterval(this.timer);
    this.timer = undefined;
    this.draw();
    this.stopped = true;
    this.update.done();
  }

  private draw(): void {
    this.lastFrameAt = this.clock();
    this.update(this.frame(this.lastFrameAt));
  }
}
