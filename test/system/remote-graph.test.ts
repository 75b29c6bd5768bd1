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
});
