import { RemoteGraph } from "@langchain/langgraph/remote";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { graphWorker } from "../../src/index.js";
import { startDevServer, type DevServer } from "../helpers/dev-server.js";
import { harness, task } from "../helpers/fixtures.js";

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
    const h = harness({ workers: () => [graphWorker({ name: "remote_echo", description: "Echoes remotely.", graph: remote })] });
    const summary = await h.run({ goal: "g", plan: { tasks: [task("a", [], { worker: "remote_echo", description: "Say hi" })] } });
    const { results } = (await h.graph.getState({ configurable: { thread_id: "thread-1" } })).values;
    expect(summary.tasks[0]).toMatchObject({ status: "done" });
    expect(results.a).toMatchObject({ status: "done", worker: "remote_echo" });
    expect(results.a.output).toBe('remote answered: Your task "a": Task a');
  });

  it("fails the task clearly when the served graph stops at an interrupt, which its stateless run can never take an answer to", async () => {
    const remote = new RemoteGraph({ graphId: "asker", url: server.url });
    const h = harness({ workers: () => [graphWorker({ name: "remote_asker", description: "Asks remotely.", graph: remote })] });
    const summary = await h.run({ goal: "g", plan: { tasks: [task("a", [], { worker: "remote_asker" })] } });
    expect(summary.status).toBe("partial");
    expect(summary.deadLetters).toEqual([
      expect.objectContaining({
        taskId: "a",
        attempts: [expect.anything()],
        error: {
          kind: "worker",
          retryable: false,
          message:
            "The remote graph stopped at an interrupt, which its stateless run on the server cannot take an answer to: answer inside the remote graph, or run the graph here as a compiled graph.",
        },
      }),
    ]);
  });
});
