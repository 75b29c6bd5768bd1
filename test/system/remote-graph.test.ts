import { RemoteGraph } from "@langchain/langgraph/remote";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createOrchestrator, graphWorker } from "../../src/index.js";
import { startDevServer, type DevServer } from "../helpers/dev-server.js";
import { harness, task } from "../helpers/fixtures.js";
import { scriptedProvider } from "../helpers/scripted-model.js";

describe("a graph worker wrapping a RemoteGraph of a graph on a LangGraph dev server", () => {
  let server: DevServer;

  beforeAll(async () => {
    server = await startDevServer({ args: ["--config", "test/fixtures/remote-graph/langgraph.json"] });
  }, 90_000);

  afterAll(async () => {
    await server?.stop();
  }, 30_000);

  it("gets the served graph's answer as the task's result", async () => {
    const remote = new RemoteGraph({ graphId: "echo", url: server.url });
    const h = harness({
      workers: () => [graphWorker({ name: "remote_echo", description: "Echoes remotely.", graph: remote })],
    });
    const summary = await h.run({
      goal: "g",
      plan: { tasks: [task("a", [], { worker: "remote_echo", description: "Say hi" })] },
    });
    const { results } = (await h.graph.getState({ configurable: { thread_id: "thread-1" } })).values;
    expect(summary.tasks[0]).toMatchObject({ status: "done" });
    expect(results.a).toMatchObject({ status: "done", worker: "remote_echo" });
    expect(results.a.output).toBe('remote answered: Your task "a": Task a');
  });

  /** An orchestrator whose one worker is the served graph `graphId`, and a run of one task on it. */
  async function remoteRun(graphId: string) {
    const worker = graphWorker({
      name: `remote_${graphId}`,
      description: `Runs ${graphId} remotely.`,
      graph: new RemoteGraph({ graphId, url: server.url }),
    });
    const orchestrator = await createOrchestrator({
      checkpointer: "memory",
      models: scriptedProvider({}, { configured: false }),
      workers: [worker],
    });
    return {
      orchestrator,
      start: () => orchestrator.run("g", { plan: { tasks: [task("a", [], { worker: worker.name })] } }),
    };
  }

  it("pauses the run at each question the served graph asks, and resumes it with each answer in order", async () => {
    const { orchestrator, start } = await remoteRun("asker");
    try {
      const first = await start();
      expect(first).toMatchObject({ status: "interrupted", interrupt: { question: "Which city?" } });
      const second = await orchestrator.resume(first.threadId, "Oslo");
      expect(second).toMatchObject({ status: "interrupted", interrupt: { question: "Which month?" } });
      const done = await orchestrator.resume(first.threadId, "May");
      expect(done.status).toBe("done");
      expect(done.tasks.map((t) => [t.id, t.status, t.output])).toEqual([["a", "done", "It is Oslo in May."]]);
    } finally {
      await orchestrator.close();
    }
  });

  it("answers questions the served graph asks at once, from parallel steps, each by its interrupt id", async () => {
    const { orchestrator, start } = await remoteRun("pair");
    try {
      const first = await start();
      expect(first.status).toBe("interrupted");
      const second = await orchestrator.resume(first.threadId, "Oslo");
      expect(second.status).toBe("interrupted");
      expect(second.interrupt).not.toEqual(first.interrupt);
      const done = await orchestrator.resume(first.threadId, "May");
      const [cityAnswer, monthAnswer] =
        (first.interrupt as { question: string }).question === "Which city?" ? ["Oslo", "May"] : ["May", "Oslo"];
      expect(done.tasks.map((t) => [t.status, t.output])).toEqual([
        ["done", `city: ${cityAnswer}, month: ${monthAnswer}`],
      ]);
    } finally {
      await orchestrator.close();
    }
  });
});
