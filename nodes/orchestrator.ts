import type { BaseChatModel } from "@langchain/core/language_models/chat_models";
import { Overwrite, type LangGraphRunnableConfig } from "@langchain/langgraph";
import { resolveSettings, type Settings } from "../src/settings.js";
import type { OrchestratorDeps } from "../src/deps.js";
import { emitter, type EventInit } from "../src/events.js";
import { PlanValidationError } from "../src/errors.js";
import { breakCycles, REPAIRABLE_ISSUES, validatePlan } from "../src/plan/validate.js";
import { askReplan, expandTask, planGoal, type ReplanDecision } from "../src/plan/planner.js";
import {
  absorbResults,
  addTasks,
  budgetExceeded,
  completeParents,
  dispatchPool,
  dispatchReady,
  skipBlocked,
  skipPending,
  TaskBoard,
  toRecords,
  type Absorbed,
} from "../src/orchestration/policy.js";
import { allTerminal, readyTasks } from "../src/orchestration/scheduling.js";
import { type DispatchUnit, type TaskRecord, type TaskSpec } from "../src/schemas.js";
import { addUsage, runUsage, ZERO_USAGE, type Usage } from "../src/usage.js";
import type { PlanSource, State, Update } from "../src/state.js";

/** What one orchestrator step works with. */
interface Step {
  state: State;
  settings: Settings;
  deps: OrchestratorDeps;
  emit: (event: EventInit) => void;
  /** Notes this step adds to the run's (an append-only channel). */
  notes: string[];
  signal?: AbortSignal;
  /** The planner model, created on first use. */
  planner(): BaseChatModel;
}

/** The orchestrator: plans the goal, then after every wave reads results, adapts the plan and dispatches. */
export function makeOrchestratorNode(deps: OrchestratorDeps) {
  return async function orchestrator(state: State, config: LangGraphRunnableConfig): Promise<Update> {
    const settings = resolveSettings(config, deps.settings);
    const fresh = state.planGoal !== state.goal;
    let planner: BaseChatModel | undefined;
    const step: Step = {
      state,
      settings,
      deps,
      emit: emitter(config),
      notes: [],
      signal: config.signal,
      planner: () => (planner ??= deps.models.create({ role: "planner", model: settings.plannerModel, temperature: 0 })),
    };
    return fresh ? startPlan(step) : runRound(step);
  };
}

/** Validation problems of a plan that cycle-breaking cannot fix. */
function fatalIssues(specs: readonly TaskSpec[], { deps, settings }: Step): string[] {
  return validatePlan(specs, { workers: deps.registry.names, maxTasks: settings.maxTasks })
    .filter((issue) => !REPAIRABLE_ISSUES.has(issue.code))
    .map((issue) => issue.message);
}

const asSpecs = (tasks: NonNullable<State["plan"]>["tasks"]) => tasks.map((task) => ({ ...task, blocks: [] }) as TaskSpec);

/** The single-task plan used when planning fails and no better fallback exists. */
export function singleTaskPlan(goal: string, worker: string): TaskSpec[] {
  return [
    {
      id: "goal",
      title: goal.length > 80 ? `${goal.slice(0, 77)}…` : goal,
      description: goal,
      worker,
      dependsOn: [],
      expectedOutput: "",
      estimatedCost: 1,
      complex: false,
      blocks: [],
    },
  ];
}

/** Plans the goal (input plan, planner, or a fallback) and dispatches the first wave. */
async function startPlan(step: Step): Promise<Update> {
  const { state, settings, deps, notes } = step;
  const reset: Update = {
    planGoal: state.goal,
    tasks: new Overwrite({}),
    results: new Overwrite({}),
    deadLetters: [],
    droppedEdges: [],
    replans: 0,
    answer: "",
    dispatch: [],
    pendingReview: null,
    startedAt: new Date().toISOString(),
    stopReason: undefined,
  };
  let specs: TaskSpec[];
  let source: PlanSource;
  let usage: Usage = ZERO_USAGE;
  if (state.plan) {
    specs = asSpecs(state.plan.tasks);
    const fatal = fatalIssues(specs, step);
    if (fatal.length) throw new PlanValidationError(fatal, "input plan");
    source = "input";
  } else {
    const outcome = deps.models.configured
      ? await planGoal(step.planner(), state.goal, deps.registry, settings, step.signal)
      : { ok: false as const, draft: [], errors: ["no model is configured for the planner"], usage: ZERO_USAGE, repairs: 0 };
    usage = outcome.usage;
    const failure = outcome.ok ? "" : `Planning failed (${outcome.errors.join("; ")})`;
    if (outcome.ok) {
      specs = outcome.tasks;
      source = "planner";
      if (outcome.repairs > 0) notes.push(`The plan was repaired ${outcome.repairs} time(s) before it validated.`);
    } else if (state.fallbackPlan && fatalIssues(asSpecs(state.fallbackPlan.tasks), step).length === 0) {
      specs = asSpecs(state.fallbackPlan.tasks);
      source = "caller-fallback";
      notes.push(`${failure}; the caller's fallback plan runs instead.`);
    } else if (settings.humanFallback) {
      const draft = outcome.draft.map(({ blocks: _b, ...task }) => task);
      return {
        ...reset,
        orchestrationUsage: addUsage(state.orchestrationUsage, usage),
        notes: new Overwrite([`${failure}; waiting for a human breakdown.`]),
        pendingReview: { kind: "manual_breakdown", goal: state.goal, tasks: draft, errors: outcome.errors },
      };
    } else {
      specs = singleTaskPlan(state.goal, deps.registry.defaultWorker);
      source = "single-task";
      notes.push(`${failure}; the goal runs as a single task.`);
    }
  }
  const { tasks, dropped } = breakCycles(specs);
  for (const edge of dropped) notes.push(`Dropped dependency ${edge.task} → ${edge.dependsOn} to break the cycle ${edge.cycle.join(" → ")}.`);
  const board = new TaskBoard({});
  board.putAll(Object.fromEntries(toRecords(tasks, "plan", 0).map((record) => [record.id, record])));
  step.emit({
    type: "plan.created",
    source,
    tasks: tasks.map((task) => ({ id: task.id, title: task.title, worker: task.worker, dependsOn: task.dependsOn })),
  });
  const planned: Update = { ...reset, planSource: source, droppedEdges: dropped, notes: new Overwrite(notes), tasks: new Overwrite(board.table) };
  if (settings.reviewPlan) {
    const proposed = tasks.map(({ blocks: _b, ...task }) => task);
    return {
      ...planned,
      orchestrationUsage: addUsage(state.orchestrationUsage, usage),
      pendingReview: { kind: "approve_plan", goal: state.goal, tasks: proposed, errors: [] },
    };
  }
  const next = await scheduleNext(step, board, {});
  return {
    ...planned,
    tasks: new Overwrite(board.table),
    dispatch: next.dispatch,
    orchestrationUsage: addUsage(addUsage(state.orchestrationUsage, usage), next.usage),
    ...(Object.keys(next.results).length ? { results: new Overwrite(next.results) } : {}),
  };
}

/**
 * The tail of every step: expands ready complex tasks (top-down), completes parents, skips what can no
 * longer run, and dispatches the highest-priority ready tasks.
 */
async function scheduleNext(
  step: Step,
  board: TaskBoard,
  results: State["results"],
): Promise<{ dispatch: DispatchUnit[]; usage: Usage; results: State["results"] }> {
  const usage = await expandComplexTasks(step, board);
  const parentResults = completeParents(board, results, step.emit);
  skipBlocked(board, step.emit);
  const { settings } = step;
  // Under a run budget, tasks go out one per worker so the budget is checked before each of them.
  const budgeted = settings.deadlineMs > 0 || settings.maxTokens > 0 || settings.maxModelCalls > 0;
  const expandable = (task: TaskRecord) => settings.strategy === "top-down" && task.complex && task.depth < settings.maxDepth && !task.children;
  const dispatch =
    settings.scheduling === "continuous" && !budgeted
      ? dispatchPool(board, settings.maxParallel, expandable)
      : dispatchReady(board, settings.maxParallel, settings.chainDispatch && !budgeted, step.emit);
  if (dispatch.length === 0 && !allTerminal(board.table)) skipPending(board, "its dependencies can never complete", step.emit);
  return { dispatch, usage, results: parentResults };
}

/** After a wave: results in, follow-ups, budgets, an optional replan, then the next wave. */
async function runRound(step: Step): Promise<Update> {
  const { state, settings, deps, notes, emit } = step;
  const board = new TaskBoard(state.tasks);
  const absorbed = absorbResults(board, state.results, emit);
  const parentResults = completeParents(board, state.results, emit);
  acceptFollowUps(step, board, absorbed);
  skipBlocked(board, emit);
  const deadLetters = mergeDeadLetters(state.deadLetters, absorbed.dead);
  const over = budgetExceeded(settings, runUsage(state), state.startedAt);
  if (over) {
    const stopReason = `run budget reached: ${over}`;
    const stopped = skipPending(board, stopReason, emit);
    Object.assign(parentResults, completeParents(board, state.results, emit));
    if (stopped.length) notes.push(`Dispatching stopped: ${stopReason}; ${stopped.length} task(s) not run.`);
    return { tasks: board.changes(), ...resultsUpdate(parentResults), deadLetters, dispatch: [], stopReason, notes };
  }
  let usage = state.orchestrationUsage;
  let replans = state.replans;
  if (shouldReplan(step, absorbed, replans)) {
    replans++;
    const results = { ...state.results, ...parentResults };
    const decision = await askReplan(step.planner(), state.goal, board.all(), results, deps.registry, settings, step.signal);
    usage = addUsage(usage, decision.usage);
    applyReplan(step, board, decision);
  }
  const next = await scheduleNext(step, board, { ...state.results, ...parentResults });
  Object.assign(parentResults, next.results);
  return {
    tasks: board.changes(),
    ...resultsUpdate(parentResults),
    deadLetters,
    dispatch: next.dispatch,
    replans,
    orchestrationUsage: addUsage(usage, next.usage),
    notes,
  };
}

/** The results an orchestrator step writes itself (completed parents), if any. */
const resultsUpdate = (results: State["results"]): Update => (Object.keys(results).length ? { results } : {});

/** New dead letters replace older ones of the same task (a re-driven task that died again). */
function mergeDeadLetters(current: State["deadLetters"], added: State["deadLetters"]): State["deadLetters"] {
  return [...current.filter((letter) => !added.some((d) => d.taskId === letter.taskId)), ...added];
}

function shouldReplan({ settings, deps }: Step, absorbed: Absorbed, replans: number): boolean {
  if (!deps.models.configured || replans >= settings.maxReplans) return false;
  if (settings.replan === "after-wave") return absorbed.finished > 0;
  if (settings.replan === "on-failure") return absorbed.dead.length > 0;
  return false;
}

function acceptFollowUps({ settings, deps, emit, notes }: Step, board: TaskBoard, absorbed: Absorbed): void {
  for (const { from, spec } of absorbed.followUps) {
    const { accepted, rejected } = addTasks(board, [spec], {
      registry: deps.registry,
      maxTasks: settings.maxTasks,
      origin: "follow-up",
      depth: from.depth,
    });
    for (const id of accepted) emit({ type: "task.follow_up", taskId: id, worker: spec.worker, from: from.id, accepted: true });
    for (const { id, reason } of rejected) {
      notes.push(`Follow-up "${id}" proposed by "${from.id}" was rejected: ${reason}.`);
      emit({ type: "task.follow_up", taskId: id, worker: spec.worker, from: from.id, accepted: false, reason });
    }
  }
}

function applyReplan({ settings, deps, emit, notes }: Step, board: TaskBoard, decision: ReplanDecision): void {
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
  for (const { id, reason } of rejected) notes.push(`Replanned task "${id}" was rejected: ${reason}.`);
  notes.push(`Replanned: ${decision.reason}`);
  emit({ type: "plan.replanned", reason: decision.reason, added: accepted, cancelled });
}

/** Top-down strategy: breaks ready complex tasks into subtasks; a task that cannot be expanded runs as it is. */
async function expandComplexTasks(step: Step, board: TaskBoard): Promise<Usage> {
  const { settings, deps, emit, notes } = step;
  if (settings.strategy !== "top-down" || !deps.models.configured) return ZERO_USAGE;
  const candidates = readyTasks(board.table).filter((task) => task.complex && task.depth < settings.maxDepth && !task.children);
  let usage = ZERO_USAGE;
  const room = () => settings.maxTasks - board.size;
  const outcomes = await Promise.all(
    candidates.map((task) =>
      expandTask(step.planner(), step.state.goal, task, deps.registry, settings, Math.max(2, Math.floor(room() / candidates.length)), step.signal),
    ),
  );
  candidates.forEach((parent, i) => {
    const outcome = outcomes[i]!;
    usage = addUsage(usage, outcome.usage);
    if (!outcome.ok || outcome.tasks.length > room()) {
      const why = outcome.ok ? "not enough room under maxTasks" : outcome.errors.join("; ");
      notes.push(`Task "${parent.id}" could not be expanded (${why}); it runs as one task.`);
      board.put({ ...parent, complex: false });
      return;
    }
    const local = new Set(outcome.tasks.map((task) => task.id));
    const prefix = (id: string) => `${parent.id}.${id}`;
    const children = outcome.tasks.map((task) => ({
      ...task,
      id: prefix(task.id),
      dependsOn: [...parent.dependsOn, ...task.dependsOn.filter((dep) => local.has(dep)).map(prefix)],
      complex: task.complex && parent.depth + 1 < settings.maxDepth,
    }));
    const records = toRecords(children, "expansion", board.nextOrder(), { depth: parent.depth + 1, parent: parent.id });
    for (const record of records) board.put(record);
    const childIds = records.map((record) => record.id);
    board.put({ ...parent, status: "running", children: childIds, dependsOn: [...parent.dependsOn, ...childIds] });
    emit({ type: "task.expanded", taskId: parent.id, worker: parent.worker, children: childIds });
  });
  return usage;
}
