import type { OrchestratorEvent } from "./events.js";

/** One line per lifecycle event, for logs and terminals without a live view. */
export function formatEvent(event: OrchestratorEvent): string {
  switch (event.type) {
    case "plan.created":
      return `plan (${event.source}): ${event.tasks.map((t) => (t.dependsOn.length ? `${t.id} ← ${t.dependsOn.join(",")}` : t.id)).join("; ")}`;
    case "task.queued":
      return `queued    ${event.taskId} [${event.worker}] rank ${event.rank}`;
    case "task.started":
      return `started   ${event.taskId} [${event.worker}] attempt ${event.attempt}`;
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
