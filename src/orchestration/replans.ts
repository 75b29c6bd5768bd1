import type { ReplanDecision } from "../plan/planner.js";
import { addTasks } from "./follow-ups.js";
import type { Absorbed } from "./results.js";
import type { Round } from "./round.js";
import type { TaskBoard } from "./task-board.js";

export function shouldReplan({ settings, deps }: Round, absorbed: Absorbed, replans: number): boolean {
  if (!deps.models.configured || replans >= settings.maxReplans) return false;
  if (settings.replan === "after-wave") return absorbed.finished > 0;
  if (settings.replan === "on-failure") return absorbed.dead.length > 0;
  return false;
}

export function applyReplan({ settings, deps, emit, notes }: Round, board: TaskBoard, decision: ReplanDecision): void {
  if (!decision.revise) {
    notes.push(`The planner kept the plan: ${decision.reason}`);
    return;
  }
  const cancelled: string[] = [];
  for (const id of decision.cancelTaskIds) {
    const task = board.get(id);
    if (task?.status !== "pending") continue;
    const reason = `cancelled by replan: ${decision.reason}`;
    board.put({ ...task, status: "skipped", reason });
    emit({ type: "task.skipped", taskId: id, worker: task.worker, reason });
    cancelled.push(id);
  }
  const { accepted, rejected } = addTasks(board, decision.addTasks, {
    registry: deps.registry,
    maxTasks: settings.maxTasks,
    origin: "replan",
    depth: 0,
  });
  for (const { id, reason } of rejected)
    notes.push(`Replanned task "${id}" was rejected: ${reason.replace(/\.$/, "")}.`);
  notes.push(`Replanned: ${decision.reason}`);
  emit({ type: "plan.replanned", reason: decision.reason, added: accepted, cancelled });
}
