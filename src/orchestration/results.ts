import type { Emit } from "../events.js";
import { specOf, type DeadLetter, type FollowUp, type TaskRecord, type TaskResult } from "../schemas.js";
import type { State } from "../state.js";
import { sumUsage } from "../budget/usage.js";
import type { TaskBoard } from "./task-board.js";

/** A dead letter for a task that failed all its attempts: its whole spec, the error and the attempts. */
export function deadLetterFor(task: TaskRecord, result: TaskResult): DeadLetter {
  return {
    taskId: task.id,
    task: specOf(task),
    error: result.error ?? { kind: "worker", message: "failed without an error", retryable: false },
    attempts: result.attempts,
    at: new Date().toISOString(),
  };
}

export interface Absorbed {
  finished: number;
  dead: DeadLetter[];
  followUps: { from: TaskRecord; spec: FollowUp }[];
  /** Run notes from the results: what the worker boundary changed in them. */
  notes: string[];
}

/**
 * Reads the results of the last wave into the board: done, dead, or skipped when a run budget stopped it, with
 * follow-ups collected. (`task.done` is emitted by the worker the moment it finishes; `task.dead` here, when the
 * orchestrator dead-letters it.)
 */
export function absorbResults(board: TaskBoard, results: Record<string, TaskResult>, emit: Emit): Absorbed {
  const absorbed: Absorbed = { finished: 0, dead: [], followUps: [], notes: [] };
  for (let task of board.all()) {
    if (task.status !== "running" || task.children) continue;
    const result = results[task.id];
    if (!result || result.dispatch !== task.dispatches) {
      board.put({ ...task, status: "pending" });
      continue;
    }
    absorbed.finished++;
    const attempts = task.attempts + result.attempts.length;
    if (result.clarifiedDescription) task = { ...task, description: result.clarifiedDescription };
    const ref = { taskId: task.id, worker: task.worker };
    for (const note of result.notes ?? []) absorbed.notes.push(`Task "${task.id}": ${note}.`);
    if (result.status === "done") {
      board.put({ ...task, status: "done", attempts, reason: undefined });
      for (const spec of result.followUps) absorbed.followUps.push({ from: task, spec });
    } else if (result.error?.kind === "budget") {
      // Stopped by a run budget (its deadline, or a refused model call): not run, rather than failed.
      board.put({ ...task, status: "skipped", attempts, reason: result.error.message });
      emit({ type: "task.skipped", ...ref, reason: result.error.message });
    } else {
      const letter = deadLetterFor(task, result);
      board.put({ ...task, status: "dead", attempts, reason: `${letter.error.kind}: ${letter.error.message}` });
      absorbed.dead.push(letter);
      emit({ type: "task.dead", ...ref, attempts: result.attempts.length, error: letter.error });
    }
  }
  return absorbed;
}

/**
 * Completes expanded parents whose subtasks are all terminal: done with the subtasks' results joined when
 * every subtask is done, skipped otherwise. Returns the parents' synthetic results.
 */
export function completeParents(
  board: TaskBoard,
  results: Record<string, TaskResult>,
  emit: Emit,
): Record<string, TaskResult> {
  const written: Record<string, TaskResult> = {};
  let progress = true;
  while (progress) {
    progress = false;
    for (const parent of board.all()) {
      if (parent.status !== "running" || !parent.children) continue;
      const children = parent.children.map((id) => board.get(id)!);
      if (!children.every((child) => ["done", "dead", "skipped"].includes(child.status))) continue;
      progress = true;
      const failed = children.find((child) => child.status !== "done");
      if (failed) {
        const reason = `subtask "${failed.id}" is ${failed.status}`;
        board.put({ ...parent, status: "skipped", reason, blockedBy: failed.id });
        emit({ type: "task.skipped", taskId: parent.id, worker: parent.worker, reason });
        continue;
      }
      const childResults = children.map((child) => ({ child, result: results[child.id] ?? written[child.id] }));
      const usage = sumUsage(childResults.map(({ result }) => result));
      written[parent.id] = {
        taskId: parent.id,
        worker: parent.worker,
        dispatch: parent.dispatches,
        status: "done",
        output: childResults.map(({ child, result }) => `## ${child.title}\n${result?.output ?? ""}`).join("\n\n"),
        attempts: [],
        startedAt: new Date().toISOString(),
        durationMs: 0,
        usage,
        followUps: [],
      };
      board.put({ ...parent, status: "done" });
      emit({ type: "task.done", taskId: parent.id, worker: parent.worker, attempts: 0, durationMs: 0, usage });
    }
  }
  return written;
}

/** New dead letters replace older ones of the same task (a re-driven task that died again). */
export function mergeDeadLetters(current: State["deadLetters"], added: State["deadLetters"]): State["deadLetters"] {
  return [...current.filter((letter) => !added.some((d) => d.taskId === letter.taskId)), ...added];
}
