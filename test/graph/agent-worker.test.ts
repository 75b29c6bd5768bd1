import { describe, expect, it } from "vitest";
import { z } from "zod";
import { agentWorker } from "../../src/index.js";
import { harness, task } from "../helpers/fixtures.js";
import { scriptedProvider } from "../helpers/scripted-model.js";

describe("an agent worker built on createAgent", () => {
  it("returns the structured response of a worker with an output schema as the task's data", async () => {
    const models = scriptedProvider({ worker: () => ({ structured: { city: "Lyon", nights: 3 } }) });
    const typed = agentWorker({
      name: "typed",
      description: "Answers with a city and nights.",
      systemPrompt: "Answer in the schema.",
      outputSchema: z.object({ city: z.string(), nights: z.number() }),
    });
    const h = harness({ models, workers: () => [typed] });
    const summary = await h.run({ goal: "g", plan: { tasks: [task("a", [], { worker: "typed" })] } });
    const state = await h.graph.getState({ configurable: { thread_id: "thread-1" } });
    expect(summary.tasks[0]).toMatchObject({ status: "done", attempts: 1 });
    expect(state.values.results.a.data).toEqual({ city: "Lyon", nights: 3 });
    expect(JSON.parse(state.values.results.a.output)).toEqual({ city: "Lyon", nights: 3 });
    // One model call, bound to the structured-output tool, metered once.
    expect(models.callsOf("worker")).toHaveLength(1);
    expect(models.callsOf("worker")[0]!.tools).toHaveLength(1);
    expect(state.values.results.a.usage.modelCalls).toBe(1);
  });

  it("hands a structured response that breaks the schema back to the model, which corrects it within the attempt", async () => {
    let calls = 0;
    const models = scriptedProvider({
      worker: () => (++calls === 1 ? { structured: { city: 7 } } : { structured: { city: "Oslo" } }),
    });
    const typed = agentWorker({
      name: "typed",
      description: "Names a city.",
      systemPrompt: "Name a city.",
      outputSchema: z.object({ city: z.string() }),
    });
    const h = harness({ models, workers: () => [typed], settings: { maxRetries: 0 } });
    const summary = await h.run({ goal: "g", plan: { tasks: [task("a", [], { worker: "typed" })] } });
    const state = await h.graph.getState({ configurable: { thread_id: "thread-1" } });
    // createAgent's tool strategy hands the parse error back to the model, which answers again within the attempt.
    expect(summary.tasks[0]).toMatchObject({ status: "done", attempts: 1 });
    expect(state.values.results.a.data).toEqual({ city: "Oslo" });
    expect(models.callsOf("worker")[1]!.messages.at(-1)?.content).toContain("city");
    expect(state.values.results.a.usage.modelCalls).toBe(2);
  });
});
