import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Client } from "@langchain/langgraph-sdk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startDevServer, type DevServer } from "../helpers/dev-server.js";
import { fixtureMcpServer } from "../helpers/mcp.js";
import { messageText, taskScriptServer, type OpenAIServer } from "../helpers/openai-server.js";

const GRAPH = "orchestrator";

describe("the LangGraph dev server's graph with a workers file (ORCHESTRATOR_WORKERS)", () => {
  let dir: string;
  let model: OpenAIServer;
  let server: DevServer;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "server-workers-"));
    // One tool call of the fixture MCP server's price tool, then an answer from its result.
    ({ server: model } = await taskScriptServer({
      pears: (body, turn) =>
        turn === 0
          ? { toolCalls: [{ id: "call_pears", name: "lookup_price", args: { item: "pears", quantity: 2 } }] }
          : { content: `Priced: ${messageText(body.messages.filter((m) => m.role === "tool").at(-1))}` },
      essay: () => ({ content: "pears ".repeat(50) }),
    }));
    const { command, args } = fixtureMcpServer() as { command: string; args: string[] };
    const team = join(dir, "team.json");
    writeFileSync(
      team,
      JSON.stringify({
        workers: [
          {
            name: "pricer",
            description: "Prices things.",
            systemPrompt: "Price with the tool.",
            mcpServers: { prices: { command, args } },
          },
        ],
      }),
    );
    server = await startDevServer({
      env: {
        OPENAI_BASE_URL: model.url,
        OPENAI_API_KEY: "test",
        LANGSMITH_TRACING: "false",
        ORCHESTRATOR_WORKERS: team,
      },
    });
  }, 90_000);

  afterAll(async () => {
    await server?.stop();
    await model?.close();
    rmSync(dir, { recursive: true, force: true });
  }, 30_000);

  it("runs the file's agent with its MCP server's tool through the real ChatOpenAI", async () => {
    const client = new Client({ apiUrl: server.url, apiKey: null });
    const { thread_id } = await client.threads.create();
    const state = (await client.runs.wait(thread_id, GRAPH, {
      input: { goal: "Price pears", plan: { tasks: [{ id: "pears", title: "Price pears", worker: "pricer" }] } },
    })) as { results: Record<string, { status: string; worker: string; output: string }>; answer: string };
    expect(state.results.pears).toMatchObject({ status: "done", worker: "pricer", output: "Priced: 2 × pears: 6 EUR" });
    expect(state.answer).toBe("the answer");
    await client.threads.delete(thread_id);
  });

  it("gives the workers the server's own store: a result too large for state is kept there whole", async () => {
    const client = new Client({ apiUrl: server.url, apiKey: null });
    const { thread_id } = await client.threads.create();
    const state = (await client.runs.wait(thread_id, GRAPH, {
      input: {
        goal: "Write about pears",
        plan: { tasks: [{ id: "essay", title: "Write about pears", worker: "pricer" }] },
      },
      context: { maxOutputChars: 100 },
    })) as { runId: string; results: Record<string, { stored?: { namespace: string[]; key: string } }> };
    expect(state.results.essay!.stored).toEqual({
      namespace: ["orchestrator", "runs", state.runId],
      key: "result:essay",
    });
    const item = await client.store.getItem(["orchestrator", "runs", state.runId], "result:essay");
    expect(item?.value).toMatchObject({ output: "pears ".repeat(50) });
    await client.threads.delete(thread_id);
  });
});
