import type { SettingsInput } from "./settings.js";
import type { ModelProvider } from "./models.js";
import type { WorkerCatalog } from "./worker-contract.js";

/** What every node is built with: the workers, the models, and default settings. */
export interface OrchestratorDeps {
  registry: WorkerCatalog;
  models: ModelProvider;
  /** Defaults under the run's own config (`context` / `configurable`). */
  settings?: SettingsInput;
}
