import { countStatuses, missingTasks, type TaskSummary } from "../app/run.js";
import type { OrchestratorEvent } from "../events.js";
import type { TaskStatus } from "../schemas.js";
import type { ReviewRequest } from "../state.js";
import type { Usage } from "../budget/usage.js";

/** One line per lifecycle event, for logs and terminals without a live view. */
export function formatEvent(event: OrchestratorEvent): string {
  switch (event.type) {
    case "plan.created":
      return `plan (${event.source}): ${event.tasks.map((t) => (t.dependsOn.length ? `${t.id} ← ${t.dependsOn.join(",")}` : t.id)).join("; ")}`;
    case "task.queued":
      return `queued    ${event.taskId} [${event.worker}] rank ${event.rank}`;
    case "task.started":
      return `started   ${event.taskId} [${event.worker}] attempt ${event.attempt}`;
    case "task.progress":
      return `progress  ${event.taskId} [${event.worker}] ${event.message}`;
    case "task.retrying":
      return `retrying  ${event.taskId} [${event.worker}] attempt ${event.attempt}: ${event.reason}`;
    case "task.failed":
      return `failed    ${event.taskId} [${event.worker}] attempt ${event.attempt}: ${event.error.kind}: ${event.error.message}`;
    case "task.done":
      return `done      ${event.taskId} [${event.worker}] ${Math.round(event.durationMs)} ms, ${event.usage.totalTokens} tokens`;
    case "task.dead":
      return `dead      ${event.taskId} [${event.worker}] after ${event.attempts} attempt(s): ${event.error.message}`;
    case "task.skipped":
      return `skipped   ${event.taskId} [${event.worker}]: ${event.reason}`;
    case "task.follow_up":
      return event.accepted
        ? `follow-up ${event.taskId} [${event.worker}] proposed by ${event.from}`
        : `follow-up ${event.taskId} [${event.worker}] from ${event.from} rejected: ${event.reason}`;
    case "task.expanded":
      return `expanded  ${event.taskId} [${event.worker}] into ${event.children.join(", ")}`;
    case "plan.replanned":
      return `replanned: ${event.reason} (+${event.added.length}, -${event.cancelled.length})`;
    case "synthesis.started":
      return `synthesizing the answer from ${event.tasks} tasks`;
    case "synthesis.finished":
      return `synthesis finished (${event.mode}) in ${Math.round(event.durationMs)} ms`;
  }
}

/**
 * A pending review as a person reads it: a heading, one line per task (id, worker, title, what it comes after),
 * then the problems found. `failedHeading` heads a manual breakdown (planning failed), whose next step differs.
 */
export function reviewListing(review: ReviewRequest, failedHeading: string): string[] {
  return [
    review.kind === "approve_plan" ? "The plan waits for your review:" : failedHeading,
    ...review.tasks.map(
      (t) => `  - ${t.id} [${t.worker}] ${t.title}${t.dependsOn.length ? ` (after ${t.dependsOn.join(", ")})` : ""}`,
    ),
    ...review.errors.map((error) => `  ! ${error}`),
  ];
}

/** The closing line of a run for a person: tasks done, dead letters, the usage if known, and the thread. */
export function runTally(run: {
  threadId: string;
  tasks: readonly { status: TaskStatus }[];
  deadLetters: number;
  usage?: Usage;
}): string {
  const usage = run.usage ? `, ${run.usage.totalTokens} tokens in ${run.usage.modelCalls} model calls` : "";
  return `— ${countStatuses(run.tasks).done}/${run.tasks.length} tasks done, ${run.deadLetters} dead-lettered${usage} (thread ${run.threadId})`;
}

/**
 * The stderr lines of a partial run: how many tasks have no result, each with its status and reason, and why
 * dispatching stopped early, if a run budget stopped it. Shared by the CLI and the SDK client.
 */
export function partialLines(run: {
  tasks: readonly { id: string; status: TaskStatus; reason?: string }[];
  stopReason?: string;
}): string[] {
  const missing = missingTasks(run.tasks);
  const width = Math.max(0, ...missing.map((task) => task.id.length));
  return [
    `Partial result: ${missing.length} of ${run.tasks.length} tasks have no result.`,
    ...missing.map((task) => `  ${task.id.padEnd(width)}  ${task.status.padEnd(7)}  ${task.reason ?? "no result"}`),
    ...(run.stopReason ? [`Stopped early: ${run.stopReason}`] : []),
  ];
}

/** A compact duration for terminal columns: `34ms`, `1.2s`, `2m05s`. */
export function shortDuration(ms: number): string {
  if (ms < 1000) return `${Math.max(0, Math.round(ms))}ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)}s`;
  const seconds = Math.round(ms / 1000);
  return `${Math.floor(seconds / 60)}m${String(seconds % 60).padStart(2, "0")}s`;
}

/** Cuts text to `width` characters, marking the cut with an ellipsis. */
export function fit(text: string, width: number): string {
  if (width <= 0) return "";
  return text.length <= width ? text : `${text.slice(0, Math.max(0, width - 1))}…`;
}

type PlanRow = Pick<TaskSummary, "id" | "dependsOn" | "status" | "origin">;

/** Groups tasks by dependency level: a task sits one level below its deepest dependency. */
export function dependencyLevels<T extends Pick<TaskSummary, "id" | "dependsOn">>(rows: readonly T[]): T[][] {
  const byId = new Map(rows.map((row) => [row.id, row]));
  const level = new Map<string, number>();
  const visit = (row: T, path: Set<string>): number => {
    const known = level.get(row.id);
    if (known !== undefined) return known;
    path.add(row.id);
    const deps = row.dependsOn
      .map((id) => byId.get(id))
      .filter((dep): dep is T => dep !== undefined && !path.has(dep.id));
    const value = deps.length ? 1 + Math.max(...deps.map((dep) => visit(dep, path))) : 0;
    path.delete(row.id);
    level.set(row.id, value);
    return value;
  };
  const levels: T[][] = [];
  for (const row of rows) (levels[visit(row, new Set())] ??= []).push(row);
  return levels.filter(Boolean);
}

/** The plan as a text dependency diagram, one line per task grouped by level: `hotel ← flight`. */
export function planOutline(rows: readonly PlanRow[]): string {
  const levels = dependencyLevels(rows);
  const idWidth = Math.min(28, Math.max(...rows.map((row) => row.id.length)));
  const mark = (row: PlanRow) =>
    [
      row.origin === "follow-up" ? "(follow-up)" : "",
      row.status === "dead" || row.status === "skipped" ? `[${row.status}]` : "",
    ]
      .filter(Boolean)
      .join(" ");
  const lines = levels.flatMap((tasks, i) =>
    tasks.map((row, j) => {
      const label = j === 0 ? `L${i + 1}`.padEnd(4) : "    ";
      const deps = row.dependsOn.length ? `← ${row.dependsOn.join(", ")}` : "";
      return `  ${label}${fit(row.id, idWidth).padEnd(idWidth)}  ${[deps, mark(row)].filter(Boolean).join("  ")}`.trimEnd();
    }),
  );
  return [
    `Plan: ${rows.length} task${rows.length === 1 ? "" : "s"} in ${levels.length} level${levels.length === 1 ? "" : "s"} (a ← b: a needs b)`,
    ...lines,
  ].join("\n");
}

const TIMELINE_WIDTH = 24;

/** The final view's timing table: status, attempts, time, tokens and a timeline bar per task. */
export function timingTable(rows: readonly TaskSummary[]): string {
  const spans = rows
    .filter((row) => row.startedAt)
    .map((row) => ({ start: Date.parse(row.startedAt!), end: Date.parse(row.startedAt!) + row.durationMs }));
  const t0 = Math.min(...spans.map((span) => span.start));
  const wall = spans.length ? Math.max(...spans.map((span) => span.end)) - t0 : 0;
  const idWidth = Math.min(28, Math.max(4, ...rows.map((row) => row.id.length)));
  const workerWidth = Math.min(22, Math.max(6, ...rows.map((row) => row.worker.length)));
  const timeline = (row: TaskSummary) => {
    if (!row.startedAt || wall <= 0) return "";
    const from = Math.min(TIMELINE_WIDTH - 1, Math.floor(((Date.parse(row.startedAt) - t0) / wall) * TIMELINE_WIDTH));
    const length = Math.max(1, Math.min(TIMELINE_WIDTH - from, Math.round((row.durationMs / wall) * TIMELINE_WIDTH)));
    return `${" ".repeat(from)}${"█".repeat(length)}`;
  };
  const line = (cells: string[]) =>
    `  ${fit(cells[0]!, idWidth).padEnd(idWidth)}  ${fit(cells[1]!, workerWidth).padEnd(workerWidth)}  ${cells[2]!.padEnd(7)}  ` +
    `${cells[3]!.padStart(8)}  ${cells[4]!.padStart(6)}  ${cells[5]!.padStart(6)}  ${cells[6]}`.trimEnd();
  const count = countStatuses(rows);
  const tokens = rows.reduce((sum, row) => sum + row.tokens, 0);
  return [
    "Timing:",
    line([
      "task",
      "worker",
      "status",
      "attempts",
      "time",
      "tokens",
      wall > 0 ? `timeline (${shortDuration(wall)})` : "",
    ]),
    ...rows.map((row) =>
      line([
        row.id,
        row.worker,
        row.status,
        String(row.attempts),
        row.startedAt ? shortDuration(row.durationMs) : "–",
        String(row.tokens),
        timeline(row),
      ]),
    ),
    `  ${rows.length} tasks: ${count.done} done, ${count.dead} dead, ${count.skipped} skipped; ${tokens} worker tokens` +
      (wall > 0 ? `; first start to last finish ${shortDuration(wall)}` : ""),
  ].join("\n");
}
