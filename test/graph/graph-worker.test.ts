import { AIMessage, HumanMessage } from "@langchain/core/messages";
import { tool } from "@langchain/core/tools";
import {
  Command,
  interrupt,
  MessagesValue,
  StateGraph,
  StateSchema,
  START,
  END,
  type LangGraphRunnableConfig,
} from "@langchain/langgraph";
import { createAgent } from "langchain";
import { describe, expect, it, vi } from "vitest";
import { z } from "zod";
import { render } from "../../src/cli/finish.js";
import { createOrchestrator, functionWorker, graphWorker } from "../../src/index.js";
import { dataRule, taskNonce } from "../../src/fence.js";
import { defaultGraphOutput } from "../../src/workers/graph.js";
import { echoWorker, harness, task } from "../helpers/fixtures.js";
import { scriptedProvider } from "../helpers/scripted-model.js";

const MessagesState = new StateSchema({ messages: MessagesValue });
const lastHuman = (messages: { content: unknown }[]) =>
  String(messages.filter((m) => HumanMessage.isInstance(m)).at(-1)?.content ?? "");

/** A graph answering with the first line of its task prompt, or a question it asks a human first. */
function echoGraph(options: { ask?: string } = {}) {
  return new StateGraph(MessagesState)
    .addNode("read", () => ({}))
    .addNode("answer", (state) => {
      const prompt = lastHuman(state.messages);
      const reply = options.ask ? String(interrupt({ question: options.ask })) : prompt.split("\n")[0];
      return { messages: [new AIMessage(`answered: ${reply}`)] };
    })
    .addEdge(START, "read")
    .addEdge("read", "answer")
    .addEdge("answer", END)
    .compile();
}

const thread = (id: string) => ({ configurable: { thread_id: id } });

describe("a graph worker", () => {
  it("runs a compiled graph with the task prompt as a human message and returns its last AI message", async () => {
    const h = harness({
      workers: () => [graphWorker({ name: "echo_graph", description: "Echoes.", graph: echoGraph() })],
    });
    const summary = await h.run({
      goal: "g",
      plan: { tasks: [task("a", [], { worker: "echo_graph", description: "Say hi" })] },
    });
    expect(summary.tasks[0]).toMatchObject({ status: "done" });
    const state = await h.graph.getState(thread("thread-1"));
    expect(state.values.results.a.output).toMatch(/^answered: /);
  });

  it("reads the last AI message of a final state whose messages are plain objects, as a RemoteGraph returns them", () => {
    const messages = [
      { type: "human", content: "Say hi" },
      { type: "ai", content: "hi" },
      { type: "tool", content: "pong", tool_call_id: "c1" },
    ];
    expect(defaultGraphOutput({ messages })).toEqual({ output: "hi" });
  });

  it("gets its dependencies' results fenced, after the rule that fenced text is data", async () => {
    const prompts: string[] = [];
    const recorder = new StateGraph(MessagesState)
      .addNode("record", (state) => (prompts.push(lastHuman(state.messages)), { messages: [new AIMessage("noted")] }))
      .addEdge(START, "record")
      .compile();
    const h = harness({
      workers: (log) => [echoWorker(log), graphWorker({ name: "recorder", description: "Records.", graph: recorder })],
    });
    await h.run({ goal: "g", plan: { tasks: [task("a"), task("b", ["a"], { worker: "recorder" })] } });
    const nonce = taskNonce(
      { task: { id: "b" }, dispatch: 1, fenceSeed: (await h.graph.getState(thread("thread-1"))).values.fenceSeed },
      "task",
    );
    expect(prompts[0]!.startsWith(dataRule(nonce))).toBe(true);
    expect(prompts[0]).toContain(`<worker-output-${nonce}>\na:\n</worker-output-${nonce}>`);
  });

  it("runs a createAgent agent and returns its structured response as the task's data", async () => {
    const models = scriptedProvider({ worker: () => ({ structured: { city: "Lyon" } }) });
    const agent = createAgent({
      model: models.create({ role: "worker", model: "m", timeoutMs: 1000 }),
      tools: [],
      responseFormat: z.object({ city: z.string() }),
    });
    const h = harness({
      workers: () => [graphWorker({ name: "city_agent", description: "Names a city.", graph: agent })],
    });
    const summary = await h.run({ goal: "g", plan: { tasks: [task("a", [], { worker: "city_agent" })] } });
    const state = await h.graph.getState(thread("thread-1"));
    expect(summary.tasks[0]).toMatchObject({ status: "done" });
    expect(state.values.results.a.data).toEqual({ city: "Lyon" });
    expect(models.callsOf("worker")[0]!.prompt).toContain('Your task "a"');
  });

  it("meters the calls of the graph's own models: counted in the task's usage, refused past the run's budget", async () => {
    const models = scriptedProvider({
      worker: (call) =>
        call.messages.some((m) => m._getType() === "tool") ? "done" : { toolCalls: [{ name: "ping", args: {} }] },
    });
    const ping = tool(async () => "pong", { name: "ping", description: "Pings.", schema: z.object({}) });
    const agent = () =>
      createAgent({ model: models.create({ role: "worker", model: "m", timeoutMs: 1000 }), tools: [ping] });
    const metered = harness({
      workers: () => [graphWorker({ name: "pinger", description: "Pings.", graph: agent() })],
    });
    await metered.run({ goal: "g", plan: { tasks: [task("a", [], { worker: "pinger" })] } });
    const usage = (await metered.graph.getState(thread("thread-1"))).values.results.a.usage;
    expect(usage.modelCalls).toBe(2);
    expect(usage.totalTokens).toBeGreaterThan(0);

    const capped = harness({
      workers: () => [graphWorker({ name: "pinger", description: "Pings.", graph: agent() })],
      settings: { maxModelCalls: 1, maxRetries: 0 },
    });
    const summary = await capped.run({ goal: "g", plan: { tasks: [task("a", [], { worker: "pinger" })] } });
    const result = (await capped.graph.getState(thread("thread-1"))).values.results.a;
    expect(result.error.kind).toBe("budget");
    expect(summary.stopReason).toBe("run budget reached: 1 model calls made of 1");
  });

  it("refuses a graph's own model call past the run's budget quietly: the call is never made and nothing goes to stderr", async () => {
    const models = scriptedProvider({ worker: () => ({ toolCalls: [{ name: "ping", args: {} }] }) });
    const ping = tool(async () => "pong", { name: "ping", description: "Pings.", schema: z.object({}) });
    const agent = createAgent({ model: models.create({ role: "worker", model: "m", timeoutMs: 1000 }), tools: [ping] });
    const h = harness({
      workers: () => [graphWorker({ name: "pinger", description: "Pings.", graph: agent })],
      settings: { maxModelCalls: 2, maxRetries: 0 },
    });
    const stderr = vi.spyOn(process.stderr, "write");
    const logged = [vi.spyOn(console, "error"), vi.spyOn(console, "warn")];
    try {
      const summary = await h.run({ goal: "g", plan: { tasks: [task("a", [], { worker: "pinger" })] } });
      const result = (await h.graph.getState(thread("thread-1"))).values.results.a;
      expect(models.callsOf("worker")).toHaveLength(2);
      expect(result.error).toMatchObject({ kind: "budget", message: "run budget reached: 2 model calls made of 2" });
      expect(result.usage.modelCalls).toBe(2);
      expect(summary.stopReason).toBe("run budget reached: 2 model calls made of 2");
      expect(stderr).not.toHaveBeenCalled();
      for (const spy of logged) expect(spy).not.toHaveBeenCalled();
    } finally {
      for (const spy of [stderr, ...logged]) spy.mockRestore();
    }
  });

  it("takes its own input and output mapping", async () => {
    const Counter = new StateSchema({ n: z.number(), doubled: z.number().default(0) });
    const doubler = new StateGraph(Counter)
      .addNode("double", (state) => ({ doubled: state.n * 2 }))
      .addEdge(START, "double")
      .addEdge("double", END)
      .compile();
    const worker = graphWorker({
      name: "doubler",
      description: "Doubles the task's number.",
      graph: doubler,
      input: (input) => ({ n: Number(input.task.description) }),
      output: (state) => ({ output: `twice is ${(state as { doubled: number }).doubled}`, data: state }),
    });
    const h = harness({ workers: () => [worker] });
    await h.run({ goal: "g", plan: { tasks: [task("a", [], { worker: "doubler", description: "21" })] } });
    const state = await h.graph.getState(thread("thread-1"));
    expect(state.values.results.a).toMatchObject({
      status: "done",
      output: "twice is 42",
      data: { n: 21, doubled: 42 },
    });
  });

  it("pauses the run at an interrupt inside it and resumes there with the parent's resume value", async () => {
    const h = harness({
      workers: () => [
        graphWorker({ name: "asker", description: "Asks first.", graph: echoGraph({ ask: "Which city?" }) }),
      ],
    });
    const config = thread("interrupted");
    const paused = await h.graph.invoke({ goal: "g", plan: { tasks: [task("a", [], { worker: "asker" })] } }, config);
    expect((paused as { __interrupt__?: { value: unknown }[] }).__interrupt__?.map((i) => i.value)).toEqual([
      { question: "Which city?" },
    ]);
    const waiting = await h.graph.getState(config);
    expect(waiting.next).toEqual(["worker"]);
    expect(waiting.values.results.a).toBeUndefined();
    const done = await h.graph.invoke(new Command({ resume: "Lyon" }), config);
    expect(done.answer).toBeTruthy();
    const after = (await h.graph.getState(config)).values;
    expect(after.tasks.a.status).toBe("done");
    expect(after.results.a.output).toBe("answered: Lyon");
  });

  it("lets the tasks beside it in an eager pool finish before the run pauses, and does not run them again on resume", async () => {
    let asked!: () => void;
    const asking = new Promise<void>((resolve) => (asked = resolve));
    const slowAsker = new StateGraph(MessagesState)
      .addNode("answer", () => {
        asked();
        return { messages: [new AIMessage(`answered: ${String(interrupt({ question: "Which city?" }))}`)] };
      })
      .addEdge(START, "answer")
      .addEdge("answer", END)
      .compile();
    // b is still running when a's interrupt goes up: it ends a while after a asked.
    const h = harness({
      workers: (log) => [
        graphWorker({ name: "asker", description: "Asks first.", graph: slowAsker }),
        functionWorker({
          name: "slow",
          description: "Ends a while after the asker asked.",
          async run(input) {
            log.started.push(input.task.id);
            await asking;
            await new Promise((resolve) => setTimeout(resolve, 50));
            log.timeline.push(`end:${input.task.id}`);
            return "slow done";
          },
        }),
      ],
    });
    const config = thread("pool-interrupted");
    const plan = { tasks: [task("a", [], { worker: "asker" }), task("b", [], { worker: "slow" })] };
    const paused = await h.graph.invoke({ goal: "g", plan }, config);
    expect((paused as { __interrupt__?: unknown[] }).__interrupt__).toHaveLength(1);
    expect(h.log.timeline).toEqual(["end:b"]);
    await h.graph.invoke(new Command({ resume: "Lyon" }), config);
    const after = (await h.graph.getState(config)).values;
    expect(after.results.a.output).toBe("answered: Lyon");
    expect(after.results.b.status).toBe("done");
    expect(h.log.started).toEqual(["b"]);
  });

  it("pauses a createOrchestrator run with the interrupt's value in its summary, and resume answers it", async () => {
    const orchestrator = await createOrchestrator({
      checkpointer: "memory",
      workers: [graphWorker({ name: "asker", description: "Asks first.", graph: echoGraph({ ask: "Which city?" }) })],
    });
    try {
      const paused = await orchestrator.run("g", { plan: { tasks: [task("a", [], { worker: "asker" })] } });
      expect(paused).toMatchObject({ status: "interrupted", interrupt: { question: "Which city?" } });
      expect(paused.review).toBeUndefined();
      expect(render(paused)).toBe(
        `A worker waits for an answer: {"question":"Which city?"}\nAnswer it from code: orchestrator.resume("${paused.threadId}", answer)\n`,
      );
      const done = await orchestrator.resume(paused.threadId, "Oslo");
      expect(done.status).toBe("done");
      expect(done.tasks[0]!.output).toBe("answered: Oslo");
    } finally {
      await orchestrator.close();
    }
  });

  it("streams its own steps under the worker's namespace with subgraphs: true, and shows in the xray view", async () => {
    const h = harness({
      workers: () => [graphWorker({ name: "echo_graph", description: "Echoes.", graph: echoGraph() })],
    });
    const namespaces: string[][] = [];
    const stream = await h.graph.stream(
      { goal: "g", plan: { tasks: [task("a", [], { worker: "echo_graph" })] } },
      { ...thread("streamed"), subgraphs: true, streamMode: "updates" },
    );
    for await (const [namespace, update] of stream)
      if (namespace.length && "answer" in (update as object)) namespaces.push(namespace);
    expect(namespaces).toHaveLength(1);
    expect(namespaces[0]![0]).toMatch(/^worker:/);
    const drawn = await h.graph.getGraphAsync({ xray: true });
    expect(Object.keys(drawn.nodes)).toEqual(expect.arrayContaining(["worker:read", "worker:answer"]));
  });

  it("cancels the graph at the attempt's time limit and fails the attempt as a timeout", async () => {
    const aborted: boolean[] = [];
    const hang = new StateGraph(MessagesState)
      .addNode(
        "hang",
        (_state, config: LangGraphRunnableConfig) =>
          new Promise<never>((_resolve, reject) =>
            config.signal?.addEventListener("abort", () => (aborted.push(true), reject(new Error("cut"))), {
              once: true,
            }),
          ),
      )
      .addEdge(START, "hang")
      .compile();
    const h = harness({
      workers: () => [graphWorker({ name: "hanger", description: "Hangs.", graph: hang })],
      settings: { maxRetries: 0, workerTimeoutMs: 100 },
    });
    const summary = await h.run({ goal: "g", plan: { tasks: [task("a", [], { worker: "hanger" })] } });
    expect(summary.deadLetters[0]!.error.kind).toBe("timeout");
    expect(aborted).toEqual([true]);
  });
});
