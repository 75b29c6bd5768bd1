/** The wave meters a worker node owns: one meter per wave of a run, shared by the wave's workers in this process. */
import type { LangGraphRunnableConfig } from "@langchain/langgraph";
import { describe, expect, it } from "vitest";
import { WaveMeters } from "../../src/budget/meter.js";
import { ZERO_USAGE } from "../../src/budget/usage.js";

const budgets = { deadlineMs: 0, maxTokens: 0, maxModelCalls: 3 };
const snapshot = { runId: "r1", used: ZERO_USAGE };
const worker = (step: number, thread = "t"): LangGraphRunnableConfig => ({
  configurable: { thread_id: thread, checkpoint_ns: `worker:${step}` },
  metadata: { langgraph_step: step },
});

describe("wave meters", () => {
  it("gives every worker of one wave the same meter, so the wave's calls count together", () => {
    const meters = new WaveMeters();
    const first = meters.meterFor(worker(3), snapshot, budgets);
    first.admit(2);
    const second = meters.meterFor(worker(3), snapshot, budgets);
    expect(second).toBe(first);
    expect(second.used().modelCalls).toBe(2);
  });

  it("starts the run's next wave from its own snapshot, not from the last wave's meter", () => {
    const meters = new WaveMeters();
    meters.meterFor(worker(3), snapshot, budgets).admit(2);
    const next = meters.meterFor(worker(5), { ...snapshot, used: { ...ZERO_USAGE, modelCalls: 2 } }, budgets);
    expect(next.used().modelCalls).toBe(2);
    expect(meters.meterFor(worker(5), snapshot, budgets)).toBe(next);
  });

  it("keeps the runs of different threads apart", () => {
    const meters = new WaveMeters();
    meters.meterFor(worker(3, "a"), snapshot, budgets).admit(3);
    expect(meters.meterFor(worker(3, "b"), snapshot, budgets).reached()).toBeUndefined();
  });
});
