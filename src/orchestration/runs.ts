import { createHash, randomUUID } from "node:crypto";
import type { State } from "../state.js";
import { hasNewHumanMessage } from "./chat.js";

/** A digest of what a run starts from: its goal and the plans it was given. */
export const inputDigest = (state: Pick<State, "goal" | "plan" | "fallbackPlan">): string =>
  createHash("sha256")
    .update(JSON.stringify([state.goal, state.plan ?? null, state.fallbackPlan ?? null]))
    .digest("base64url")
    .slice(0, 22);

/**
 * Whether the orchestrator starts a new run rather than continuing the thread's current one: the input named a
 * new `runId` (as `run()` does); or nothing was planned yet; or, for input without a run id, its goal or plans
 * differ from the current run's, or the current run has finished (its answer is written); or a human message came
 * that no run has answered (a chat turn). Anything else — the
 * same input on an unfinished run, a resume, a re-drive — continues the run.
 */
export function startsNewRun(state: State): boolean {
  if (namedRun(state) || hasNewHumanMessage(state)) return true;
  if (state.planGoal === undefined) return true;
  // A run checkpointed before run ids and digests existed compares its goal only.
  if (state.inputDigest === undefined ? state.planGoal !== state.goal : state.inputDigest !== inputDigest(state))
    return true;
  return state.answer !== "";
}

/** The run id the input names, if it is not the current run's (an empty one, as a form may send, names none). */
const namedRun = (state: State): string | undefined =>
  state.runId && state.runId !== state.planRunId ? state.runId : undefined;

/** The id of a run that starts now: the one the input named, or a new one. */
export const newRunId = (state: State): string => namedRun(state) ?? randomUUID();
