import type { BaseChatModel } from "@langchain/core/language_models/chat_models";
import type { OrchestratorDeps } from "../deps.js";
import type { LangGraphRunnableConfig } from "@langchain/langgraph";
import { emitter, type Emit } from "../events.js";
import { resolveSettings, type Settings } from "../settings.js";
import type { State } from "../state.js";

import { meteredModel, RunMeter } from "../budget/meter.js";
import { hasRunBudget, type BudgetSnapshot } from "../budget/budgets.js";

/** What one orchestrator round works with. */
export interface Round {
  state: State;
  settings: Settings;
  deps: OrchestratorDeps;
  emit: Emit;
  /** Notes this round adds to the run's (an append-only channel). */
  notes: string[];
  /** The run's signal, and under a deadline aborted by it too. */
  signal?: AbortSignal;
  /** The run this round belongs to. */
  runId?: string;
  /** Under a run budget: the meter every planner call asks first. */
  meter?: RunMeter;
  /** The planner model, created on first use. */
  planner(): BaseChatModel;
}

/** Opens a round: the run's settings, its event stream, its budget meter and a lazily created planner model. */
export function openRound(
  state: State,
  config: LangGraphRunnableConfig,
  deps: OrchestratorDeps,
  window?: BudgetSnapshot,
): Round {
  const settings = resolveSettings(config, deps.settings);
  const meter = window && hasRunBudget(settings) ? new RunMeter(settings, window.used, window.startedAt) : undefined;
  const signal = meter ? meter.withDeadline(config.signal) : config.signal;
  let planner: BaseChatModel | undefined;
  const create = () =>
    deps.models.create({
      role: "planner",
      model: settings.plannerModel,
      temperature: 0,
      timeoutMs: settings.plannerTimeoutMs,
    });
  return {
    state,
    settings,
    deps,
    emit: emitter(config),
    notes: [],
    signal,
    runId: window?.runId,
    meter,
    planner: () => (planner ??= meter ? meteredModel(create(), meter) : create()),
  };
}
