import { describe, expect, it } from "vitest";
import { ConfigError, RegistryError } from "../../src/errors.js";
import { createOrchestrator } from "../../src/index.js";
import { MAX_TIMER_MS, parseSettings } from "../../src/settings.js";
import { functionWorker, WorkerRegistry } from "../../src/workers/registry.js";

const OVER = 3_000_000_000;

describe("time limits beyond Node's timer", () => {
  it.each(["workerTimeoutMs", "plannerTimeoutMs", "synthesizerTimeoutMs", "deadlineMs"])(
    "refuses %s over 2^31-1 ms, naming the setting and the value",
    (key) => {
      expect(() => parseSettings({ [key]: OVER })).toThrow(ConfigError);
      expect(() => parseSettings({ [key]: OVER })).toThrow(
        `${key}=${OVER}: at most 2147483647 ms (about 24.8 days), the longest timer Node can set`,
      );
    },
  );

  it("accepts the longest timer Node can set", () => {
    expect(parseSettings({ workerTimeoutMs: MAX_TIMER_MS }).workerTimeoutMs).toBe(2_147_483_647);
  });

  it("refuses a worker whose own time limit is over it, naming the worker and the value", () => {
    const worker = functionWorker({ name: "slow", description: "d", run: async () => "ok", timeoutMs: OVER });
    expect(() => new WorkerRegistry([worker])).toThrow(RegistryError);
    expect(() => new WorkerRegistry([worker])).toThrow(`Worker "slow" has timeoutMs ${OVER}`);
  });

  it("refuses the run before any attempt starts instead of timing every attempt out at once", async () => {
    let calls = 0;
    const orchestrator = await createOrchestrator({
      checkpointer: "memory",
      workers: [functionWorker({ name: "echo", description: "d", run: async () => (calls++, "ok") })],
    });
    const plan = { tasks: [{ id: "a", title: "A", worker: "echo" }] };
    await expect(orchestrator.run("goal", { plan, settings: { workerTimeoutMs: OVER } })).rejects.toThrow(
      `workerTimeoutMs=${OVER}`,
    );
    expect(calls).toBe(0);
  });
});
