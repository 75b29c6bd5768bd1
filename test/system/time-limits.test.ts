/**
 * Time limits of model calls, with the real ChatOpenAI against the loopback server: the limit a call runs under
 * is the one configured for it, on the worker side and on the planner side alike.
 */
import { afterEach, describe, expect, it } from "vitest";
import { agentWorker, createOrchestrator } from "../../src/index.js";
import { openAIProvider } from "../../src/models.js";
import { describeRequest, startOpenAIServer, type Handler, type OpenAIServer } from "../helpers/openai-server.js";
import { task } from "../helpers/fixtures.js";
import { deferred, within } from "../helpers/wait.js";

const servers: OpenAIServer[] = [];

afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

async function serve(handler: Handler): Promise<OpenAIServer> {
  const server = await startOpenAIServer({ handler });
  servers.push(server);
  return server;
}

const provider = (server: OpenAIServer) => openAIProvider({ openaiBaseUrl: server.url, openaiApiKey: "test-key" });

/** True for the synthesizer's request. */
const isSynthesis = (body: Parameters<Handler>[0]) => describeRequest(body).system.includes("final answer");

describe("a worker's own time limit", () => {
  it("governs its model client too: a reply slower than workerTimeoutMs but within the worker's timeoutMs is used", async () => {
    const arrived = deferred();
    const release = deferred();
    const server = await serve(async (body) => {
      if (isSynthesis(body)) return { content: "ANSWER" };
      arrived.resolve();
      await release.promise;
      return { content: "slow but within my own limit" };
    });
    const orchestrator = await createOrchestrator({
      checkpointer: "memory",
      models: provider(server),
      workers: [agentWorker({ name: "patient_agent", description: "An LLM worker with a long time limit.", systemPrompt: "You do the task.", timeoutMs: 10_000 })],
      settings: { maxRetries: 0, workerTimeoutMs: 300 },
    });
    const run = orchestrator.run("wait for a slow model", { plan: { tasks: [task("slow", [], { worker: "patient_agent" })] } });
    await within(arrived.promise, 5_000, "the worker's model request");
    // The reply is held until well past workerTimeoutMs (300 ms), and released long before the worker's own 10 s.
    const arrivedAt = Date.now();
    await new Promise((resolve) => setTimeout(resolve, 900));
    release.resolve();
    const summary = await run;
    expect(Date.now() - arrivedAt).toBeGreaterThanOrEqual(900);
    expect(summary.tasks.map((t) => [t.id, t.status, t.attempts, t.output])).toEqual([["slow", "done", 1, "slow but within my own limit"]]);
    expect(summary.deadLetters).toEqual([]);
    await orchestrator.close();
  });
});
