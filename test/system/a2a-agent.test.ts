import { request as httpRequest } from "node:http";
import { TaskState, type Message, type StreamResponse, type Task } from "@a2a-js/sdk";
import { type Client, ClientFactory } from "@a2a-js/sdk/client";
import { afterEach, describe, expect, it } from "vitest";
import { serveA2aAgent } from "../../src/a2a/agent.js";
import { discoverA2aWorker } from "../../src/workers/a2a-card.js";
import {
  createOrchestrator,
  functionWorker,
  type Orchestrator,
  type SettingsInput,
  WorkerRegistry,
} from "../../src/index.js";
import { a2aMessage, dataPart, messageText, partsData, textPart } from "../../src/workers/a2a-parts.js";
import type { WorkerDefinition } from "../../src/worker-contract.js";
import { echoWorker, task, WorkLog } from "../helpers/fixtures.js";
import { scriptedProvider } from "../helpers/scripted-model.js";
import { deferred } from "../helpers/wait.js";

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

/** Our orchestrator served as an A2A agent, and the SDK's own client for it (from its agent card). */
async function served(workers: WorkerDefinition[], settings: SettingsInput = {}) {
  const orchestrator: Orchestrator = await createOrchestrator({
    checkpointer: "memory",
    workers,
    models: scriptedProvider({}, { configured: false }),
    settings: { replan: "never", ...settings },
  });
  const agent = await serveA2aAgent({ runs: orchestrator, registry: new WorkerRegistry(workers) });
  closers.push(async () => (await agent.close(), await orchestrator.close()));
  const client: Client = await new ClientFactory().createFromUrl(agent.url);
  return { orchestrator, agent, client };
}

/** Two orchestrators of ours: `team` served over A2A, `lead` with `team` as its worker `team_b`, from its card. */
async function twoOrchestrators(teamSettings: SettingsInput = {}) {
  const team = await served([echoWorker(new WorkLog())], teamSettings);
  const worker = await discoverA2aWorker({ name: "team_b", description: "Another orchestrator.", url: team.agent.url });
  const lead = await createOrchestrator({
    checkpointer: "memory",
    workers: [echoWorker(new WorkLog()), worker],
    models: scriptedProvider({}, { configured: false }),
    settings: { replan: "never" },
  });
  closers.push(() => lead.close());
  return { team, lead, worker };
}

const send = (message: Message) => ({ tenant: "", message, configuration: undefined, metadata: undefined });
const plan = { plan: { tasks: [task("a"), task("b", ["a"])] } };
const goalMessage = (goal: string, data: unknown = plan) => a2aMessage("user", [textPart(goal), dataPart(data)]);

describe("the orchestrator as an A2A agent, called by the @a2a-js/sdk client", () => {
  it("serves an agent card whose skills are the registry's workers", async () => {
    const { client, agent } = await served([echoWorker(new WorkLog())]);
    const card = await client.getAgentCard();
    expect(card.skills.map((skill) => [skill.id, skill.description])).toEqual([
      ["echo", "Echoes its task id and the ids of its dependencies."],
    ]);
    expect(card.supportedInterfaces[0]).toMatchObject({
      url: agent.url,
      protocolBinding: "JSONRPC",
      protocolVersion: "1.0",
    });
    expect(card.capabilities?.streaming).toBe(true);
  });

  it("answers A2A 0.3 JSON-RPC too (a request without an A2A-Version header), and a malformed body as a parse error", async () => {
    const { agent } = await served([echoWorker(new WorkLog())]);
    const rpc = async (body: string, headers: Record<string, string> = {}) =>
      (
        await fetch(agent.url, { method: "POST", headers: { "content-type": "application/json", ...headers }, body })
      ).json();
    const get = (method: string) => JSON.stringify({ jsonrpc: "2.0", id: 7, method, params: { id: "nope" } });
    expect(await rpc(get("tasks/get"))).toMatchObject({ id: 7, error: { code: -32001 } });
    expect(await rpc(get("GetTask"), { "A2A-Version": "1.0" })).toMatchObject({ id: 7, error: { code: -32001 } });
    expect(await rpc("{ nope")).toEqual({
      jsonrpc: "2.0",
      id: null,
      error: { code: -32700, message: "Invalid JSON payload." },
    });
  });

  it("turns a sent message into a task on a thread of its id that completes with the answer as an artifact", async () => {
    const { client, orchestrator } = await served([echoWorker(new WorkLog())]);
    const task = (await client.sendMessage(send(goalMessage("two steps")))) as Task;
    expect(task.status?.state).toBe(TaskState.TASK_STATE_COMPLETED);
    const [answer] = task.artifacts;
    const state = await orchestrator.state(task.id);
    expect(state.goal).toBe("two steps");
    expect(messageText({ parts: answer!.parts.slice(0, 1) } as Message)).toBe(state.answer);
    expect(partsData(answer!.parts)[0]).toMatchObject({
      status: "done",
      tasks: [
        { id: "a", worker: "echo", status: "done", attempts: 1 },
        { id: "b", worker: "echo", status: "done", attempts: 1 },
      ],
      deadLetters: [],
    });
    expect((await client.getTask({ tenant: "", id: task.id, historyLength: undefined })).status?.state).toBe(
      TaskState.TASK_STATE_COMPLETED,
    );
  });

  it("streams per-subtask status updates, each with its handoff event, before the answer", async () => {
    const { client } = await served([echoWorker(new WorkLog())]);
    const updates: StreamResponse[] = [];
    for await (const update of client.sendMessageStream(send(goalMessage("two steps")))) updates.push(update);
    const lines = updates.flatMap(({ payload }) =>
      payload?.$case === "statusUpdate" ? [messageText(payload.value.status?.message)] : [],
    );
    expect(lines).toEqual(
      expect.arrayContaining(["started   a [echo] attempt 1", "started   b [echo] attempt 1", "Run done."]),
    );
    expect(lines.findIndex((line) => line.startsWith("done      a"))).toBeLessThan(
      lines.findIndex((line) => line.startsWith("started   b")),
    );
    const events = updates.flatMap(({ payload }) =>
      payload?.$case === "statusUpdate" && payload.value.metadata?.handoff ? [payload.value.metadata.handoff] : [],
    );
    expect(events[0]).toMatchObject({ version: "1.0", kind: "event", payload: { type: "plan.created" } });
    const kinds = updates.map(({ payload }) => payload?.$case);
    expect(kinds.at(0)).toBe("task");
    expect(kinds.slice(-2)).toEqual(["artifactUpdate", "statusUpdate"]);
  });

  it("cancels the run when the A2A task is cancelled: the working worker is aborted and no answer is written", async () => {
    const started = deferred();
    const aborted = deferred();
    const slow = functionWorker({
      name: "slow",
      description: "Waits until it is stopped.",
      run: (_input, context) =>
        new Promise((_resolve, reject) => {
          started.resolve();
          context.signal.addEventListener("abort", () => (aborted.resolve(), reject(context.signal.reason)));
        }),
    });
    const { client, orchestrator } = await served([slow]);
    const stream = client.sendMessageStream(
      send(goalMessage("wait", { plan: { tasks: [task("a", [], { worker: "slow" })] } })),
    );
    const first = await stream.next();
    const id = first.value?.payload?.$case === "task" ? first.value.payload.value.id : "";
    await started.promise;
    const cancelled = await client.cancelTask({ tenant: "", id, metadata: undefined });
    expect(cancelled.status?.state).toBe(TaskState.TASK_STATE_CANCELED);
    await aborted.promise;
    for await (const _ of stream) {
      // drained
    }
    expect((await orchestrator.state(id)).answer ?? "").toBe("");
  });

  it("asks for a plan review as input-required and runs the plan once the caller approves it", async () => {
    const { client } = await served([echoWorker(new WorkLog())], { reviewPlan: true });
    const asked = (await client.sendMessage(send(goalMessage("reviewed")))) as Task;
    expect(asked.status?.state).toBe(TaskState.TASK_STATE_INPUT_REQUIRED);
    expect(messageText(asked.status?.message)).toContain('Answer "approve", "reject <reason>"');
    expect(partsData(asked.status?.message?.parts)[0]).toMatchObject({
      review: { kind: "approve_plan", goal: "reviewed", tasks: [{ id: "a" }, { id: "b" }] },
    });
    const reply = a2aMessage("user", [textPart("approve")], { taskId: asked.id, contextId: asked.contextId });
    const done = (await client.sendMessage(send(reply))) as Task;
    expect([done.id, done.status?.state]).toEqual([asked.id, TaskState.TASK_STATE_COMPLETED]);
    expect(partsData(done.artifacts[0]?.parts)[0]).toMatchObject({ status: "done" });
  });

  it("lets two orchestrators call each other over A2A: one is the other's worker, answers and plan reviews included", async () => {
    const { team, lead, worker } = await twoOrchestrators({ reviewPlan: true });
    expect(worker.description).toContain("Skills: echo: Echoes its task id");
    const plan = { tasks: [task("a"), task("b", ["a"], { worker: "team_b", description: "Check a." })] };
    const paused = await lead.run("delegate", { plan });
    expect(paused.status).toBe("interrupted");
    expect(paused.interrupt).toMatchObject({ kind: "a2a_input_required", worker: "team_b", taskId: "b" });
    expect((paused.interrupt as { question: string }).question).toContain('Answer "approve"');
    const done = await lead.resume(paused.threadId, "approve");
    expect(done.status).toBe("done");
    const delegated = done.tasks.find((t) => t.id === "b")!;
    const listed = await team.client.listTasks({
      tenant: "",
      contextId: "",
      status: TaskState.TASK_STATE_COMPLETED,
      pageSize: 10,
      pageToken: "",
      historyLength: undefined,
      statusTimestampAfter: undefined,
      includeArtifacts: false,
    });
    expect(listed.tasks).toHaveLength(1);
    const remoteTask = listed.tasks[0];
    const remoteState = await team.orchestrator.state(remoteTask!.id);
    expect(remoteState.goal).toContain("Check a.");
    expect(delegated.output).toContain(remoteState.answer);
  });

  it("refuses what another site's page could send it: a text/plain POST runs nothing (415), a foreign Host gets 403", async () => {
    const log = new WorkLog();
    const { agent } = await served([echoWorker(log)]);
    const message = { kind: "message", messageId: "m1", role: "user", parts: [{ kind: "text", text: "spend" }] };
    const body = JSON.stringify({ jsonrpc: "2.0", id: 1, method: "message/send", params: { message } });
    // A form or fetch of any page may POST text/plain across origins without a CORS preflight.
    const plain = await fetch(agent.url, { method: "POST", headers: { "content-type": "text/plain" }, body });
    expect([plain.status, await plain.json()]).toEqual([
      415,
      {
        jsonrpc: "2.0",
        id: null,
        error: {
          code: -32600,
          message: 'Send JSON-RPC requests as Content-Type: application/json (got "text/plain").',
        },
      },
    ]);
    expect(log.started).toEqual([]);
    // A page that rebinds its own name to 127.0.0.1 sends its own name as the Host.
    const port = new URL(agent.url).port;
    const foreign = await rawPost(agent.url, body, {
      host: `evil.example:${port}`,
      "content-type": "application/json",
    });
    expect([foreign.status, JSON.parse(foreign.text).error]).toEqual([
      403,
      `Host "evil.example:${port}" is not served here: the A2A agent answers only to localhost:${port}, 127.0.0.1:${port} and [::1]:${port}.`,
    ]);
    expect(log.started).toEqual([]);
  });
});

/** A POST with the headers as given, `Host` included (fetch sets its own). */
function rawPost(
  url: string,
  body: string,
  headers: Record<string, string>,
): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const request = httpRequest(url, { method: "POST", headers }, (response) => {
      let text = "";
      response.on("data", (chunk: Buffer) => (text += chunk.toString()));
      response.on("end", () => resolve({ status: response.statusCode ?? 0, text }));
    });
    request.on("error", reject);
    request.end(body);
  });
}
