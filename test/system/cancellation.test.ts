import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SqliteSaver } from "@langchain/langgraph-checkpoint-sqlite";
import { Client } from "@langchain/langgraph-sdk";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { agentWorker, createOrchestrator, functionWorker, RunCancelledError } from "../../src/index.js";
import { openAIProvider } from "../../src/models.js";
import { startDevServer, type DevServer } from "../helpers/dev-server.js";
import {
  describeRequest,
  HeldCall,
  startOpenAIServer,
  type OpenAIServer,
  type RequestView,
} from "../helpers/openai-server.js";
import { deferred, waitFor, within } from "../helpers/wait.js";

const dir = mkdtempSync(join(tmpdir(), "orchestrator-cancel-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The task a worker request is for. */
const taskOf = (view: RequestView) => /Your task "([^"]+)"/.exec(view.prompt)?.[1];

describe("cancelling a library run with its AbortSignal", () => {
  for (const scheduling of ["waves", "continuous"] as const) {
    it(`aborts the model call in flight and rejects with RunCancelledError; the thread then resumes with finished work kept (${scheduling})`, async () => {
      const slow = new HeldCall();
      const requests: Record<string, number> = {};
      const model = await startOpenAIServer({
        handler: (body, _index, request) => {
          const view = describeRequest(body);
          if (view.system.includes("You write the final answer")) return { content: "the answer" };
          const id = taskOf(view)!;
          requests[id] = (requests[id] ?? 0) + 1;
          return id === "slow" ? slow.serve(request, { content: "slow result" }) : { content: `${id} result` };
        },
      });
      const runs: Record<string, number> = {};
      const quick = functionWorker({
        name: "quick",
        description: "Answers at once.",
        run: async (input) => ((runs[input.task.id] = (runs[input.task.id] ?? 0) + 1), `${input.task.id} result`),
      });
      // The real SQLite checkpointer, reporting when the quick task's result is stored: finished work to keep.
      const saver = SqliteSaver.fromConnString(join(dir, `${scheduling}.db`));
      const stored = deferred();
      const putWrites = saver.putWrites.bind(saver);
      saver.putWrites = async (config, writes, taskId) => {
        await putWrites(config, writes, taskId);
        if (JSON.stringify(writes).includes('"first result"')) stored.resolve();
      };
      const orchestrator = await createOrchestrator({
        checkpointer: saver,
        models: openAIProvider({ openaiBaseUrl: model.url, openaiApiKey: "test-key" }),
        workers: [
          quick,
          agentWorker({ name: "agent", description: "An LLM worker.", systemPrompt: "You do the task you are given." }),
        ],
        settings: { replan: "never", scheduling },
      });
      const threadId = `cancel-${scheduling}`;
      const plan = {
        tasks: [
          { id: "first", title: "First", worker: "quick" },
          { id: "slow", title: "Slow", worker: "agent" },
          { id: "last", title: "Last", worker: "quick", dependsOn: ["first", "slow"] },
        ],
      };
      try {
        const controller = new AbortController();
        const run = orchestrator.run("cancel me", { threadId, plan, signal: controller.signal });
        run.catch(() => {});
        await within(
          Promise.all([slow.arrived.promise, stored.promise]),
          15_000,
          "the slow call to be held with the first result stored",
        );
        controller.abort();

        await expect(run).rejects.toBeInstanceOf(RunCancelledError);
        await expect(run).rejects.toThrow(`The run on thread "${threadId}" was cancelled`);
        await within(slow.hungUp.promise, 10_000, "the cancelled model call to close its request");
        // No record of the cancelled task is kept as its result. A wave's finished task is in state; in the
        // continuous pool it is its durable task's write, replayed on resume.
        const cancelled = await orchestrator.state(threadId);
        expect(Object.keys(cancelled.results)).toEqual(scheduling === "waves" ? ["first"] : []);

        slow.held = false;
        const resumed = await orchestrator.resume(threadId);
        expect(resumed.status).toBe("done");
        expect(resumed.tasks.map((task) => [task.id, task.status, task.attempts])).toEqual([
          ["first", "done", 1],
          ["slow", "done", 1],
          ["last", "done", 1],
        ]);
        expect(resumed.answer).toBe("the answer");
        // The finished task did not run again; the cancelled call was made once more.
        expect(runs).toEqual({ first: 1, last: 1 });
        expect(requests).toEqual({ slow: 2 });
      } finally {
        await orchestrator.close();
        saver.db.close();
        await model.close();
      }
    });
  }
});

const GRAPH = "orchestrator";
const PLAN = [
  { id: "facts", title: "Collect the facts", worker: "researcher", dependsOn: [] as string[] },
  { id: "figures", title: "Work out the figures", worker: "analyst", dependsOn: [] as string[] },
  { id: "report", title: "Write the report", worker: "writer", dependsOn: ["facts", "figures"] },
].map((task) => ({
  ...task,
  description: `${task.title}.`,
  expectedOutput: "A short text.",
  estimatedCost: 1,
  complex: false,
}));

describe("cancelling a run on the LangGraph dev server through the SDK", () => {
  let model: OpenAIServer;
  let server: DevServer;
  let client: Client;
  const figures = new HeldCall();
  const requests: Record<string, number> = {};

  beforeAll(async () => {
    model = await startOpenAIServer({
      handler: (body, _index, request) => {
        const view = describeRequest(body);
        if (view.structured === "plan")
          return { structured: { rationale: "Facts and figures, then the report.", tasks: PLAN } };
        if (view.system.includes("You write the final answer")) return { content: "FINAL ANSWER" };
        const id = taskOf(view)!;
        requests[id] = (requests[id] ?? 0) + 1;
        return id === "figures" ? figures.serve(request, { content: "figures done" }) : { content: `${id} done` };
      },
    });
    server = await startDevServer({
      env: { OPENAI_BASE_URL: model.url, OPENAI_API_KEY: "test", LANGSMITH_TRACING: "false" },
    });
    client = new Client({ apiUrl: server.url, apiKey: null });
  }, 60_000);
  afterAll(async () => {
    await server?.stop();
    await model?.close();
  }, 30_000);
  beforeEach((context) => {
    context.onTestFailed(() => console.error(`dev server output (tail):\n${server?.output().slice(-6_000)}`));
  });

  // Waves: the thread's state shows a finished worker's write before its step ends (an eager pool's tasks join the
  // state when the pool's step ends; the in-process test above cancels both modes).
  it("aborts the model call in flight, ends the run without an answer, and a resume on the thread finishes with finished work kept", async () => {
    const { thread_id: threadId } = await client.threads.create();
    const run = await client.runs.create(threadId, GRAPH, {
      input: { goal: "Brief me on the harbour" },
      context: { replan: "never", scheduling: "waves" },
    });
    await within(figures.arrived.promise, 20_000, "the figures call to be held");
    // The facts task finished: its result is in the thread's pending writes before the cancel.
    await waitFor(
      async () =>
        (await client.threads.getState(threadId)).tasks.some(
          (task) => (task.result as { results?: Record<string, unknown> } | null)?.results?.facts,
        ),
      { timeoutMs: 15_000, what: "the facts result to be stored" },
    );

    await client.runs.cancel(threadId, run.run_id, true);
    await within(figures.hungUp.promise, 10_000, "the cancelled model call to close its request");
    // The dev server marks the cancelled run "interrupted" (langgraph-api 2.0.0, a deprecated release, said
    // "error"). The checkpoint is the thread's own and keeps what finished.
    expect((await client.runs.get(threadId, run.run_id)).status).toBe("interrupted");
    const cancelled = await client.threads.getState<{
      answer?: string;
      tasks: Record<string, { status: string }>;
      results: Record<string, unknown>;
    }>(threadId);
    expect(cancelled.next).toEqual(["worker"]);
    expect(Object.keys(cancelled.values.results)).toEqual(["facts"]);
    expect(cancelled.values.answer ?? "").toBe("");

    figures.held = false;
    const resumed = (await client.runs.wait(threadId, GRAPH, {
      input: null,
      context: { replan: "never", scheduling: "waves" },
    })) as {
      answer: string;
      tasks: Record<string, { status: string }>;
    };
    expect(resumed.answer).toBe("FINAL ANSWER");
    expect(Object.fromEntries(Object.entries(resumed.tasks).map(([id, task]) => [id, task.status]))).toEqual({
      facts: "done",
      figures: "done",
      report: "done",
    });
    expect(requests).toEqual({ facts: 1, figures: 2, report: 1 });
    expect((await client.threads.get(threadId)).status).toBe("idle");
    await client.threads.delete(threadId);
  });
});
