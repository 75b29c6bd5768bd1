import type { Settings } from "../settings.js";
import type { Emit } from "../events.js";
import { skipPending } from "./skips.js";
import type { TaskBoard } from "./task-board.js";

/** True when the run has a budget (a deadline, a token budget or a model-call cap). */
export const hasRunBudget = (settings: Pick<Settings, "deadlineMs" | "maxTokens" | "maxModelCalls">): boolean =>
  settings.deadlineMs > 0 || settings.maxTokens > 0 || settings.maxModelCalls > 0;

/** Stops dispatching under a reached budget: every pending task is skipped, with a note. Returns the run's `stopReason`. */
export function stopDispatching(round: { emit: Emit; notes: string[] }, board: TaskBoard, reached: string): string {
  const stopReason = `run budget reached: ${reached}`;
  const stopped = skipPending(board, stopReason, round.emit);
  if (stopped.length) round.notes.push(`Dispatching stopped: ${stopReason}; ${stopped.length} task(s) not run.`);
  return stopReason;
}
