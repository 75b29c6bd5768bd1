import { describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import { parseSettings, recursionLimitFor, resolveSettings, SettingsSchema } from "../../src/settings.js";
import { ConfigError, RegistryError, UnknownWorkerError } from "../../src/errors.js";
import { agentWorker, functionWorker, WorkerRegistry } from "../../src/workers/registry.js";
import { DEFAULT_WORKERS, defaultRegistry } from "../../src/workers/defaults.js";
import { planSchema } from "../../src/plan/planner.js";

const fn = (name: string, description = "does things") => functionWorker({ name, description, run: async () => "ok" });

describe("worker registry", () => {
  it("lists workers in registration order and defaults to the first", () => {
    const registry = new WorkerRegistry([fn("alpha"), fn("beta_two")]);
    expect(registry.names).toEqual(["alpha", "beta_two"]);
    expect(registry.defaultWorker).toBe("alpha");
    expect(registry.get("beta_two").name).toBe("beta_two");
  });

  it("rejects names that are not snake_case", () => {
    expect(() => new WorkerRegistry([fn("WebSearch")])).toThrow(
      new RegistryError('Worker name "WebSearch" is not snake_case (e.g. "web_researcher").'),
    );
    expect(() => new WorkerRegistry([fn("web-search")])).toThrow(RegistryError);
  });

  it("rejects a duplicate name, a missing description and an agent without a prompt", () => {
    expect(() => new WorkerRegistry([fn("a"), fn("a")])).toThrow('Worker "a" is registered twice.');
    expect(() => new WorkerRegistry([fn("a", " ")])).toThrow('Worker "a" has no description.');
    expect(() => new WorkerRegistry([agentWorker({ name: "a", description: "d", systemPrompt: "" })])).toThrow(
      'Agent worker "a" has no system prompt.',
    );
  });

  it("rejects an empty registry and an unknown default worker", () => {
    expect(() => new WorkerRegistry([])).toThrow(RegistryError);
    expect(() => new WorkerRegistry([fn("a")], "b")).toThrow('Default worker "b" is not registered.');
  });

  it("names the known workers when asked for an unknown one", () => {
    expect(() => new WorkerRegistry([fn("a"), fn("b")]).get("c")).toThrow(new UnknownWorkerError("c", ["a", "b"]));
  });

  it("builds the plan schema's worker field from the registry", () => {
    const schema = planSchema(new WorkerRegistry([fn("alpha"), fn("beta")]));
    const planned = {
      id: "t",
      title: "T",
      description: "",
      dependsOn: [],
      expectedOutput: "",
      estimatedCost: 1,
      complex: false,
    };
    expect(schema.safeParse({ rationale: "", tasks: [{ ...planned, worker: "beta" }] }).success).toBe(true);
    expect(schema.safeParse({ rationale: "", tasks: [{ ...planned, worker: "gamma" }] }).success).toBe(false);
  });

  it("ships general-purpose agent workers with real prompts", () => {
    expect(defaultRegistry().names).toEqual(["researcher", "analyst", "writer", "reviewer"]);
    for (const worker of DEFAULT_WORKERS) {
      expect(worker.kind).toBe("agent");
      expect(worker.kind === "agent" && worker.systemPrompt.length).toBeGreaterThan(150);
    }
  });
});

describe("settings", () => {
  it("has documented defaults", () => {
    expect(parseSettings({})).toMatchObject({
      plannerModel: "gpt-4o-mini",
      fallbackModel: "gpt-4o",
      strategy: "dependency",
      maxParallel: 8,
      maxTasks: 30,
      maxReplans: 2,
      maxRetries: 2,
      workerTimeoutMs: 30_000,
      reviewPlan: false,
    });
    for (const [key, field] of Object.entries(SettingsSchema.shape)) expect(field.description, key).toBeTruthy();
  });

  it("lets context override configurable, and configurable override defaults", () => {
    const settings = resolveSettings({
      configurable: { maxParallel: 3, maxTasks: 9, thread_id: "x" },
      context: { maxParallel: 5 },
    });
    expect(settings.maxParallel).toBe(5);
    expect(settings.maxTasks).toBe(9);
  });

  it("names the bad field and value", () => {
    expect(() => parseSettings({ maxParallel: 0 })).toThrow(ConfigError);
    expect(() => parseSettings({ maxParallel: 0 })).toThrow(/maxParallel=0/);
    expect(() => parseSettings({ strategy: "random" })).toThrow(/strategy="random"/);
  });

  it("are all documented in docs/configuration.md with their defaults", () => {
    const readme = readFileSync(new URL("../../docs/configuration.md", import.meta.url), "utf8");
    for (const [key, value] of Object.entries(parseSettings({}))) {
      const row = readme.split("\n").find((line) => line.startsWith(`| \`${key}\` |`));
      expect(row, key).toBeDefined();
      expect(row, key).toContain(`\`${value}\``);
    }
  });

  it("derives a recursion limit that covers every round the limits allow", () => {
    expect(recursionLimitFor({ maxTasks: 30, maxReplans: 2 })).toBe(2 * (60 + 2 + 4) + 4);
    expect(recursionLimitFor({ maxTasks: 60, maxReplans: 2 })).toBeGreaterThan(
      recursionLimitFor({ maxTasks: 30, maxReplans: 2 }),
    );
  });
});
