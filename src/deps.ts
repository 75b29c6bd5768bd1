import type { Emit } from "./events.js";
import type { TaskResult, WorkerInput } from "./schemas.js";
import type { Settings, SettingsInput } from "./settings.js";
import type { BudgetShare } from "./budget/budgets.js";
import type { ModelProvider } from "./models.js";
import type { WorkerCatalog } from "./worker-contract.js";

/** What every node is built with: the workers, the models, and default settings. */
export interface OrchestratorDeps {
  registry: WorkerCatalog;
  models: ModelProvider;
  /** Defaults under the run's own config (`context` / `configurable`). */
  settings?: SettingsInput;
  /** Runs each task elsewhere (a job queue's task workers) instead of in this process; none: here. */
  taskRunner?: TaskRunner;
}

/** What a task runner is told besides the task: the thread, the run's settings, where events go, and the run's signal. */
export interface TaskRunContext {
  threadId: string;
  settings: Settings;
  emit: Emit;
  signal?: AbortSignal;
  /** Under a run budget: the wave's share of it, so that the task's model calls count with the rest of the wave's. */
  budget?: BudgetShare;
}

/** Runs one task to its result record somewhere else; a rejection becomes the task's failed result. */
export type TaskRunner = (input: WorkerInput, context: TaskRunContext) => Promise<TaskResult>;

/** Every model a run may create: the four role settings and each worker's own models. */
export function modelSettings(settings: Settings, registry: WorkerCatalog): string[] {
  const own = registry
    .list()
    .flatMap((worker) => [
      ...(worker.kind === "agent" && worker.model ? [worker.model] : []),
      ...(worker.retryLadder ?? []).flatMap((rung) => (rung.model ? [rung.model] : [])),
    ]);
  return [settings.plannerModel, settings.workerModel, settings.synthesizerModel, settings.fallbackModel, ...own];
}

/** Loads what the provider needs for the run's models (a provider package): a node awaits it before its first model. */
export async function prepareModels(
  deps: Pick<OrchestratorDeps, "registry" | "models">,
  settings: Settings,
): Promise<void> {
  await deps.models.prepare?.(modelSettings(settings, deps.registry));
}
