import type { BaseChatModel } from "@langchain/core/language_models/chat_models";
import type { OrchestratorDeps } from "../deps.js";
import type { LangGraphRunnableConfig } from "@langchain/langgraph";
import { emitter, type Emit } from "../events.js";
import { resolveSettings, type Settings } from "../settings.js";
import type { State } from "../state.js";

/** What one orchestrator round works with. */
export interface Round {
  state: State;
  settings: Settings;
  deps: OrchestratorDeps;
  emit: Emit;
  /** Notes this round adds to the run's (an append-only channel). */
  notes: string[];
  signal?: AbortSignal;
  /** The planner model, created on first use. */
  planner(): BaseChatModel;
}

/** Opens a round: the run's settings, its event stream and a lazily created planner model. */
export function openRound(state: State, config: LangGraphRunnableConfig, deps: OrchestratorDeps): Round {
  const settings = resolveSettings(config, deps.settings);
  let planner: BaseChatModel | undefined;
  return {
    state,
    settings,
    deps,
    emit: emitter(config),
    notes: [],
    signal: config.signal,
    planner: () => (planner ??= deps.models.create({ role: "planner", model: settings.plannerModel, temperature: 0, timeoutMs: settings.plannerTimeoutMs })),
  };
}
