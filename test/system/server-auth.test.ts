import { TaskState, type Task } from "@a2a-js/sdk";
import { Client } from "@langchain/langgraph-sdk";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { launchBrowser, taskStatus, type Browser } from "../helpers/browser.js";
import { startDevServer, type DevServer } from "../helpers/dev-server.js";
import { task } from "../helpers/fixtures.js";
import { describeRequest, startOpenAIServer, type OpenAIServer } from "../helpers/openai-server.js";
import { clientFactory } from "../../src/workers/a2a.js";
import { a2aMessage, dataPart, partsText, textPart } from "../../src/workers/a2a-parts.js";

/** A user's key as test/fixtures/auth/auth.ts knows it. */
const KEYS = { alice: "key-alice", bob: "key-bob" } as const;

describe("the web view on a dev server with custom auth (auth.path in langgraph.json)", () => {
  let browser: Browser;
  let model: OpenAIServer;
  let server: DevServer;
  const threads = { alice: "", bob: "" };

  /** Runs a one-task plan to its end on a new thread of the user. */
  async function runAs(user: keyof typeof KEYS): Promise<string> {
    const client = new Client({ apiUrl: server.url, apiKey: KEYS[user] });
    const { thread_id: threadId } = await client.threads.create();
    await client.runs.wait(threadId, "orchestrator", {
      input: { goal: `the goal of ${user}`, plan: { tasks: [task("notes", [], { worker: "researcher" })] } },
    });
    return threadId;
  }

  const get = (path: string, user?: keyof typeof KEYS) =>
    fetch(`${server.url}${path}`, { headers: user ? { "x-api-key": KEYS[user] } : {} });
  const redrive = (threadId: string, user?: keyof typeof KEYS) =>
    fetch(`${server.url}/ui/threads/${threadId}/redrive`, {
      method: "POST",
      headers: { "content-type": "application/json", ...(user ? { "x-api-key": KEYS[user] } : {}) },
      body: '{"taskIds":[]}',
    });

  beforeAll(async () => {
    [browser, model] = await Promise.all([
      launchBrowser(),
      startOpenAIServer({
        handler: (body) => {
          const { system, prompt } = describeRequest(body);
          if (system.includes("final answer")) return { content: "the answer" };
          return { content: `notes for ${/the goal of (\w+)/.exec(prompt)?.[1] ?? "nobody"}` };
        },
      }),
    ]);
    server = await startDevServer({
      args: ["--config", "test/fixtures/auth/langgraph.json"],
      env: { OPENAI_BASE_URL: model.url, OPENAI_API_KEY: "test" },
    });
    threads.alice = await runAs("alice");
    threads.bob = await runAs("bob");
  }, 120_000);
  beforeEach((context) => {
    context.onTestFailed(() => console.error(`dev server output (tail):\n${server?.output().slice(-6_000)}`));
  });
  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    await model?.close();
  }, 30_000);

  it("answers every /ui route and the re-drive with 401 without a key, as /threads does", async () => {
    const paths = [
      "/ui",
      `/ui/threads/${threads.alice}`,
      `/ui/threads/${threads.alice}/events`,
      `/ui/threads/${threads.alice}/tasks/notes`,
    ];
    const answers = await Promise.all(
      [`/threads/${threads.alice}`, ...paths].map(async (path) => [path, (await get(path)).status]),
    );
    expect(answers).toEqual([`/threads/${threads.alice}`, ...paths].map((path) => [path, 401]));
    expect((await redrive(threads.alice)).status).toBe(401);
  });

  it("lists only the caller's threads and shows another user's thread, task and re-drive as missing", async () => {
    const list = await get("/ui", "alice");
    const page = await list.text();
    expect(list.status).toBe(200);
    expect(page).toContain(threads.alice);
    expect(page).toContain("the goal of alice");
    expect(page).not.toContain(threads.bob);
    expect(page).not.toContain("the goal of bob");

    const own = await get(`/ui/threads/${threads.alice}/tasks/notes`, "alice");
    expect([own.status, ((await own.json()) as { output?: string }).output]).toEqual([200, "notes for alice"]);
    const theirs = await get(`/ui/threads/${threads.bob}/tasks/notes`, "alice");
    expect(theirs.status).toBe(404);
    expect(await theirs.text()).not.toContain("notes for bob");
    expect((await get(`/ui/threads/${threads.bob}`, "alice")).status).toBe(404);
    expect((await get(`/ui/threads/${threads.bob}/events`, "alice")).status).toBe(404);
    const foreignRedrive = await redrive(threads.bob, "alice");
    expect([foreignRedrive.status, await foreignRedrive.json()]).toEqual([
      404,
      { error: `No thread "${threads.bob}".` },
    ]);
    const ownRedrive = await redrive(threads.alice, "alice");
    expect([ownRedrive.status, await ownRedrive.json()]).toEqual([
      409,
      { error: "The run has no dead letters to re-drive." },
    ]);
  });

  it("shows a browser carrying a user's key that user's run live, and a browser without one nothing", async () => {
    const page = await browser.page();
    await page.setExtraHTTPHeaders({ "x-api-key": KEYS.bob });
    await page.goto(`${server.url}/ui`);
    expect(await page.textContent(`[data-thread-id="${threads.bob}"]`)).toContain("the goal of bob");
    expect(await page.$(`[data-thread-id="${threads.alice}"]`)).toBeNull();
    await page.goto(`${server.url}/ui/threads/${threads.bob}`);
    await taskStatus(page, "notes", "done");
    // Bob's feed is open and shared by every page on his thread: Alice still may not read from it.
    expect((await get(`/ui/threads/${threads.bob}/tasks/notes`, "alice")).status).toBe(404);
    expect((await get(`/ui/threads/${threads.bob}/tasks/notes`, "bob")).status).toBe(200);
    await page.close();

    const stranger = await browser.page();
    const refused = await stranger.goto(`${server.url}/ui/threads/${threads.bob}`);
    expect(refused?.status()).toBe(401);
    expect(await stranger.content()).not.toContain("the goal of bob");
    await stranger.close();
  });

  describe("the A2A agent at /a2a", () => {
    /** The `@a2a-js/sdk` client as our A2A workers build it, sending the user's key on every request (or none). */
    const a2aClient = (user?: keyof typeof KEYS) =>
      clientFactory(user ? { "x-api-key": KEYS[user] } : undefined).createFromUrl(`${server.url}/a2a/`);
    const send = async (user: keyof typeof KEYS | undefined, goal: string) =>
      (await a2aClient(user)).sendMessage({
        tenant: "",
        message: a2aMessage("user", [
          textPart(goal),
          dataPart({ plan: { tasks: [task("notes", [], { worker: "researcher" })] } }),
        ]),
        configuration: undefined,
        metadata: undefined,
      });

    it("runs a caller's task as that caller: the thread is theirs, and another user's key cannot read it", async () => {
      const task = (await send("alice", "the goal of alice, over A2A")) as Task;
      expect(task.status?.state).toBe(TaskState.TASK_STATE_COMPLETED);
      expect(partsText(task.artifacts[0]?.parts)).toContain("the answer");
      const alice = new Client({ apiUrl: server.url, apiKey: KEYS.alice });
      const thread = await alice.threads.get<{ goal: string }>(task.id);
      expect([thread.metadata?.owner, thread.values?.goal]).toEqual(["alice", "the goal of alice, over A2A"]);
      const bob = new Client({ apiUrl: server.url, apiKey: KEYS.bob });
      await expect(bob.threads.get(task.id)).rejects.toThrow(/404/);
      // Over A2A, Bob's key finds no such task, to read or to cancel; Alice's finds it.
      const asBob = await a2aClient("bob");
      await expect(asBob.getTask({ tenant: "", id: task.id, historyLength: undefined })).rejects.toThrow(/not found/i);
      await expect(asBob.cancelTask({ tenant: "", id: task.id, metadata: undefined })).rejects.toThrow(/not found/i);
      const asAlice = await a2aClient("alice");
      const read = await asAlice.getTask({ tenant: "", id: task.id, historyLength: undefined });
      expect(read.status?.state).toBe(TaskState.TASK_STATE_COMPLETED);
    });

    it("runs nothing for a caller without a key", async () => {
      const before = (await new Client({ apiUrl: server.url, apiKey: KEYS.alice }).threads.search({ limit: 100 }))
        .length;
      const outcome = await send(undefined, "the goal of a stranger").then(
        (result) => ({ state: (result as Task).status?.state }),
        (error: Error) => ({ error: error.message }),
      );
      expect(outcome).not.toEqual({ state: TaskState.TASK_STATE_COMPLETED });
      expect(JSON.stringify(outcome)).toMatch(/401|auth|key/i);
      const after = await new Client({ apiUrl: server.url, apiKey: KEYS.alice }).threads.search({ limit: 100 });
      expect(after.length).toBe(before);
      expect(model.requests.some((request) => JSON.stringify(request.body).includes("a stranger"))).toBe(false);
    });
  });
});
