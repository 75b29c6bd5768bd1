import { tool } from "@langchain/core/tools";
import { InMemoryStore, type LangGraphRunnableConfig } from "@langchain/langgraph";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { agentWorker, functionWorker, memoryOf } from "../../src/index.js";
import { runNamespace } from "../../src/workers/memory.js";
import { harness, task } from "../helpers/fixtures.js";
import { scriptedProvider } from "../helpers/scripted-model.js";

/** A promise and its resolver: one worker signals another without any timing. */
function signal() {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

describe("shared memory", () => {
  it("lets worker B read what worker A wrote, B not depending on A, once A has finished", async () => {
    const written = signal();
    const writer = functionWorker({
      name: "writer",
      description: "Writes a finding.",
      run: async (_input, context) => {
        await context.memory!.put("finding", { boats: 42 });
        written.resolve();
        return "wrote it";
      },
    });
    // The gate finishes only after A wrote, and B depends on the gate alone: B runs after A without depending on it.
    const gate = functionWorker({
      name: "gate",
      description: "Waits for the writer.",
      run: async () => (await written.promise, "open"),
    });
    const reader = functionWorker({
      name: "reader",
      description: "Reads the finding.",
      run: async (_input, context) => `boats: ${(await context.memory!.get<{ boats: number }>("finding"))?.boats}`,
    });
    const store = new InMemoryStore();
    const h = harness({ workers: () => [writer, gate, reader], store });
    const summary = await h.run({
      goal: "g",
      plan: {
        tasks: [
          task("a", [], { worker: "writer" }),
          task("gate", [], { worker: "gate" }),
          task("b", ["gate"], { worker: "reader" }),
        ],
      },
    });
    const state = await h.graph.getState({ configurable: { thread_id: "thread-1" } });
    expect(state.values.results.b.output).toBe("boats: 42");
    // The run's own namespace, under its run id.
    expect((await store.get(runNamespace(state.values.runId), "finding"))?.value).toEqual({ boats: 42 });
    expect(summary.tasks.every((t) => t.status === "done")).toBe(true);
  });

  it("keeps each run's memory apart and shares the caller's long-term namespace across runs", async () => {
    const store = new InMemoryStore();
    const counter = functionWorker({
      name: "counter",
      description: "Counts runs.",
      run: async (_input, context) => {
        const memory = context.memory!;
        const seen = (await memory.get<{ n: number }>("seen"))?.n ?? 0;
        const total = (await memory.get<{ n: number }>("total", "long-term"))?.n ?? 0;
        await memory.put("seen", { n: seen + 1 });
        await memory.put("total", { n: total + 1 }, "long-term");
        return `seen ${seen}, total ${total}`;
      },
    });
    const h = harness({ workers: () => [counter], store, settings: { memoryNamespace: "users/alice" } });
    const plan = { tasks: [task("count", [], { worker: "counter" })] };
    await h.run({ goal: "first", plan }, { threadId: "t1" });
    await h.run({ goal: "second", plan }, { threadId: "t2" });
    const output = async (thread: string) =>
      (await h.graph.getState({ configurable: { thread_id: thread } })).values.results.count.output;
    expect([await output("t1"), await output("t2")]).toEqual(["seen 0, total 0", "seen 0, total 1"]);
    expect((await store.get(["users", "alice"], "total"))?.value).toEqual({ n: 2 });
  });

  it("reaches an agent worker's tools through their config", async () => {
    const store = new InMemoryStore();
    const planner = functionWorker({
      name: "trip_planner",
      description: "Fixes dates and budget.",
      run: async (_input, context) => (await context.memory!.put("trip", { dates: "3-5 May", budget: 900 }), "planned"),
    });
    const recall = tool(
      async (_args, config: LangGraphRunnableConfig) => JSON.stringify(await memoryOf(config)!.get("trip")),
      {
        name: "recall_trip",
        description: "Reads the trip's dates and budget from memory.",
        schema: z.object({}),
      },
    );
    const models = scriptedProvider({
      worker: (call) =>
        call.messages.some((m) => m._getType() === "tool")
          ? `Hotel within ${call.messages.at(-1)!.content}`
          : { toolCalls: [{ name: "recall_trip", args: {} }] },
    });
    const hotel = agentWorker({
      name: "hotel",
      description: "Books a hotel.",
      systemPrompt: "Use the trip's memory.",
      tools: [recall],
    });
    const h = harness({ workers: () => [planner, hotel], store, models });
    await h.run({
      goal: "g",
      plan: { tasks: [task("plan", [], { worker: "trip_planner" }), task("hotel", ["plan"], { worker: "hotel" })] },
    });
    const state = await h.graph.getState({ configurable: { thread_id: "thread-1" } });
    expect(state.values.results.hotel.output).toBe('Hotel within {"dates":"3-5 May","budget":900}');
  });

  it("keeps a result too large for state whole in the run's memory, with a reference in state", async () => {
    const store = new InMemoryStore();
    const long = "x".repeat(250);
    const verbose = functionWorker({
      name: "verbose",
      description: "Writes a lot.",
      run: async () => ({ output: long, data: { items: Array.from({ length: 40 }, (_, i) => `item ${i}`) } }),
    });
    const h = harness({ workers: () => [verbose], store, settings: { maxOutputChars: 100, maxDataChars: 100 } });
    await h.run({ goal: "g", plan: { tasks: [task("v", [], { worker: "verbose" })] } });
    const { results, runId } = (await h.graph.getState({ configurable: { thread_id: "thread-1" } })).values;
    expect(results.v.stored).toEqual({ namespace: runNamespace(runId), key: "result:v" });
    expect(results.v.data).toBeUndefined();
    expect(results.v.output.length).toBeLessThan(long.length + 100);
    expect(results.v.notes.at(-1)).toBe(`the full result is in the store at orchestrator/runs/${runId} "result:v"`);
    const kept = (await store.get(runNamespace(runId), "result:v"))?.value as {
      output: string;
      data: { items: string[] };
    };
    expect(kept.output).toBe(long);
    expect(kept.data.items).toHaveLength(40);
  });

  it("is absent when the graph has no store", async () => {
    const probe = functionWorker({
      name: "probe",
      description: "Looks for memory.",
      run: async (_input, context) => String(context.memory === undefined),
    });
    const h = harness({ workers: () => [probe] });
    await h.run({ goal: "g", plan: { tasks: [task("p", [], { worker: "probe" })] } });
    expect((await h.graph.getState({ configurable: { thread_id: "thread-1" } })).values.results.p.output).toBe("true");
  });
});
