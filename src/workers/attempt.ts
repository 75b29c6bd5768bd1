import { BaseCallbackHandler } from "@langchain/core/callbacks/base";
import type { BaseChatModel } from "@langchain/core/language_models/chat_models";
import type { BaseMessage } from "@langchain/core/messages";
import type { LLMResult } from "@langchain/core/outputs";
import type { EventInit } from "../events.js";
import type { ModelProvider, ModelRole } from "../models.js";
import type { AttemptParams, WorkerInput } from "../schemas.js";
import type { Settings } from "../settings.js";
import { addUsage, usageOf, ZERO_USAGE, type Usage } from "../budget/usage.js";
import type { ModelAccess, WorkerMemory } from "../worker-contract.js";
import { memoryConfigurable } from "./memory.js";
import { meteredModel, RunMeter, tokensOf, type CallObserver } from "../budget/meter.js";

export interface ExecuteOptions {
  provider: ModelProvider;
  settings: Settings;
  emit: (event: EventInit) => void;
  /** Cancels the whole task (the run's signal). */
  signal?: AbortSignal;
  /** The run's meter, shared by the wave's workers: every model call asks it first. None: no run budget. */
  meter?: RunMeter;
  /** The run's shared memory, when the graph has a store. */
  memory?: WorkerMemory;
}

/**
 * The configurable of a graph run nested in an attempt (an agent, a graph worker): LangGraph would hand it the parent
 * run's abort signal, ignoring its own; without that it stops with the attempt's, and listens on it, not the run's.
 */
const NESTED_RUN_CONFIGURABLE = { __pregel_abort_signals: undefined } as const;

/** How every run of a task is named and tagged in traces: `<worker>:<task>`, `worker:…` and `task:…`. */
export const taskRunLabels = (worker: string, taskId: string) => ({
  runName: `${worker}:${taskId}`,
  tags: [`worker:${worker}`, `task:${taskId}`],
});

/**
 * The config of a graph run nested in an attempt (an agent, a graph worker): named `<worker>:<task>` and tagged and
 * labelled with the task like the task's own run, on its own signal, with the run's memory for its tools and nodes.
 */
export function nestedRunConfig(input: WorkerInput, worker: string, attempt: Attempt) {
  return {
    ...taskRunLabels(worker, input.task.id),
    metadata: { taskId: input.task.id, worker, attempt: attempt.number },
    configurable: { ...NESTED_RUN_CONFIGURABLE, ...memoryConfigurable(attempt.memory) },
  };
}

/**
 * One attempt's view of the task: its parameters, its time limit and signal, and a meter for the tokens it spends.
 * Its models are metered: each call asks the run's meter first, and a call that fails (or is still running when the
 * attempt ends) is counted here, as no reply reports it.
 */
export class Attempt implements ModelAccess, CallObserver {
  usage: Usage = ZERO_USAGE;
  readonly modelConfigured: boolean;
  readonly maxToolRounds: number;
  readonly memory?: WorkerMemory;
  private readonly runMeter: RunMeter;
  private readonly open = new Set<object>();

  constructor(
    readonly number: number,
    readonly params: AttemptParams,
    readonly signal: AbortSignal,
    /** The attempt's time limit (the worker's `timeoutMs`, else `workerTimeoutMs`): its model clients get it too. */
    readonly timeoutMs: number,
    private readonly options: ExecuteOptions,
  ) {
    this.modelConfigured = options.provider.configured;
    this.maxToolRounds = options.settings.maxToolRounds;
    this.memory = options.memory;
    this.runMeter = options.meter ?? new RunMeter({ deadlineMs: 0, maxTokens: 0, maxModelCalls: 0 });
  }

  model(role: ModelRole = "worker"): BaseChatModel {
    const { settings } = this.options;
    const named = {
      planner: settings.plannerModel,
      synthesizer: settings.synthesizerModel,
      fallback: settings.fallbackModel,
    };
    const model = role === "worker" ? (this.params.model ?? settings.workerModel) : named[role];
    const fallback = role === "worker" && this.params.model === settings.fallbackModel;
    // A planner or synthesizer model asked for inside the attempt runs under the shorter of both limits.
    const limits = {
      planner: settings.plannerTimeoutMs,
      synthesizer: settings.synthesizerTimeoutMs,
      worker: this.timeoutMs,
      fallback: this.timeoutMs,
    };
    const created = this.options.provider.create({
      role: fallback ? "fallback" : role,
      model,
      temperature: role === "worker" ? this.params.temperature : 0,
      timeoutMs: Math.min(this.timeoutMs, limits[role]),
    });
    return meteredModel(created, this.runMeter, this);
  }

  /** Emits a lifecycle event of the task, e.g. a remote agent's progress. */
  emit(event: EventInit): void {
    this.options.emit(event);
  }

  recordUsage(usage: Partial<Usage>): void {
    this.usage = addUsage(this.usage, { modelCalls: 1, ...usage });
  }

  /** Records the usage of a model reply. */
  meter(reply: BaseMessage | undefined): void {
    this.recordUsage(usageOf(reply));
  }

  callStarted(): (ok: boolean) => void {
    const call = {};
    this.open.add(call);
    return (ok) => {
      // A call counted when the attempt ended is not counted again; a successful one is recorded by its caller.
      if (this.open.delete(call) && !ok) this.recordUsage({});
    };
  }

  /**
   * Meters the model calls of a graph worker's own models, which `model()` did not create: each call asks the run's
   * meter first and its tokens count when it ends. A refused call aborts `signal` (the attempt's, to run the graph
   * with) with the `RunBudgetReachedError` before its request is made: the call fails at once and the graph stops.
   */
  foreignCalls(): ForeignCalls {
    const refusal = new AbortController();
    const handler = new ForeignCallMeter(
      this.runMeter,
      (usage) => this.recordUsage(usage),
      (error) => refusal.abort(error),
    );
    return {
      handler,
      signal: AbortSignal.any([this.signal, refusal.signal]),
      refused: () => (refusal.signal.aborted ? (refusal.signal.reason as Error) : undefined),
    };
  }

  /** Ends the attempt: calls still running (cut by a time limit) count as made. */
  close(): void {
    for (const _call of this.open) this.recordUsage({});
    this.open.clear();
  }
}

/** The metering of a graph's own model calls: its callback handler, the signal to run it with, and the refusal if any. */
export interface ForeignCalls {
  handler: BaseCallbackHandler;
  signal: AbortSignal;
  /** The `RunBudgetReachedError` that refused a call, once one was refused. */
  refused(): Error | undefined;
}

/**
 * Meters calls of models the attempt did not create, through their callbacks (awaited, so a refusal comes before the
 * request). A refusal is delivered through `refuse`, not thrown: @langchain/core logs every error a handler throws.
 */
class ForeignCallMeter extends BaseCallbackHandler {
  name = "orchestrator_foreign_call_meter";
  /** Runs of refused calls: their abort is not a call made. */
  private readonly refusedRuns = new Set<string>();

  constructor(
    private readonly meter: RunMeter,
    private readonly record: (usage: Partial<Usage>) => void,
    private readonly refuse: (error: unknown) => void,
  ) {
    super({ _awaitHandler: true });
  }

  override async handleChatModelStart(_llm: unknown, _messages: unknown, runId: string): Promise<void> {
    try {
      await this.meter.admit();
    } catch (error) {
      this.refusedRuns.add(runId);
      this.refuse(error);
    }
  }

  override handleLLMEnd(output: LLMResult): void {
    const usage = tokensOf(output);
    this.meter.settle(usage);
    this.record({ ...usage, modelCalls: 1 });
  }

  override handleLLMError(_error: unknown, runId: string): void {
    if (!this.refusedRuns.delete(runId)) this.record({});
  }
}
