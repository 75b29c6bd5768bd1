import { Overwrite, type LangGraphRunnableConfig } from "@langchain/langgraph";
import { resolveSettings, type Settings } from "../src/config.js";
import type { OrchestratorDeps } from "../src/context.js";
import { emitter, type EventInit } from "../src/events.js";
import { PlanValidationError } from "../src/errors.js";
import { breakCycles, REPAIRABLE_ISSUES, validatePlan } from "../src/plan.js";
import { askReplan, expandTask, planGoal } from "../src/planner.js";
import {
  absorbResults,
  addTasks,
  budgetExceeded,
  runUsage,
  skipPending,
  completeParents,
  dispatchReady,
  skipBlocked,
  TaskBoard,
  toRecords,
  type Absorbed,
} from "../src/policy.js";
import { allTerminal, readyTasks } from "../src/scheduling.js";
import { addUsage, ZERO_USAGE, type TaskSpec, type Usage } from "../src/schemas.js";
import type { PlanSource, State, Update } from "../src/state.js";

type Emit = (event: EventInit) => void;

/** The orchestrator: plans the goal, then after every wave reads results, adapts the plan and dispatches. */
export function makeOrchestratorNode(deps: OrchestratorDeps) {
  return async function orchestrator(state: State, config: LangGraphRunnableConfig): Promise<Update> {
    const settings = resolveSettings(config, deps.settings);
    const emit = emitter(config);
    if (state.planGoal !== state.goal) return startPlan(state, settings, deps, emit, config.signal);
    return runRound(state, settings, deps, emit, config.signal);
  };
}

/** Validation problems of a plan that cycle-breaking cannot fix. */
function fatalIssues(specs: readonly TaskSpec[], deps: OrchestratorDeps, settings: Settings): string[] {
  return validatePlan(specs, { workers: deps.registry.names, maxTasks: settings.maxTasks })
    .filter((issue) => !REPAIRABLE_ISSUES.has(issue.code))
    .map((issue) => issue.message);
}

const isRunnable = (tasks: NonNullable<State["fallbackPlan"]>["tasks"], deps: OrchestratorDeps, settings: Settings) =>
  fatalIssues(tasks.map((task) => ({ ...task, blocks: [] }) as TaskSpec), deps, settings).length === 0;

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

async function startPlan(
  state: State,
  settings: Settings,
  deps: OrchestratorDeps,
  emit: Emit,
  signal?: AbortSignal,
): Promise<Update> {
  const reset: Update = {
    planGoal: state.goal,
    tasks: new Overwrite({}),
    results: new Overwrite({}),
    deadLetters: [],
    droppedEdges: [],
    notes: [],
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
  const notes: string[] = [];
  if (state.plan) {
    specs = state.plan.tasks.map((task) => ({ ...task, blocks: [] }) as TaskSpec);
    const fatal = fatalIssues(specs, deps, settings);
    if (fatal.length) throw new PlanValidationError(fatal, "input plan");
    source = "input";
  } else {
    const outcome = deps.models.configured
      ? await planGoal(deps.models.create({ role: "planner", model: settings.plannerModel, temperature: 0 }), state.goal, deps.registry, settings, signal)
      : { ok: false as const, draft: [], errors: ["no model is configured for the planner"], usage: ZERO_USAGE, repairs: 0 };
    usage = outcome.usage;
    if (outcome.ok) {
      specs = outcome.tasks;
      source = "planner";
      if (outcome.repairs > 0) notes.push(`The plan was repaired ${outcome.repairs} time(s) before it validated.`);
    } else if (state.fallbackPlan && isRunnable(state.fallbackPlan.tasks, deps, settings)) {
      specs = state.fallbackPlan.tasks.map((task) => ({ ...task, blocks: [] }) as TaskSpec);
      source = "caller-fallback";
      notes.push(`Planning failed (${outcome.errors.join("; ")}); the caller's fallback plan runs instead.`);
    } else if (settings.humanFallback) {
      return {
        ...reset,
        orchestrationUsage: addUsage(state.orchestrationUsage, usage),
        notes: [`Planning failed: ${outcome.errors.join("; ")}`],
        pendingReview: { kind: "manual_breakdown", goal: state.goal, tasks: outcome.draft.map(({ blocks: _b, ...task }) => task), errors: outcome.errors },
      };
    } else {
      specs = singleTaskPlan(state.goal, deps.registry.defaultWorker);
      source = "single-task";
      notes.push(`Planning failed (${outcome.errors.join("; ")}); the goal runs as a single task.`);
    }
  }
  const { tasks, dropped } = breakCycles(specs);
  for (const edge of dropped) notes.push(`Dropped dependency ${edge.task} → ${edge.dependsOn} to break the cycle ${edge.cycle.join(" → ")}.`);
  const board = new TaskBoard({});
  for (const record of toRecords(tasks, "plan", 0)) board.put(record);
  emit({
    type: "plan.created",
    source,
    tasks: tasks.map((task) => ({ id: task.id, title: task.title, worker: task.worker, dependsOn: task.dependsOn })),
  });
  const planned: Update = {
    ...reset,
    planSource: source,
    droppedEdges: dropped,
    orchestrationUsage: addUsage(state.orchestrationUsage, usage),
    notes,
  };
  if (settings.reviewPlan) {
    return {
      ...planned,
      tasks: new Overwrite(board.table),
      pendingReview: { kind: "approve_plan", goal: state.goal, tasks: tasks.map(({ blocks: _b, ...task }) => task), errors: [] },
    };
  }
  const next = await scheduleNext(board, state.goal, {}, settings, deps, emit, notes, signal);
  return {
    ...planned,
    tasks: new Overwrite(board.table),
    dispatch: next.dispatch,
    orchestrationUsage: addUsage(planned.orchestrationUsage as Usage, next.usage),
    ...(Object.keys(next.results).length ? { results: new Overwrite(next.results) } : {}),
  };
}

/**
 * The tail of every round: expands ready complex tasks (top-down), completes parents, skips what can no
 * longer run, and dispatches the highest-priority ready tasks.
 */
async function scheduleNext(
  board: TaskBoard,
  goal: string,
  results: State["results"],
  settings: Settings,
  deps: OrchestratorDeps,
  emit: Emit,
  notes: string[],
  signal?: AbortSignal,
): Promise<{ dispatch: string[]; usage: Usage; results: State["results"] }> {
  const usage = await expandComplexTasks(board, goal, settings, deps, emit, notes, signal);
  const parentResults = completeParents(board, results, emit);
  skipBlocked(board, emit);
  const dispatch = dispatchReady(board, settings.maxParallel, emit);
  if (dispatch.length === 0 && !allTerminal(board.table)) {
    for (const task of board.all().filter((t) => t.status === "pending")) {
      const reason = "its dependencies can never complete";
      board.put({ ...task, status: "skipped", reason });
      emit({ type: "task.skipped", taskId: task.id, worker: task.worker, reason });
    }
  }
  return { dispatch, usage, results: parentResults };
}

async function runRound(
  state: State,
  settings: Settings,
  deps: OrchestratorDeps,
  emit: Emit,
  signal?: AbortSignal,
): Promise<Update> {
  const board = new TaskBoard(state.tasks);
  const notes = [...state.notes];
  const absorbed = absorbResults(board, state.results, emit);
  const parentResults = completeParents(board, state.results, emit);
  acceptFollowUps(board, absorbed, settings, deps, emit, notes);
  skipBlocked(board, emit);
  const over = budgetExceeded(settings, runUsage(state.orchestrationUsage, state.results), state.startedAt);
  if (over) {
    const reason = `run budget reached: ${over}`;
    const stopped = skipPending(board, reason, emit);
    Object.assign(parentResults, completeParents(board, state.results, emit));
    return {
      tasks: board.changes(),
      ...(Object.keys(parentResults).length ? { results: parentResults } : {}),
      deadLetters: mergeDeadLetters(state.deadLetters, absorbed.dead),
      dispatch: [],
      stopReason: reason,
      notes: stopped.length ? [...notes, `Dispatching stopped: ${reason}; ${stopped.length} task(s) not run.`] : notes,
    };
  }
  let usage = state.orchestrationUsage;
  let replans = state.replans;
  if (shouldReplan(settings, absorbed, replans, deps)) {
    replans++;
    const decision = await askReplan(
      deps.models.create({ role: "planner", model: settings.plannerModel, temperature: 0 }),
      state.goal,
      board.all(),
      { ...state.results, ...parentResults },
      deps.registry,
      settings,
      signal,
    );
    usage = addUsage(usage, decision.usage);
    applyReplan(board, decision, settings, deps, emit, notes);
  }
  const next = await scheduleNext(board, state.goal, { ...state.results, ...parentResults }, settings, deps, emit, notes, signal);
  Object.assign(parentResults, next.results);
  usage = addUsage(usage, next.usage);
  const dispatch = next.dispatch;
  return {
    tasks: board.changes(),
    ...(Object.keys(parentResults).length ? { results: parentResults } : {}),
    deadLetters: mergeDeadLetters(state.deadLetters, absorbed.dead),
    dispatch,
    replans,
    orchestrationUsage: usage,
    notes,
  };
}

/** New dead letters replace older ones of the same task (a re-driven task that died again). */
function mergeDeadLetters(current: State["deadLetters"], added: State["deadLetters"]): State["deadLetters"] {
  return [...current.filter((letter) => !added.some((d) => d.taskId === letter.taskId)), ...added];
}

function shouldReplan(settings: Settings, absorbed: Absorbed, replans: number, deps: OrchestratorDeps): boolean {
  if (!deps.models.configured || replans >= settings.maxReplans) return false;
  if (settings.replan === "after-wave") return absorbed.finished > 0;
  if (settings.replan === "on-failure") return absorbed.dead.length > 0;
  return false;
}

function acceptFollowUps(
  board: TaskBoard,
  absorbed: Absorbed,
  settings: Settings,
  deps: OrchestratorDeps,
  emit: Emit,
  notes: string[],
): void {
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

function applyReplan(
  board: TaskBoard,
  decision: Awaited<ReturnType<typeof askReplan>>,
  settings: Settings,
  deps: OrchestratorDeps,
  emit: Emit,
  notes: string[],
): void {
  if (!decision.revise) {
    notes.push(`The planner kept the plan: ${decision.reason}`);
    return;
  }
  const cancelled: string[] = [];
  for (const id of decision.cancelTaskIds) {
    const task = board.get(id);
    if (task?.status !== "pending") continue;
    board.put({ ...task, status: "skipped", reason: `cancelled by replan: ${decision.reason}` });
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
async function expandComplexTasks(
  board: TaskBoard,
  goal: string,
  settings: Settings,
  deps: OrchestratorDeps,
  emit: Emit,
  notes: string[],
  signal?: AbortSignal,
): Promise<Usage> {
  if (settings.strategy !== "top-down" || !deps.models.configured) return ZERO_USAGE;
  const candidates = readyTasks(board.table).filter((task) => task.complex && task.depth < settings.maxDepth && !task.children);
  let usage = ZERO_USAGE;
  const room = () => settings.maxTasks - board.size;
  const outcomes = await Promise.all(
    candidates.map((task) =>
      expandTask(
        deps.models.create({ role: "planner", model: settings.plannerModel, temperature: 0 }),
        goal,
        task,
        deps.registry,
        settings,
        Math.max(2, Math.floor(room() / Math.max(1, candidates.length))),
        signal,
      ),
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
