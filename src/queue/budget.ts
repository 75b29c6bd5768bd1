import { createHash } from "node:crypto";
import type { Redis } from "ioredis";
import { RunBudgetReachedError } from "../errors.js";
import { addUsage, type Usage } from "../budget/usage.js";
import type { BudgetShare } from "../budget/budgets.js";
import { RunMeter } from "../budget/meter.js";
import { KEEP_SECONDS } from "./connection.js";

/**
 * Admits `ARGV[5]` calls unless a budget is used up, atomically: the wave's calls and tokens so far (the ledger)
 * plus what the run spent before the wave (ARGV[1..2]), against the call cap and token budget (ARGV[3..4]; 0: none).
 * Returns whether they were admitted and the ledger after.
 */
const ADMIT = `
local calls = tonumber(redis.call('HGET', KEYS[1], 'calls') or '0')
local tokens = tonumber(redis.call('HGET', KEYS[1], 'tokens') or '0')
local maxCalls, maxTokens = tonumber(ARGV[3]), tonumber(ARGV[4])
local over = (maxTokens > 0 and tonumber(ARGV[2]) + tokens >= maxTokens) or (maxCalls > 0 and tonumber(ARGV[1]) + calls >= maxCalls)
if not over then calls = redis.call('HINCRBY', KEYS[1], 'calls', ARGV[5]) end
redis.call('EXPIRE', KEYS[1], ARGV[6])
return {over and 0 or 1, calls, tokens}`;

/**
 * A task worker's meter for one wave of a run: its calls count, in Redis, with those of every other process running
 * the wave's tasks, so the run's budgets hold across machines as they do in one process. The launch checks and the
 * deadline read the ledger as this meter last saw it; admission asks the ledger itself.
 */
export class SharedMeter extends RunMeter {
  private readonly key: string;
  private ledgerUsage: Pick<Usage, "modelCalls" | "totalTokens"> = { modelCalls: 0, totalTokens: 0 };

  constructor(
    private readonly redis: Redis,
    prefix: string,
    share: BudgetShare,
  ) {
    super(share.budgets, share.base, share.startedAt);
    this.key = `${prefix}:budget:${createHash("sha256").update(share.ledger).digest("hex").slice(0, 32)}`;
  }

  override used(): Usage {
    return addUsage(this.base, this.ledgerUsage);
  }

  override async admit(calls = 1): Promise<void> {
    const known = this.reached();
    if (known) throw new RunBudgetReachedError(known);
    const { modelCalls, totalTokens } = this.base;
    const { maxModelCalls, maxTokens } = this.budgets;
    const [admitted, ledgerCalls, ledgerTokens] = (await this.redis.eval(
      ADMIT,
      1,
      this.key,
      modelCalls,
      totalTokens,
      maxModelCalls,
      maxTokens,
      calls,
      KEEP_SECONDS,
    )) as number[];
    this.ledgerUsage = { modelCalls: ledgerCalls!, totalTokens: ledgerTokens! };
    if (!admitted) throw new RunBudgetReachedError(this.reached() ?? "a run budget is used up");
  }

  override settle(usage: Partial<Usage>): void {
    const tokens = usage.totalTokens ?? 0;
    if (tokens <= 0) return;
    this.ledgerUsage = { ...this.ledgerUsage, totalTokens: this.ledgerUsage.totalTokens + tokens };
    // Best effort, in order on this connection: the next admission from here reads it.
    this.redis.hincrby(this.key, "tokens", tokens).catch(() => {});
  }
}
