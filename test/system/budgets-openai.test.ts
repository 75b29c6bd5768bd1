/**
 * Exact budgets with the real ChatOpenAI against the loopback server: every call a worker makes through its
 * models asks the run's meter first, whichever way it is made (invoke, tools, structured output, stream).
 */
import { tool } from "@langchain/core/tools";
import { createAgent } from "langchain";
import { describe, expect, it, vi } from "vitest";
import { z } from "zod";
import {
  agentWorker,
  createOrchestrator,
  functionWorker,
  graphWorker,
  type SettingsInput,
  type WorkerDefinition,
} from "../../src/index.js";
import { openAIProvider } from "../../src/models.js";
import { describeRequest, type OpenAIServer } from "../helpers/openai-server.js";
import { loopbackServers } from "../helpers/loopback.js";
import { task } from "../helpers/fixtures.js";

const serve = loopbackServers();

const orchestratorFor = (server: OpenAIServer, workers: WorkerDefinition[], settings: SettingsInput) =>
  createOrchestrator({
    checkpointer: "memory",
    models: openAIProvider({ openaiBaseUrl: server.url, openaiApiKey: "test-key" }),
    workers,
    settings,
  });

const workerRequests = (server: OpenAIServer) =>
  server.chatRequests().filter((body) => !describeRequest(body).system.includes("final answer"));

/** A model that calls the lookup tool every round, and answers the synthesizer. */
const lookupForever = (body: Parameters<typeof describeRequest>[0]) => {
  const view = describeRequest(body);
  if (view.system.includes("final answer")) return { content: "ANSWER" };
  return { toolCalls: [{ name: "lookup", args: { q: `round ${body.messages.length}` } }] };
};
const lookup = tool(async ({ q }: { q: string }) => `found ${q}`, {
  name: "lookup",
  description: "Looks a thing up.",
  schema: z.object({ q: z.string() }),
});

describe("exact budgets with the real OpenAI client", () => {
  it("meters a function worker's calls through context.model(): invoke, structured output and stream count, and the call past the cap is never sent", async () => {
    const server = await serve((body) => {
      const view = describeRequest(body);
      if (view.system.includes("final answer")) return { content: "ANSWER" };
      return view.structured ? { structured: { n: 2 } } : { content: `reply to ${view.prompt}` };
    });
    const prober = functionWorker({
      name: "prober",
      description: "Calls its model every way there is.",
      async run(_input, context) {
        const model = context.model();
        const first = await model.invoke("one");
        const structured = await model
          .withStructuredOutput(z.object({ n: z.number() }), { name: "count" })
          .invoke("two");
        let streamed = "";
        for await (const chunk of await model.stream("three")) streamed += chunk.content as string;
        let fourth = "sent";
        await model.invoke("four").catch((error: Error) => (fourth = error.message));
        return JSON.stringify({ first: first.content, structured, streamed, fourth });
      },
    });
    const orchestrator = await orchestratorFor(server, [prober], { maxModelCalls: 3, maxRetries: 0 });
    const summary = await orchestrator.run("probe", { plan: { tasks: [task("probe", [], { worker: "prober" })] } });

    expect(JSON.parse(summary.tasks[0]!.output)).toEqual({
      first: "reply to one",
      structured: { n: 2 },
      streamed: "reply to three",
      fourth: "run budget reached: 3 model calls made of 3",
    });
    expect(workerRequests(server).map((body) => describeRequest(body).prompt)).toEqual(["one", "two", "three"]);
    await orchestrator.close();
  });

  it("ends a tool-calling agent's loop at the cap: the refused round is not sent and the task is recorded as not run", async () => {
    const server = await serve(lookupForever);
    const looker = agentWorker({
      name: "looker",
      description: "Looks things up.",
      systemPrompt: "Use the lookup tool.",
      tools: [lookup],
      maxToolRounds: 5,
    });
    const orchestrator = await orchestratorFor(server, [looker], { maxModelCalls: 2 });
    const summary = await orchestrator.run("look", { plan: { tasks: [task("look", [], { worker: "looker" })] } });

    expect(workerRequests(server)).toHaveLength(2);
    expect(summary.tasks.map((t) => [t.id, t.status, t.reason])).toEqual([
      ["look", "skipped", "run budget reached: 2 model calls made of 2"],
    ]);
    expect(summary.usage.modelCalls).toBe(3);
    expect(summary.deadLetters).toEqual([]);
    await orchestrator.close();
  });

  it("refuses a graph worker's own ChatOpenAI past the cap before its request, without a word on stderr", async () => {
    const server = await serve(lookupForever);
    const model = openAIProvider({ openaiBaseUrl: server.url, openaiApiKey: "test-key" }).create({
      role: "worker",
      model: "gpt-4o-mini",
      timeoutMs: 10_000,
    });
    const looker = graphWorker({
      name: "looker",
      description: "Looks things up.",
      graph: createAgent({ model, tools: [lookup] }),
    });
    const orchestrator = await orchestratorFor(server, [looker], { maxModelCalls: 2, maxRetries: 0 });
    const stderr = vi.spyOn(process.stderr, "write");
    const logged = [vi.spyOn(console, "error"), vi.spyOn(console, "warn")];
    try {
      const summary = await orchestrator.run("look", { plan: { tasks: [task("look", [], { worker: "looker" })] } });
      expect(workerRequests(server)).toHaveLength(2);
      expect(summary.stopReason).toBe("run budget reached: 2 model calls made of 2");
      expect(stderr).not.toHaveBeenCalled();
      for (const spy of logged) expect(spy).not.toHaveBeenCalled();
    } finally {
      for (const spy of [stderr, ...logged]) spy.mockRestore();
      await orchestrator.close();
    }
  });
});
