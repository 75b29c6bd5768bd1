import type { SettingsInput } from "./settings.js";
import type { ModelProvider } from "./models.js";
import type { WorkerRegistry } from "./workers/registry.js";

/** What every node is built with: the workers, the models, and default settings. */
export interface OrchestratorDeps {
  registry: WorkerRegistry;
  models: ModelProvider;
  /** Defaults under the run's own config (`context` / `configurable`). */
  settings?: SettingsInput;
}
