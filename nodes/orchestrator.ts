import { randomUUID } from "node:crypto";
import { Overwrite, type LangGraphRunnableConfig } from "@langchain/langgraph";
import { prepareModels, type OrchestratorDeps } from "../src/deps.js";
import { promptNonce } from "../src/fence.js";
import { askReplan } from "../src/plan/planner.js";
import { handBackFor, scheduleNext } from "../src/orchestration/dispatch.js";
import { streamsPlan } from "../src/orchestration/plan-feed.js";
import { keepStartedTasks } from "../src/orchestration/streamed-plan.js";
import { acceptFollowUps } from "../src/orchestration/follow-ups.js";
import { announcePlan, conversationContext, planProgress, runGoal } from "../src/orchestration/chat.js";
import { adoptPlan, choosePlan } from "../src/orchestration/initial-plan.js";
import { reviewMessage } from "../src/orchestration/plan-review.js";
import { applyReplan, shouldReplan } from "../src/orchestration/replans.js";
import { absorbResults, completeParents, mergeDeadLetters } from "../src/orchestration/results.js";
import { openRound, type Round } from "../src/orchestration/round.js";
import { inputDigest, newRunId, startsNewRun } from "../src/orchestration/runs.js";
import { skipBlocked, stopDispatching } from "../src/orchestration/skips.js";
import { TaskBoard } from "../src/orchestration/task-board.js";
import { freshRunState, type ReviewRequest, type State, type Update } from "../src/state.js";
import { addUsage, budgetUsage, ZERO_USAGE } from "../src/budget/usage.js";

/** The orchestrator: plans the goal, then after every wave reads results, adapts the plan and dispatches. */
export function makeOrchestratorNode(deps: OrchestratorDeps) {
  return async function orchestrator(state: State, config: LangGraphRunnableConfig): Promise<Update> {
    if (startsNewRun(state)) {
      const run = { runId: newRunId(state), startedAt: new Date().toISOString(), used: ZERO_USAGE };
      const round = openRound({ ...state, ...runGoal(state) }, config, deps, run);
      await prepareModels(deps, round.settings);
      return startPlan(round, run);
    }
    // A streamed plan's planner call is counted in state only once the plan is adopted.
    const planning = state.planStream?.outcome.usage ?? ZERO_USAGE;
    const used = addUsage(budgetUsage(state), planning);
    const round = openRound(state, config, deps, { runId: state.runId, startedAt: state.startedAt, used });
    await prepareModels(deps, round.settings);
    return state.planStream ? adoptStreamedPlan(round, state.planStream) : runRound(round);
  };
}

/**
 * Starts a run: plans the goal (input plan, planner, or a fallback) and dispatches the first wave, unless planning
 * used up a budget. Nothing of the thread's previous run carries over: tasks, results, usage, notes, the clock.
 */
async function startPlan(round: Round, { runId, startedAt }: { runId: string; startedAt: string }): Promise<Update> {
  const { state, settings, notes } = round;
  const reset: Update = {
    ...freshRunState(),
    runId,
    goal: state.goal,
    chatTurn: state.chatTurn,
    planRunId: runId,
    inputDigest: inputDigest(state),
    planGoal: state.goal,
    startedAt,
    stopReason: null,
    fenceSeed: randomUUID(),
    planStream: null,
    runSettings: settings,
  };
  const conversation = {
    text: conversationContext(state.messages),
    nonce: promptNonce(reset.fenceSeed, "conversation"),
  };
  if (streamsPlan(settings, state, round.deps)) {
    // The plan streams into one pool that starts each task as soon as it can; the next round adopts the plan.
    const budget = round.meter && { runId, startedAt: round.meter.startedAt, used: round.meter.used() };
    const unit = { tasks: [], pool: settings.maxParallel, plan: true, handBack: handBackFor(settings) };
    const dispatch = [{ ...unit, ...(budget ? { budget } : {}) }];
    return { ...reset, planSource: "planner", notes: new Overwrite(notes), orchestrationUsage: ZERO_USAGE, dispatch };
  }
  const chosen = await choosePlan(round, conversation);
  const orchestrationUsage = chosen.usage;
  if (chosen.kind === "human") {
    const request = chosen.request;
    return { ...reset, orchestrationUsage, notes: new Overwrite(notes), pendingReview: request, ...askReview(request) };
  }

  const { tasks, table, dropped } = adoptPlan(chosen.specs, chosen.source, round.emit, notes);
  const planned: Update = {
    ...reset,
    planSource: chosen.source,
    droppedEdges: dropped,
    notes: new Overwrite(notes),
    orchestrationUsage,
  };
  if (settings.reviewPlan) {
    // The plan is announced once a reviewer has approved or edited it.
    const review = { kind: "approve_plan" as const, goal: state.goal, tasks, errors: [] };
    return { ...planned, tasks: new Overwrite(table), pendingReview: review, ...askReview(review) };
  }
  const board = new TaskBoard(table);
  const next = await scheduleNext(round, board, {});
  return {
    ...planned,
    ...announcePlan(settings, tasks, runId),
    tasks: new Overwrite(board.table),
    dispatch: next.dispatch,
    orchestrationUsage: addUsage(orchestrationUsage, next.usage),
    ...(Object.keys(next.results).length ? { results: new Overwrite(next.results) } : {}),
    ...(next.stopReason ? { stopReason: next.stopReason } : {}),
  };
}

/** The message a review follows in the chat. */
const askReview = (request: ReviewRequest): Update => ({ messages: [reviewMessage(request)] });

/**
 * After a streamed plan's pool: adopts the plan (repaired or replaced as a plan made without streaming would be),
 * keeps the results of the tasks it started that the plan kept as they were, and goes on as after any wave.
 */
async function adoptStreamedPlan(
  round: Round,
  { outcome, launched }: NonNullable<State["planStream"]>,
): Promise<Update> {
  const { state, settings, notes } = round;
  const chosen = await choosePlan(round, undefined, outcome);
  const cleared: Update = { planStream: null, notes };
  if (chosen.kind === "human") {
    const usage = addUsage(state.orchestrationUsage, chosen.usage);
    const early = keepStartedTasks({}, launched, state.results, notes);
    const orchestrationUsage = addUsage(usage, early.discardedUsage);
    return {
      ...cleared,
      results: new Overwrite({}),
      dispatch: [],
      orchestrationUsage,
      pendingReview: chosen.request,
      ...askReview(chosen.request),
    };
  }
  const { table, dropped } = adoptPlan(chosen.specs, chosen.source, round.emit, notes);
  const early = keepStartedTasks(table, launched, state.results, notes);
  const orchestrationUsage = addUsage(addUsage(state.orchestrationUsage, chosen.usage), early.discardedUsage);
  const adopted = { ...state, tasks: table, results: early.results, orchestrationUsage };
  const next = await runRound({ ...round, state: adopted });
  const board = { ...table, ...(next.tasks as State["tasks"]) };
  return {
    ...next,
    ...cleared,
    // Announced with the statuses the early tasks reached: the plan shows as it stands, not as it started.
    ...announcePlan(
      settings,
      Object.values(board).sort((a, b) => a.order - b.order),
      state.runId,
    ),
    planSource: chosen.source,
    droppedEdges: dropped,
    // A round that stops at a run budget leaves the usage as it was: the planner's call is counted here then.
    orchestrationUsage: next.orchestrationUsage ?? orchestrationUsage,
    tasks: new Overwrite(board),
    results: new Overwrite({ ...early.results, ...(next.results as State["results"] | undefined) }),
  };
}

/** After a wave: results in, follow-ups, budgets, an optional replan, then the next wave. */
async function runRound(round: Round): Promise<Update> {
  const { state, settings, deps, notes, emit } = round;
  const board = new TaskBoard(state.tasks);
  const absorbed = absorbResults(board, state.results, emit);
  notes.push(...absorbed.notes);
  const parentResults = completeParents(board, state.results, emit);
  acceptFollowUps(round, board, absorbed);
  skipBlocked(board, emit);
  const deadLetters = mergeDeadLetters(state.deadLetters, absorbed.dead);

  const over = round.meter?.reached();
  if (over) {
    const stopReason = stopDispatching(round, board, over);
    Object.assign(parentResults, completeParents(board, state.results, emit));
    return {
      ...planProgress(state, board.all()),
      tasks: board.changes(),
      ...resultsUpdate(parentResults),
      deadLetters,
      dispatch: [],
      stopReason,
      notes,
    };
  }

  let usage = state.orchestrationUsage;
  let replans = state.replans;
  if (shouldReplan(round, absorbed, replans)) {
    replans++;
    const results = { ...state.results, ...parentResults };
    const nonce = promptNonce(state.fenceSeed, `replan:${replans}`);
    const decision = await askReplan(
      round.planner(),
      state.goal,
      board.all(),
      results,
      deps.registry,
      settings,
      round.signal,
      nonce,
    );
    usage = addUsage(usage, decision.usage);
    applyReplan(round, board, decision);
  }

  const next = await scheduleNext(round, board, { ...state.results, ...parentResults });
  Object.assign(parentResults, next.results);
  return {
    ...planProgress(state, board.all()),
    tasks: board.changes(),
    ...resultsUpdate(parentResults),
    deadLetters,
    dispatch: next.dispatch,
    replans,
    orchestrationUsage: addUsage(usage, next.usage),
    notes,
    ...(next.stopReason ? { stopReason: next.stopReason } : {}),
  };
}

/** The results an orchestrator round writes itself (completed parents), if any. */
const resultsUpdate = (results: State["results"]): Update => (Object.keys(results).length ? { results } : {});
