/**
 * A run's settings are parsed once, before it starts, and handed to every node as a typed value: the orchestrator
 * rounds, the workers and the synthesizer read them from the run's config instead of parsing them again.
 */
import { MemorySaver } from "@langchain/langgraph";
import { afterEach, describe, expect, it, vi } from "vitest";
import { createOrchestrator } from "../../src/app/orchestrator.js";
import { parseSettings, SettingsSchema } from "../../src/settings.js";
import { echoWorker, task, WorkLog } from "../helpers/fixtures.js";
import { scriptedProvider } from "../helpers/scripted-model.js";

/** Three rounds of waves: a, then b and c, then d; each worker node and round would parse its settings. */
const plan = { tasks: [task("a"), task("b", ["a"]), task("c", ["a"]), task("d", ["b", "c"])] };

async function orchestrator() {
  return createOrchestrator({
    checkpointer: new MemorySaver(),
    workers: [echoWorker(new WorkLog())],
    models: scriptedProvider({}, { configured: false }),
    settings: { scheduling: "waves", chainDispatch: false, maxRetries: 0 },
  });
}

describe("settings parsed once per run", () => {
  afterEach(() => vi.restoreAllMocks());

  it("parses a run's settings once, however many rounds and workers it has", async () => {
    const created = await orchestrator();
    const parse = vi.spyOn(SettingsSchema, "safeParse");
    const summary = await created.run("g", { plan, settings: { maxParallel: 2 } });
    expect(summary.status).toBe("done");
    expect(summary.tasks.map((t) => t.status)).toEqual(["done", "done", "done", "done"]);
    expect(parse).toHaveBeenCalledTimes(1);
    expect(parse.mock.calls[0]![0]).toEqual({
      scheduling: "waves",
      chainDispatch: false,
      maxRetries: 0,
      maxParallel: 2,
    });
  });

  it("parses an orchestrator's default settings once, for its first run, and not again for the next", async () => {
    const created = await orchestrator();
    const parse = vi.spyOn(SettingsSchema, "safeParse");
    await created.run("g", { plan });
    expect(parse).toHaveBeenCalledTimes(1);
    await created.run("g", { plan });
    expect(parse).toHaveBeenCalledTimes(1);
  });

  it("takes settings already resolved as they are, without parsing them", async () => {
    const settings = parseSettings({ scheduling: "waves", maxRetries: 0 });
    const created = await createOrchestrator({
      checkpointer: new MemorySaver(),
      workers: [echoWorker(new WorkLog())],
      models: scriptedProvider({}, { configured: false }),
      settings,
    });
    const parse = vi.spyOn(SettingsSchema, "safeParse");
    expect((await created.run("g", { plan })).status).toBe("done");
    expect(parse).not.toHaveBeenCalled();
  });
});
