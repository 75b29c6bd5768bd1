import { getMaxListeners, setMaxListeners } from "node:events";
import { RunnableLambda } from "@langchain/core/runnables";
import { task as durableTask, type LangGraphRunnableConfig } from "@langchain/langgraph";
import { resolveSettings, type Settings } from "../src/config.js";
import type { OrchestratorDeps } from "../src/context.js";
import { emitter } from "../src/events.js";
import { classifyError } from "../src/failures.js";
import { ZERO_USAGE, type TaskResult, type WorkerAssignment, type WorkerInput } from "../src/schemas.js";
import type { Update } from "../src/state.js";
import { executeTask } from "../src/workers/execute.js";

/**
 * The worker node: runs its chain of tasks (usually one) through their registered workers, in order. Each task
 * of a longer chain is a LangGraph `task`, so its result is checkpointed the moment it finishes and is not run
 * again on resume.
 * The chain stops early at a failed task or one that proposes follow-ups (the orchestrator decides first); the
 * tasks not run go back to pending. Never throws: failure is a result too.
 */
export function makeWorkerNode(deps: OrchestratorDeps) {
  return async function worker(assignment: WorkerAssignment, config: LangGraphRunnableConfig): Promise<Update> {
    const settings = resolveSettings(config, deps.settings);
    // Every worker in flight listens on the run's signal: allow one listener set per parallel task.
    if (config.signal) setMaxListeners(Math.max(getMaxListeners(config.signal), 4 * settings.maxParallel + 10), config.signal);
    // A chain's steps are durable tasks, checkpointed one by one; a lone task is covered by the node's own write.
    const run = (input: WorkerInput) => traced(input, deps, settings, config);
    const runStep = assignment.steps.length > 1 ? durableTask("run_task", run) : run;
    const results: Record<string, TaskResult> = {};
    const emit = emitter(config);
    for (const [i, { rank, ...step }] of assignment.steps.entries()) {
      if (i > 0) emit({ type: "task.queued", taskId: step.task.id, worker: step.task.worker, rank });
      const produced = Object.fromEntries(
        step.task.dependsOn.filter((id) => results[id]).map((id) => [id, dependencyOf(results[id]!, assignment, id)]),
      );
      const result = await runStep({ goal: assignment.goal, ...step, dependencies: { ...step.dependencies, ...produced } });
      results[step.task.id] = result;
      if (result.status !== "done" || result.followUps.length > 0) break;
    }
    return { results };
  };
}

function dependencyOf(result: TaskResult, assignment: WorkerAssignment, id: string): WorkerInput["dependencies"][string] {
  const title = assignment.steps.find((step) => step.task.id === id)?.task.title ?? id;
  return { title, worker: result.worker, output: result.output, data: result.data };
}

/** One task, traced as `<worker>:<task>` with its metadata so traces can be filtered per subtask. */
function traced(input: WorkerInput, deps: OrchestratorDeps, settings: Settings, config: LangGraphRunnableConfig): Promise<TaskResult> {
  const { task } = input;
  return RunnableLambda.from((payload: WorkerInput) => runTask(payload, deps, settings, config)).invoke(input, {
    runName: `${task.worker}:${task.id}`,
    tags: [`worker:${task.worker}`, `task:${task.id}`],
    metadata: {
      taskId: task.id,
      worker: task.worker,
      dispatch: input.dispatch,
      dependsOn: task.dependsOn,
      ...(task.parent ? { parentTask: task.parent } : {}),
    },
  });
}

async function runTask(input: WorkerInput, deps: OrchestratorDeps, settings: Settings, config: LangGraphRunnableConfig): Promise<TaskResult> {
  const started = new Date();
  try {
    return await executeTask(input, deps.registry.get(input.task.worker), {
      provider: deps.models,
      settings,
      emit: emitter(config),
      signal: config.signal,
    });
  } catch (error) {
    return {
      taskId: input.task.id,
      worker: input.task.worker,
      dispatch: input.dispatch,
      status: "failed",
      output: "",
      error: { ...classifyError(error), retryable: false },
      attempts: [],
      startedAt: started.toISOString(),
      durationMs: Date.now() - started.getTime(),
      usage: ZERO_USAGE,
      followUps: [],
    };
  }
}
