import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { main } from "../../src/cli/main.js";
import { agentWorker, createOrchestrator, type Orchestrator } from "../../src/index.js";
import { openAIProvider, type ModelProvider } from "../../src/models.js";
import { task } from "../helpers/fixtures.js";
import { fixtureMcpServer, prefixedFixtureMcpServer } from "../helpers/mcp.js";
import { scriptedProvider } from "../helpers/scripted-model.js";
import {
  messageText,
  taskScriptServer,
  type ChatRequest,
  type OpenAIServer,
  type TaskScript,
} from "../helpers/openai-server.js";
import { captureCli } from "../helpers/cli-io.js";

const lastToolResult = (body: ChatRequest) => messageText(body.messages.filter((m) => m.role === "tool").at(-1));

/** Per task: the first request calls one MCP tool, the next answers from its result. */
const SCRIPTS: Record<string, TaskScript> = {
  apples: (body, turn) =>
    turn === 0
      ? { toolCalls: [{ id: "call_apples", name: "lookup_price", args: { item: "apples", quantity: 4 } }] }
      : { content: `Priced: ${lastToolResult(body)}` },
  stock: (body, turn) =>
    turn === 0
      ? { toolCalls: [{ id: "call_stock", name: "out_of_stock", args: { item: "pears" } }] }
      : { content: `Noted: ${lastToolResult(body)}` },
  crash: () => ({ toolCalls: [{ id: "call_crash", name: "crash", args: {} }] }),
  crash_spare: () => ({ toolCalls: [{ id: "call_spare_crash", name: "spare_crash", args: {} }] }),
};

describe("MCP tools of an agent worker, through the real OpenAI client", () => {
  let server: OpenAIServer;
  let orchestrator: Orchestrator;
  let byTask: Record<string, ChatRequest[]>;

  beforeAll(async () => {
    ({ server, byTask } = await taskScriptServer(SCRIPTS));
    orchestrator = await createOrchestrator({
      checkpointer: "memory",
      models: openAIProvider({ openaiBaseUrl: server.url, openaiApiKey: "test-key" }),
      workers: [
        agentWorker({
          name: "shopper",
          description: "Prices things.",
          systemPrompt: "Use the price tools.",
          mcpServers: { prices: fixtureMcpServer() },
        }),
        agentWorker({
          name: "picky",
          description: "Prices with one tool.",
          systemPrompt: "Price it.",
          mcpServers: { prices: fixtureMcpServer() },
          mcpTools: ["lookup_price"],
        }),
        agentWorker({
          name: "pair",
          description: "Prices with two servers.",
          systemPrompt: "Use the price tools.",
          mcpServers: { prices: fixtureMcpServer(), spare: prefixedFixtureMcpServer("spare_") },
        }),
        agentWorker({
          name: "stranded",
          description: "Its server does not start.",
          systemPrompt: "Use the ghost tools.",
          mcpServers: { ghost: { command: process.execPath, args: ["/nonexistent/ghost-server.js"] } },
        }),
        agentWorker({
          name: "misconfigured",
          description: "Its server is given a bad argument.",
          systemPrompt: "Price it.",
          mcpServers: { prices: fixtureMcpServer("--currency=XYZ") },
        }),
      ],
      settings: { maxRetries: 0, replan: "never" },
    });
  });
  afterAll(async () => {
    await orchestrator?.close();
    await server?.close();
  });

  const run = async (id: string, worker: string) => {
    const summary = await orchestrator.run(`price ${id}`, { plan: { tasks: [task(id, [], { worker })] } });
    return { summary, state: await orchestrator.state(summary.threadId) };
  };

  it("offers the server's tools to the model, calls the one it chose with its arguments and hands back the result", async () => {
    const { state } = await run("apples", "shopper");
    expect(byTask.apples).toHaveLength(2);
    expect(byTask.apples![0]!.tools?.map((t) => t.function.name).sort()).toEqual([
      "crash",
      "lookup_price",
      "out_of_stock",
    ]);
    expect(state.results.apples).toMatchObject({ status: "done", output: "Priced: 4 × apples: 12 EUR" });
  });

  it("offers only the tools a worker names", async () => {
    byTask.apples = [];
    await run("apples", "picky");
    expect(byTask.apples[0]!.tools?.map((t) => t.function.name)).toEqual(["lookup_price"]);
  });

  it("sends a tool's own error back to the model, and the task goes on", async () => {
    const { state } = await run("stock", "shopper");
    expect(state.results.stock).toMatchObject({ status: "done" });
    expect(state.results.stock!.output).toContain("pears is out of stock");
  });

  it("fails the task of a server that dies during a call with a classified mcp error quoting its stderr, and the run goes on to its answer", async () => {
    const { summary, state } = await run("crash", "shopper");
    expect(state.results.crash!.error).toMatchObject({ kind: "mcp", retryable: true });
    expect(state.results.crash!.error!.message).toMatch(
      /^MCP server "prices" went away during a call of "crash": .*Connection closed; its stderr ended with:\nprice-fixture: out of memory in crash$/s,
    );
    expect(summary.deadLetters.map((letter) => letter.taskId)).toEqual(["crash"]);
    expect(summary.answer).toBe("the answer");
  });

  it("names only the server that died when a worker has two", async () => {
    const { state } = await run("crash_spare", "pair");
    expect(state.results.crash_spare!.error!.message).toMatch(
      /^MCP server "spare" went away during a call of "spare_crash": .*; its stderr ended with:\nprice-fixture: out of memory in crash$/s,
    );
  });

  it("fails the task of a server that does not start with a classified mcp error naming it, before any model call", async () => {
    const { summary, state } = await run("ghost", "stranded");
    expect(state.results.ghost!.error!.kind).toBe("mcp");
    expect(state.results.ghost!.error!.message).toMatch(/^MCP server "ghost" could not be started or reached/);
    expect(state.results.ghost!.error!.message).toMatch(
      /its stderr ended with:\n.*Cannot find module '\/nonexistent\/ghost-server\.js'/s,
    );
    expect(byTask.ghost).toBeUndefined();
    expect(summary.answer).toBe("the answer");
  });

  it("quotes the last lines of a server's stderr when it exits at start, so the error says why", async () => {
    const { state } = await run("bad_option", "misconfigured");
    const { kind, message } = state.results.bad_option!.error!;
    expect(kind).toBe("mcp");
    expect(message).toMatch(
      /^MCP server "prices" could not be started or reached: .*Connection closed; its stderr ended with:\n/,
    );
    expect(message.endsWith("price-fixture: unknown option --currency=XYZ\nusage: price-fixture")).toBe(true);
    // Bounded: the last 20 lines, not the 50 lines of noise before them.
    expect(message).toContain("price-fixture: starting (33)");
    expect(message).not.toContain("price-fixture: starting (32)");
  });
});

describe("a workers file in the CLI", () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "workers-cli-"));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const capture = (models?: ModelProvider) => captureCli(dir, models);

  it("runs a team declared without code: an agent with the fixture MCP server's tool", async () => {
    const { command, args } = fixtureMcpServer() as { command: string; args: string[] };
    const workers = join(dir, "team.json");
    writeFileSync(
      workers,
      JSON.stringify({
        workers: [
          {
            name: "pricer",
            description: "Prices things.",
            systemPrompt: "Price with the tool.",
            mcpServers: { prices: { command, args } },
            tools: ["lookup_price"],
          },
        ],
      }),
    );
    const plan = join(dir, "plan.json");
    writeFileSync(plan, JSON.stringify({ tasks: [{ id: "pears", title: "Price pears", worker: "pricer" }] }));
    const models = scriptedProvider({
      worker: (call) =>
        call.messages.some((m) => m._getType() === "tool")
          ? `Priced: ${call.messages.at(-1)!.content}`
          : { toolCalls: [{ name: "lookup_price", args: { item: "pears", quantity: 2 } }] },
      synthesizer: (call) => call.prompt.match(/Priced: [^\n]*/)?.[0] ?? "no price",
    });
    const { out, io } = capture(models);
    const code = await main(["Price pears", "--workers", workers, "--plan", plan, "--checkpointer", "memory"], io);
    expect(code).toBe(0);
    expect(out.stdout.split("\n")[0]).toBe("Priced: 2 × pears: 6 EUR");
    expect(models.callsOf("worker")[0]!.tools).toEqual(["lookup_price"]);
  });

  it("exits 2 naming the bad field of a workers file", async () => {
    const workers = join(dir, "team.json");
    writeFileSync(workers, JSON.stringify({ workers: [{ name: "pricer", description: "Prices things." }] }));
    const { out, io } = capture();
    expect(await main(["Price pears", "--workers", workers], io)).toBe(2);
    expect(out.stderr).toContain(
      `Invalid workers file ${workers}:\n  - workers.0.systemPrompt: Invalid input: expected string, received undefined`,
    );
  });
});
