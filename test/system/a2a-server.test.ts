import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { TaskState, type StreamResponse, type Task } from "@a2a-js/sdk";
import { ClientFactory } from "@a2a-js/sdk/client";
import { Client } from "@langchain/langgraph-sdk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { a2aMessage, dataPart, messageText, partsText, textPart } from "../../src/workers/a2a-parts.js";
import { startA2aAgent } from "../helpers/a2a-agent.js";
import { startDevServer, type DevServer } from "../helpers/dev-server.js";
import { task } from "../helpers/fixtures.js";
import { tempDirs } from "../helpers/temp-dirs.js";

const tempDir = tempDirs("a2a-server-");

describe("the A2A agent mounted on the LangGraph dev server at /a2a", () => {
  let server: DevServer;
  let remote: Awaited<ReturnType<typeof startA2aAgent>>;

  beforeAll(async () => {
    remote = await startA2aAgent(() => ({ complete: "remote says hi", progress: ["looking"] }));
    const team = join(tempDir(), "team.json");
    const worker = { name: "remote", description: "A remote agent.", a2a: { url: remote.url } };
    writeFileSync(team, JSON.stringify({ workers: [worker] }));
    server = await startDevServer({ env: { LANGSMITH_TRACING: "false", ORCHESTRATOR_WORKERS: team } });
  }, 90_000);

  afterAll(async () => {
    await server?.stop();
    await remote?.close();
  }, 30_000);

  it("runs an A2A task as a run on a thread of the server, whose worker is itself a remote A2A agent", async () => {
    const client = await new ClientFactory().createFromUrl(`${server.url}/a2a/`);
    const card = await client.getAgentCard();
    expect(card.skills.map((skill) => skill.id)).toEqual(["remote"]);
    expect(card.supportedInterfaces[0]?.url).toBe(`${server.url}/a2a`);
    const message = a2aMessage("user", [
      textPart("say hi"),
      dataPart({ plan: { tasks: [task("a", [], { worker: "remote" })] } }),
    ]);
    const updates: StreamResponse[] = [];
    for await (const update of client.sendMessageStream({
      tenant: "",
      message,
      configuration: undefined,
      metadata: undefined,
    })) {
      updates.push(update);
    }
    const lines = updates.flatMap(({ payload }) =>
      payload?.$case === "statusUpdate" ? [messageText(payload.value.status?.message)] : [],
    );
    expect(lines).toEqual(expect.arrayContaining(["started   a [remote] attempt 1", "progress  a [remote] looking"]));
    const first = updates[0]?.payload;
    const id = first?.$case === "task" ? first.value.id : "";
    const done = (await client.getTask({ tenant: "", id, historyLength: undefined })) as Task;
    expect(done.status?.state).toBe(TaskState.TASK_STATE_COMPLETED);
    expect(partsText(done.artifacts[0]?.parts)).toContain("remote says hi");
    const thread = await new Client({ apiUrl: server.url, apiKey: null }).threads.get<{ goal: string }>(id);
    expect(thread.values?.goal).toBe("say hi");
  }, 60_000);
});
