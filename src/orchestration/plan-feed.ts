import { task as durableTask, pushMessage, type LangGraphRunnableConfig } from "@langchain/langgraph";
import type { OrchestratorDeps } from "../deps.js";
import { promptNonce } from "../fence.js";
import { streamedTaskSpec } from "../plan/plan-stream.js";
import { planGoal, planRules } from "../plan/planner.js";
import { criticalPathRanks } from "../plan/ranks.js";
import type { PlanOutcome, TaskSpec, WorkerAssignment } from "../schemas.js";
import type { Settings } from "../settings.js";
import type { State } from "../state.js";
import { planPiece } from "./chat.js";
import { awaitsExpansion } from "./expansion.js";
import { meteredModel, type RunMeter } from "../budget/meter.js";
import type { PlanFeed, PoolStep } from "../workers/pool.js";

/** Whether the run's first plan streams into a pool: eager dispatch, `streamPlan`, a planner and no review first. */
export const streamsPlan = (settings: Settings, state: Pick<State, "plan">, deps: OrchestratorDeps): boolean =>
  settings.streamPlan &&
  settings.scheduling === "continuous" &&
  !settings.reviewPlan &&
  !state.plan &&
  deps.models.configured;

/** A pool step of a planned task: its first dispatch, no results yet. */
const stepOf = (task: TaskSpec, rank: number): PoolStep => ({
  task: { ...task, depth: 0 },
  dependencies: {},
  dispatch: 1,
  rank,
});

/**
 * The planner as a pool's source of steps: the planner call is a durable task (`streamed_plan`: a task named like the
 * `planner` call inside it would have LangGraph stream that call's reply as the node's messages), each task that can
 * start on its own is pushed as it streams, and a plan that is valid as it streamed adds the rest of its tasks (highest
 * rank first) at its end. A plan that needed a repair, or failed, adds nothing: the orchestrator adopts it first.
 * Top-down tasks marked complex wait for their expansion. With `announcePlan`, each task's line goes to the chat as
 * the plan streams (on the `messages` stream only: the worker node stores the plan message when the pool ends).
 */
export function planFeed(
  deps: OrchestratorDeps,
  settings: Settings,
  assignment: WorkerAssignment & { planning: { conversation: string } },
  config: LangGraphRunnableConfig,
  meter?: RunMeter,
): PlanFeed & { outcome(): Promise<PlanOutcome> } {
  const launched: TaskSpec[] = [];
  let planned: Promise<PlanOutcome> | undefined;
  const runnable = (task: TaskSpec) => !awaitsExpansion({ ...task, depth: 0 }, settings, deps.models.configured);
  const planner = durableTask("streamed_plan", async (goal: string): Promise<PlanOutcome> => {
    const model = deps.models.create({
      role: "planner",
      model: settings.plannerModel,
      temperature: 0,
      timeoutMs: settings.plannerTimeoutMs,
    });
    const conversation = {
      text: assignment.planning.conversation,
      nonce: promptNonce(assignment.fenceSeed, "conversation"),
    };
    const signal = meter ? meter.withDeadline(config.signal) : config.signal;
    const seen = new Set<string>();
    const rules = planRules(deps.registry, settings);
    return planGoal(
      meter ? meteredModel(model, meter) : model,
      goal,
      deps.registry,
      settings,
      signal,
      conversation,
      (raw) => push(raw, seen, rules),
    );
  }) as unknown as (goal: string) => Promise<PlanOutcome>;
  let onStep: (step: PoolStep) => void = () => {};
  const shown = new Set<string>();
  const show = (task: TaskSpec) => {
    if (!settings.announcePlan || !assignment.runId || shown.has(task.id)) return;
    pushMessage(planPiece(task, shown.size === 0, assignment.runId), { ...config, stateKey: null });
    shown.add(task.id);
  };
  const push = (raw: unknown, seen: Set<string>, rules: ReturnType<typeof planRules>) => {
    const spec = streamedTaskSpec(raw, seen, rules);
    if (!spec) return;
    seen.add(spec.id);
    show(spec);
    onStep(stepOf(spec, 0));
  };
  return {
    launched,
    runnable,
    async start(push) {
      onStep = push;
      planned = planner(assignment.goal);
      const outcome = await planned;
      if (!outcome.ok || outcome.repairs > 0 || outcome.dropped.length > 0) return undefined;
      for (const task of outcome.tasks) show(task);
      const ranks = criticalPathRanks(outcome.tasks);
      return outcome.tasks.map((task) => stepOf(task, ranks.get(task.id)!)).sort((a, b) => b.rank - a.rank);
    },
    outcome: () => planned ?? Promise.reject(new Error("the planner was never started")),
  };
}
