import { BaseChatModel } from "@langchain/core/language_models/chat_models";
import type { LLMResult } from "@langchain/core/outputs";
import type { LangGraphRunnableConfig } from "@langchain/langgraph";
import { RunBudgetReachedError } from "../errors.js";
import { budgetExceeded, type BudgetShare, type BudgetSnapshot, type RunBudgets } from "./budgets.js";
import { addUsage, usageOf, ZERO_USAGE, type Usage } from "./usage.js";

/**
 * The run-wide meter that every model call asks before it starts: the usage counted against the run's budgets so
 * far (from state) plus every call started since in this process. An admitted call counts at once, its tokens
 * when it ends; once a budget is reached no call is admitted (calls in flight finish).
 */
export class RunMeter {
  private live: Usage = ZERO_USAGE;

  constructor(
    readonly budgets: RunBudgets,
    protected readonly base: Usage = ZERO_USAGE,
    /** When the budget window opened (ISO time): the deadline counts from here. */
    readonly startedAt?: string,
    /** Names the wave, for the meters of other processes running its tasks (`share`). */
    private readonly ledger?: string,
  ) {}

  /** Usage counted against the budgets: the base plus everything metered since. */
  used(): Usage {
    return addUsage(this.base, this.live);
  }

  /** Which budget is used up, if any. */
  reached(now = Date.now()): string | undefined {
    return budgetExceeded(this.budgets, this.used(), this.startedAt, now);
  }

  /** Why the run stops at its deadline (a timer may fire a moment early: the budget is read at the deadline at least). */
  deadlineReason(): string {
    return this.reached(Math.max(Date.now(), this.deadlineAt ?? 0)) ?? "the deadline passed";
  }

  /** The deadline in epoch ms, if the run has one. */
  get deadlineAt(): number | undefined {
    return this.budgets.deadlineMs > 0 && this.startedAt
      ? Date.parse(this.startedAt) + this.budgets.deadlineMs
      : undefined;
  }

  /**
   * Admits `calls` model calls, counting them, or throws `RunBudgetReachedError` naming the budget used up. (A meter
   * shared between processes asks its ledger, so callers await it.)
   */
  admit(calls = 1): void | Promise<void> {
    const reached = this.reached();
    if (reached) throw new RunBudgetReachedError(reached);
    this.live = addUsage(this.live, { modelCalls: calls });
  }

  /** Adds the tokens of calls that ended. */
  settle(usage: Partial<Usage>): void {
    this.live = addUsage(this.live, { ...usage, modelCalls: 0 });
  }

  /** Adds what a task that ran in another process spent (its calls were metered there): launches from here on see it. */
  record(usage: Usage): void {
    this.live = addUsage(this.live, usage);
  }

  /** What another process's meter needs to count this wave's calls with this one's (`undefined` outside a wave). */
  share(): BudgetShare | undefined {
    const { deadlineMs, maxTokens, maxModelCalls } = this.budgets;
    return this.ledger === undefined
      ? undefined
      : {
          ledger: this.ledger,
          budgets: { deadlineMs, maxTokens, maxModelCalls },
          base: this.base,
          startedAt: this.startedAt,
        };
  }

  /** `signal` (the run's), also aborted at the deadline with a `RunBudgetReachedError`; as it is without a deadline. */
  withDeadline(signal?: AbortSignal): AbortSignal | undefined {
    const at = this.deadlineAt;
    if (at === undefined) return signal;
    const controller = new AbortController();
    const expire = () => controller.abort(new RunBudgetReachedError(this.deadlineReason()));
    // Unref'd: a run that ends before its deadline leaves nothing keeping the process alive.
    setTimeout(expire, Math.max(0, at - Date.now())).unref();
    return signal ? AbortSignal.any([signal, controller.signal]) : controller.signal;
  }
}

/** Told when each metered call starts; the returned function is told how it ended (a failed call reports no usage). */
export interface CallObserver {
  callStarted(): (ok: boolean) => void;
}

type Generate = BaseChatModel["generate"];
type StreamIterator = BaseChatModel["_streamIterator"];

/** The tokens of a generation batch: each message's `usage_metadata`. */
export const tokensOf = (result: LLMResult): Usage => {
  let usage = ZERO_USAGE;
  for (const generation of result.generations.flat())
    usage = addUsage(usage, { ...usageOf((generation as { message?: never }).message), modelCalls: 0 });
  return usage;
};

/** Whether the model streams by itself (else `stream()` falls back to `invoke()`, which is metered on its own). */
const streamsItself = (model: BaseChatModel): boolean =>
  !model.disableStreaming && model._streamResponseChunks !== BaseChatModel.prototype._streamResponseChunks;

/**
 * A view of `model` whose every call asks `meter` first: admitted calls count, refused ones throw before any
 * request is made. The view is the model itself underneath (its tools, structured output and settings bind to
 * the view, as they bind to `this`), with its two entry points — `generate` (invoke, batch) and the stream
 * iterator — metered; a model that `withConfig` copies (ChatOpenAI does, for tools and structured output) is
 * copied into a metered view too.
 */
export function meteredModel<T extends BaseChatModel>(model: T, meter: RunMeter, observer?: CallObserver): T {
  const view = Object.create(model) as T;
  const generate: Generate = async function (this: T, messages, options, callbacks) {
    await meter.admit(messages.length);
    const ended = observer?.callStarted();
    try {
      const result = await model.generate.call(this, messages, options, callbacks);
      meter.settle(tokensOf(result));
      ended?.(true);
      return result;
    } catch (error) {
      ended?.(false);
      throw error;
    }
  };
  const streamIterator: StreamIterator = async function* (this: T, input, options) {
    if (!streamsItself(model)) return yield* model._streamIterator.call(this, input, options);
    await meter.admit();
    const ended = observer?.callStarted();
    let usage = ZERO_USAGE;
    let ok = false;
    try {
      for await (const chunk of model._streamIterator.call(this, input, options)) {
        usage = addUsage(usage, { ...usageOf(chunk), modelCalls: 0 });
        yield chunk;
      }
      ok = true;
    } finally {
      meter.settle(usage);
      ended?.(ok);
    }
  };
  const withConfig = function (this: T, config: Parameters<T["withConfig"]>[0]) {
    const configured = model.withConfig.call(this, config);
    return configured instanceof BaseChatModel ? meteredModel(configured, meter, observer) : configured;
  };
  Object.defineProperties(view, {
    generate: { value: generate },
    _streamIterator: { value: streamIterator },
    withConfig: { value: withConfig },
  });
  return view;
}

/** How many runs' wave meters a worker node keeps: the oldest run's goes first. */
const MAX_SCOPES = 1024;

/** The scope of a run on a thread: its thread, the parent namespace (a graph may run as a subgraph) and its run. */
function scopeOf(config: LangGraphRunnableConfig, runId: string | undefined): string {
  const configurable = (config.configurable ?? {}) as { thread_id?: string; checkpoint_ns?: string };
  const parentNs = (configurable.checkpoint_ns ?? "").split("|").slice(0, -1).join("|");
  return `${configurable.thread_id ?? ""}\u0000${parentNs}\u0000${runId ?? ""}`;
}

/**
 * The meters of the waves in flight, one per run scope: each wave's workers in this process share one meter. A
 * worker node owns one; a run's next wave replaces its meter, and the oldest run's goes past `MAX_SCOPES`, so
 * nothing needs to forget a meter.
 */
export class WaveMeters {
  private readonly meters = new Map<string, { wave: string; meter: RunMeter }>();

  /**
   * The meter of the wave this worker belongs to: created by the wave's first worker from the wave's snapshot (so a
   * resumed wave rebuilds it from state), and shared by the others.
   */
  meterFor(config: LangGraphRunnableConfig, snapshot: BudgetSnapshot, budgets: RunBudgets): RunMeter {
    const scope = scopeOf(config, snapshot.runId);
    const wave = String((config.metadata as { langgraph_step?: number } | undefined)?.langgraph_step ?? "");
    const current = this.meters.get(scope);
    if (current?.wave === wave) return current.meter;
    const meter = new RunMeter(budgets, snapshot.used, snapshot.startedAt, `${scope}\u0000${wave}`);
    this.meters.delete(scope);
    this.meters.set(scope, { wave, meter });
    if (this.meters.size > MAX_SCOPES) this.meters.delete(this.meters.keys().next().value!);
    return meter;
  }
}
