import { tool } from "@langchain/core/tools";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { agentWorker, createOrchestrator, type Orchestrator } from "../../src/index.js";
import { openAIProvider } from "../../src/models.js";
import {
  messageText,
  taskScriptServer,
  type ChatMessage,
  type ChatRequest,
  type OpenAIServer,
  type TaskScript,
} from "../helpers/openai-server.js";
import { task } from "../helpers/fixtures.js";

/** Calls of the price tool, with the arguments it was given, in order. */
const lookups: { item: string; quantity: number }[] = [];

const priceTool = tool(
  async ({ item, quantity }) => {
    lookups.push({ item, quantity });
    if (item === "unobtainium") throw new Error(`no price for "${item}"`);
    return `${quantity} × ${item}: ${quantity * 3} EUR`;
  },
  {
    name: "lookup_price",
    description: "Looks up the price of a quantity of an item.",
    schema: z.object({ item: z.string().describe("What to price."), quantity: z.number().describe("How many.") }),
  },
);

/** The tool results a request carries back to the model. */
const toolMessages = (body: ChatRequest): ChatMessage[] => body.messages.filter((m) => m.role === "tool");

/** Whether the request's last message asks the model to stop calling tools and answer. */
const asksForFinalAnswer = (body: ChatRequest) => /final answer/i.test(messageText(body.messages.at(-1)));

/** What the model does per task: each one follows a script over the requests of its own tool loop. */
const SCRIPTS: Record<string, TaskScript> = {
  // One tool call with arguments, then an answer from the tool's result.
  apples: (body, turn) =>
    turn === 0
      ? { toolCalls: [{ id: "call_apples", name: "lookup_price", args: { item: "apples", quantity: 4 } }] }
      : { content: `Priced: ${messageText(toolMessages(body).at(-1))}` },
  streamed: (body, turn) =>
    turn === 0
      ? { toolCalls: [{ id: "call_streamed", name: "lookup_price", args: { item: "pears", quantity: 2 } }] }
      : { content: `Priced: ${messageText(toolMessages(body).at(-1))}` },
  // A tool call that fails, then an answer that works around the failure it was told about.
  unobtainium: (body, turn) =>
    turn === 0
      ? { toolCalls: [{ id: "call_bad", name: "lookup_price", args: { item: "unobtainium", quantity: 1 } }] }
      : { content: `Could not price it: ${messageText(toolMessages(body).at(-1))}` },
  // A model that never stops calling tools while it may: only the end of its budget brings an answer.
  greedy: (body, turn) =>
    body.tools?.length && !asksForFinalAnswer(body)
      ? {
          toolCalls: [
            { id: `call_greedy_${turn}`, name: "lookup_price", args: { item: `pears_${turn}`, quantity: turn + 1 } },
          ],
        }
      : { content: "Best effort: pears are about 3 EUR each." },
};

describe("an agent worker's tool loop through the real OpenAI client", () => {
  let server: OpenAIServer;
  let orchestrator: Orchestrator;
  /** Chat requests per task, in arrival order. */
  let byTask: Record<string, ChatRequest[]>;

  beforeAll(async () => {
    ({ server, byTask } = await taskScriptServer(SCRIPTS));
    orchestrator = await createOrchestrator({
      checkpointer: "memory",
      models: openAIProvider({ openaiBaseUrl: server.url, openaiApiKey: "test-key" }),
      workers: [
        agentWorker({
          name: "shopper",
          description: "Prices shopping lists with a price tool.",
          systemPrompt: "You price shopping lists. Use the lookup_price tool.",
          tools: [priceTool],
          maxToolRounds: 2,
        }),
      ],
      settings: { maxRetries: 0, replan: "never" },
    });
  });
  afterAll(async () => {
    await orchestrator?.close();
    await server?.close();
  });

  const runTaskOnThread = async (id: string) => {
    const summary = await orchestrator.run(`price ${id}`, { plan: { tasks: [task(id, [], { worker: "shopper" })] } });
    return { result: summary.tasks.find((t) => t.id === id)!, threadId: summary.threadId };
  };
  const runTask = async (id: string) => (await runTaskOnThread(id)).result;

  it("calls the tool with the arguments the model chose and hands the tool's result back to the model", async () => {
    const result = await runTask("apples");
    expect(lookups.filter((call) => call.item === "apples")).toEqual([{ item: "apples", quantity: 4 }]);
    const [first, second] = byTask.apples!;
    expect(byTask.apples).toHaveLength(2);
    expect(first!.tools?.map((t) => t.function.name)).toEqual(["lookup_price"]);
    // The second request carries the model's own call and the tool's answer to it, linked by the call's id.
    const call = second!.messages.find((m) => m.role === "assistant" && m.tool_calls?.length);
    expect(call?.tool_calls?.map((c) => [c.id, c.function.name, JSON.parse(c.function.arguments)])).toEqual([
      ["call_apples", "lookup_price", { item: "apples", quantity: 4 }],
    ]);
    expect(toolMessages(second!).map((m) => [m.tool_call_id, messageText(m)])).toEqual([
      ["call_apples", "4 × apples: 12 EUR"],
    ]);
    expect(result).toMatchObject({ status: "done", attempts: 1, output: "Priced: 4 × apples: 12 EUR" });
  });

  it("assembles streamed tool calls the same way when the model streams, as it does under the LangGraph server", async () => {
    // Streaming events makes ChatOpenAI stream (server-sent events), as runs on the LangGraph server do. (The
    // `messages` stream mode no longer does for workers: their calls stay off it, out of the chat.)
    const config = { configurable: { thread_id: "streamed" }, version: "v2" as const };
    const input = { goal: "price streamed", plan: { tasks: [task("streamed", [], { worker: "shopper" })] } };
    for await (const _event of orchestrator.graph.streamEvents(input, config));
    const final = (await orchestrator.graph.getState(config)).values as {
      results?: Record<string, { status: string; output: string }>;
    };
    expect(byTask.streamed?.map((request) => request.stream)).toEqual([true, true]);
    expect(lookups.filter((call) => call.item === "pears")).toEqual([{ item: "pears", quantity: 2 }]);
    expect(toolMessages(byTask.streamed![1]!).map((m) => [m.tool_call_id, messageText(m)])).toEqual([
      ["call_streamed", "2 × pears: 6 EUR"],
    ]);
    expect(final.results?.streamed).toMatchObject({ status: "done", output: "Priced: 2 × pears: 6 EUR" });
  });

  it("sends a tool's error back to the model as the answer to its call, and the task goes on", async () => {
    const result = await runTask("unobtainium");
    expect(lookups.filter((call) => call.item === "unobtainium")).toEqual([{ item: "unobtainium", quantity: 1 }]);
    expect(byTask.unobtainium).toHaveLength(2);
    const [answer] = toolMessages(byTask.unobtainium![1]!);
    expect(answer?.tool_call_id).toBe("call_bad");
    expect(messageText(answer)).toContain('no price for "unobtainium"');
    expect(result.status).toBe("done");
    expect(result.attempts).toBe(1);
    expect(result.output).toContain("Could not price it: ");
    expect(result.output).toContain('no price for "unobtainium"');
  });

  it("ends a spent tool-round budget with one more request for a final answer without tools", async () => {
    const { result, threadId } = await runTaskOnThread("greedy");
    // maxToolRounds is 2: two rounds of tool calls, each executed, then the final request.
    expect(lookups.filter((call) => call.item.startsWith("pears_"))).toEqual([
      { item: "pears_0", quantity: 1 },
      { item: "pears_1", quantity: 2 },
    ]);
    const requests = byTask.greedy!;
    expect(requests).toHaveLength(3);
    for (const request of requests.slice(0, 2))
      expect(request.tools?.map((t) => t.function.name)).toEqual(["lookup_price"]);
    const last = requests[2]!;
    expect(
      !last.tools?.length || asksForFinalAnswer(last),
      "the last request binds no tools or asks for the final answer",
    ).toBe(true);
    // Both rounds' calls were answered before the final request.
    expect(toolMessages(last).map((m) => m.tool_call_id)).toEqual(["call_greedy_0", "call_greedy_1"]);
    expect(result).toMatchObject({ status: "done", attempts: 1, output: "Best effort: pears are about 3 EUR each." });
    // Every request of the loop is metered: three model calls.
    expect((await orchestrator.state(threadId)).results.greedy?.usage.modelCalls).toBe(3);
  });
});
