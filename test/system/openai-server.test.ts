import { ChatOpenAI, type ChatOpenAIFields } from "@langchain/openai";
import { AIMessageChunk, HumanMessage, type BaseMessageChunk } from "@langchain/core/messages";
import { MessagesAnnotation, START, StateGraph } from "@langchain/langgraph";
import { tool } from "@langchain/core/tools";
import { describe, expect, it, vi } from "vitest";
import { z } from "zod";
import { describeRequest, scriptedHandler, type OpenAIServer } from "../helpers/openai-server.js";
import { loopbackServers } from "../helpers/loopback.js";
import { deferred, waitFor, within } from "../helpers/wait.js";

const serve = loopbackServers();

/**
 * A real ChatOpenAI against the loopback server. Avoid `streaming: true` with `invoke` outside a streaming
 * callback: ChatOpenAI then fetches tiktoken encodings from the network, which offline takes minutes.
 */
function chat(server: OpenAIServer, fields: ChatOpenAIFields = {}): ChatOpenAI {
  return new ChatOpenAI({
    model: "gpt-4o-mini",
    apiKey: "test-key",
    configuration: { baseURL: server.url },
    maxRetries: 0,
    timeout: 2_000,
    ...fields,
  });
}

/** Runs `fn`, expecting it to throw; returns the error and how long it took. */
async function failure(
  fn: () => Promise<unknown>,
): Promise<{ error: Error & { status?: number; headers?: Headers }; ms: number }> {
  const start = Date.now();
  try {
    await fn();
  } catch (error) {
    return { error: error as Error & { status?: number }, ms: Date.now() - start };
  }
  throw new Error("expected a failure");
}

async function collect(stream: AsyncIterable<BaseMessageChunk>): Promise<{ chunks: number; message: AIMessageChunk }> {
  let message = new AIMessageChunk("");
  let chunks = 0;
  for await (const chunk of stream) {
    chunks++;
    message = message.concat(chunk as AIMessageChunk);
  }
  return { chunks, message };
}

const Weather = z.object({ city: z.string(), celsius: z.number() });

const lookup = tool(async ({ city }: { city: string }) => `sunny in ${city}`, {
  name: "lookup_weather",
  description: "Looks up the weather of a city.",
  schema: z.object({ city: z.string() }),
});

describe("loopback OpenAI server", () => {
  it("answers a plain invoke with text and token usage, and records the request", async () => {
    const server = await serve(() => ({ content: "Hello from the loopback." }));
    const message = await chat(server).invoke([
      ["system", "You are terse."],
      ["human", "Say hello."],
    ]);
    expect(message.content).toBe("Hello from the loopback.");
    expect(message.usage_metadata).toMatchObject({ input_tokens: 6, output_tokens: 6, total_tokens: 12 });
    expect(server.requests).toHaveLength(1);
    const [request] = server.requests;
    expect(request?.path).toBe("/v1/chat/completions");
    expect(request?.headers.authorization).toBe("Bearer test-key");
    expect(request?.body?.model).toBe("gpt-4o-mini");
    expect(describeRequest(request!.body!)).toMatchObject({ system: "You are terse.", prompt: "Say hello." });
  });

  it("streams text as server-sent events with a usage chunk", async () => {
    const server = await serve(() => ({ content: "one two three four five six" }));
    const { chunks, message } = await collect(await chat(server).stream("Count."));
    expect(chunks).toBeGreaterThan(3);
    expect(message.content).toBe("one two three four five six");
    expect(message.usage_metadata?.output_tokens).toBe(7);
    expect(server.chatRequests()[0]).toMatchObject({ stream: true, stream_options: { include_usage: true } });
  });

  it("answers withStructuredOutput through response_format json_schema, invoked and streamed", async () => {
    const server = await serve(() => ({ structured: { city: "Oslo", celsius: 4 } }));
    const structured = chat(server).withStructuredOutput(Weather, { name: "weather" });
    expect(await structured.invoke("Weather in Oslo?")).toEqual({ city: "Oslo", celsius: 4 });
    const streamed = [];
    for await (const chunk of await structured.stream("Weather in Oslo?")) streamed.push(chunk);
    expect(streamed.at(-1)).toEqual({ city: "Oslo", celsius: 4 });
    const [plain, stream] = server.chatRequests();
    expect(plain?.response_format).toMatchObject({
      type: "json_schema",
      json_schema: { name: "weather", strict: true },
    });
    expect(plain?.tools).toBeUndefined();
    expect(stream?.stream).toBe(true);
  });

  it("answers withStructuredOutput through a forced tool call when function calling is used", async () => {
    const server = await serve(() => ({ structured: { city: "Lima", celsius: 19 } }));
    const structured = chat(server).withStructuredOutput(Weather, {
      name: "weather",
      method: "functionCalling",
      includeRaw: true,
    });
    const { parsed, raw } = await structured.invoke("Weather in Lima?");
    expect(parsed).toEqual({ city: "Lima", celsius: 19 });
    expect((raw as AIMessageChunk).tool_calls?.[0]?.name).toBe("weather");
    const request = server.chatRequests()[0];
    expect(request?.tool_choice).toEqual({ type: "function", function: { name: "weather" } });
    expect(describeRequest(request!)).toMatchObject({ tools: ["weather"], structured: "weather" });
  });

  it("returns tool calls to a model with bound tools, invoked and streamed", async () => {
    const server = await serve(() => ({ toolCalls: [{ name: "lookup_weather", args: { city: "Rome" } }] }));
    const message = await chat(server).bindTools([lookup]).invoke("Weather in Rome?");
    expect(message.tool_calls).toEqual([
      { name: "lookup_weather", args: { city: "Rome" }, id: "call_0_lookup_weather", type: "tool_call" },
    ]);
    const { message: streamed } = await collect(await chat(server).bindTools([lookup]).stream("Weather in Rome?"));
    expect(streamed.tool_calls).toMatchObject([
      { name: "lookup_weather", args: { city: "Rome" }, id: "call_0_lookup_weather" },
    ]);
    expect(server.chatRequests()[0]?.tools?.[0]?.function.name).toBe("lookup_weather");
  });

  it("streams a LangGraph node's model tokens with streamMode messages", async () => {
    const server = await serve(() => ({ content: "streamed through the graph" }));
    const model = chat(server);
    const graph = new StateGraph(MessagesAnnotation)
      .addNode("agent", async (state) => ({ messages: [await model.invoke(state.messages)] }))
      .addEdge(START, "agent")
      .compile();
    const tokens: string[] = [];
    for await (const [chunk] of await graph.stream(
      { messages: [new HumanMessage("Hi")] },
      { streamMode: "messages" },
    )) {
      if (typeof chunk.content === "string" && chunk.content) tokens.push(chunk.content);
    }
    expect(tokens.length).toBeGreaterThan(1);
    expect(tokens.join("")).toBe("streamed through the graph");
    expect(server.chatRequests()[0]?.stream).toBe(true);
  });

  it("fails fast with status 500 when a server error is injected", async () => {
    const server = await serve(() => ({ fault: "status", status: 500, message: "boom" }));
    const { error, ms } = await failure(() => chat(server).invoke("Hi"));
    expect(error.status).toBe(500);
    expect(error.message).toContain("boom");
    expect(ms).toBeLessThan(1_000);
    expect(server.requests).toHaveLength(1);
  });

  it("fails with status 429 and the Retry-After header when rate limited", async () => {
    const server = await serve(() => ({ fault: "status", status: 429, retryAfterSeconds: 30 }));
    const { error, ms } = await failure(() => chat(server).invoke("Hi"));
    expect(error.status).toBe(429);
    expect(error.headers?.get("retry-after")).toBe("30");
    expect(ms).toBeLessThan(1_000);
  });

  it("lets the client timeout cut a hanging response within a second", async () => {
    const server = await serve(() => ({ fault: "hang" }));
    const { error, ms } = await failure(() => chat(server, { timeout: 300 }).invoke("Hi"));
    expect(error.name).toBe("TimeoutError");
    expect(ms).toBeGreaterThanOrEqual(250);
    expect(ms).toBeLessThan(1_000);
  });

  it("closes promptly while a response is still hanging", async () => {
    const server = await serve(() => ({ fault: "hang" }));
    const pending = failure(() => chat(server, { timeout: 10_000 }).invoke("Hi"));
    await waitFor(() => server.requests.length === 1, { what: "the hanging request to reach the server" });
    const start = Date.now();
    await server.close();
    expect(Date.now() - start).toBeLessThan(500);
    expect((await pending).ms).toBeLessThan(1_000);
  });

  it("tells a holding handler when the client hangs up, and not when the reply went out", async () => {
    const hungUp = deferred();
    const held = deferred();
    const signals: AbortSignal[] = [];
    const server = await serve(async (_body, index, { signal }) => {
      signals.push(signal);
      if (index === 0) return { content: "answered" };
      held.resolve();
      await new Promise((resolve) => signal.addEventListener("abort", resolve, { once: true }));
      hungUp.resolve();
      return { content: "too late" };
    });
    expect((await chat(server).invoke("Hi")).content).toBe("answered");
    const controller = new AbortController();
    const cancelled = failure(() => chat(server).invoke("Hi", { signal: controller.signal }));
    await within(held.promise, 5_000, "the second request to be held");
    controller.abort();
    await within(hungUp.promise, 5_000, "the handler to learn that the client hung up");
    expect((await cancelled).error.name).toMatch(/Abort/);
    expect(signals.map((signal) => signal.aborted)).toEqual([false, true]);
  });

  it("makes malformed JSON and broken event streams fail", async () => {
    const server = await serve(() => ({ fault: "malformed" }));
    const quiet = vi.spyOn(console, "error").mockImplementation(() => undefined);
    const plain = await failure(() => chat(server).invoke("Hi"));
    expect(plain.error.message).toMatch(/JSON/i);
    const streamed = await failure(async () => collect(await chat(server).stream("Hi")));
    expect(streamed.error.message).toMatch(/JSON/i);
    expect(server.requests).toHaveLength(2);
    quiet.mockRestore();
  });

  it("delays a reply by delayMs", async () => {
    const server = await serve(() => ({ content: "late", delayMs: 200 }));
    const start = Date.now();
    await chat(server).invoke("Hi");
    expect(Date.now() - start).toBeGreaterThanOrEqual(180);
  });

  it("routes scripted replies by prompt, tools and use count, and answers 500 when nothing matches", async () => {
    const server = await serve(
      scriptedHandler([
        {
          when: (view) => view.tools.includes("lookup_weather"),
          reply: { toolCalls: [{ name: "lookup_weather", args: { city: "Oslo" } }] },
        },
        { when: /planner/, reply: { content: "first plan" }, times: 1 },
        { when: "planner", reply: (view) => ({ content: `plan #${view.index}` }) },
      ]),
    );
    const model = chat(server);
    expect((await model.bindTools([lookup]).invoke("Go")).tool_calls?.[0]?.args).toEqual({ city: "Oslo" });
    expect(
      (
        await model.invoke([
          ["system", "You are the planner."],
          ["human", "Plan."],
        ])
      ).content,
    ).toBe("first plan");
    expect(
      (
        await model.invoke([
          ["system", "You are the planner."],
          ["human", "Plan."],
        ])
      ).content,
    ).toBe("plan #2");
    const { error } = await failure(() => model.invoke("Unrelated"));
    expect(error.status).toBe(500);
    expect(error.message).toContain("no scripted route");
  });
});
