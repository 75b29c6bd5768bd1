/**
 * Chat clients on the dev server, driven by the SDK's own stream handling (the `StreamManager` that `useStream` runs)
 * with the request Agent Chat UI sends: at every event the chat shows the conversation, never a worker's insides or a
 * planner's JSON; plan reviews render under an AI message and take every answer shape Agent Chat UI sends.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Client, type Message } from "@langchain/langgraph-sdk";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { isOrchestratorEvent } from "../../src/events.js";
import { ChatClient, rendered, type Frame } from "../helpers/chat-client.js";
import { startDevServer, type DevServer } from "../helpers/dev-server.js";
import { fixtureMcpServer } from "../helpers/mcp.js";
import {
  describeRequest,
  messageText,
  startOpenAIServer,
  type ChatRequest,
  type OpenAIServer,
  type Reply,
} from "../helpers/openai-server.js";

const GRAPH = "orchestrator";
const ANSWER = "The pears cost 6 euros.";
const PLAN = [
  { id: "price", title: "Price the pears", worker: "pricer", dependsOn: [] as string[] },
  { id: "note", title: "Write the note", worker: "writer", dependsOn: ["price"] },
].map((task) => ({
  ...task,
  description: `${task.title}.`,
  expectedOutput: "A line.",
  estimatedCost: 1,
  complex: false,
}));
const PLAN_TEXT = "Plan (2 tasks):\n- price (pricer): Price the pears\n- note (writer): Write the note";
const REVIEW_TEXT = 'Waiting for your review of the plan for "Price two pears": 2 tasks (price, note).';

/** The loopback model: the plan, a tool call then findings for "price", a note, the answer. */
function answer(body: ChatRequest): Reply {
  const view = describeRequest(body);
  if (view.structured === "plan") return { structured: { rationale: "Price, then write.", tasks: PLAN } };
  if (view.system.includes("You write the final answer")) return { content: ANSWER };
  const tool = view.messages.filter((m) => m.role === "tool").at(-1);
  if (view.prompt.includes('Your task "price"'))
    return tool
      ? { content: `Findings: ${messageText(tool)}` }
      : { toolCalls: [{ id: "call_pears", name: "lookup_price", args: { item: "pears", quantity: 2 } }] };
  if (view.prompt.includes('Your task "note"')) return { content: "Note: pears are 6 euros." };
  throw new Error(`unexpected request: ${view.prompt.slice(0, 80)}`);
}

/** What may be on screen: the user's messages, our plan and review messages, and (a prefix of) an answer. */
function allowed(message: Message, said: readonly string[]): boolean {
  const text = rendered(message);
  if (message.type === "human") return said.some((line) => text === `human: ${line}`);
  if (message.type !== "ai" || message.tool_calls?.length) return false;
  // The plan as it streams comes in pieces of one id, which chat clients join (and the join drops the name).
  if (message.name === "plan" || message.name === "plan_review" || message.id?.startsWith("plan-")) return true;
  const body = text.slice("ai: ".length);
  return [ANSWER, "The plan was dismissed: nothing ran."].some((a) => a.startsWith(body));
}

/** Asserts the chat was clean at every frame: only allowed messages, no message twice, no worker state in `values`. */
function expectCleanChat(frames: readonly Frame[], said: readonly string[]): void {
  for (const [index, frame] of frames.entries()) {
    const shown = frame.messages.map(rendered);
    expect(frame.messages.filter((m) => !allowed(m, said)).map(rendered), `frame ${index} (${frame.event})`).toEqual(
      [],
    );
    const ids = frame.messages.map((m) => m.id);
    expect(new Set(ids).size, `frame ${index}: ${shown.join(" | ")}`).toBe(ids.length);
    // One answer per turn at most: a streamed answer and its stored copy never show side by side.
    const answers = frame.messages.filter((m) => m.type === "ai" && !m.name && !m.id?.startsWith("plan-")).length;
    const turns = frame.messages.filter((m) => m.type === "human").length;
    expect(answers, `frame ${index}: ${shown.join(" | ")}`).toBeLessThanOrEqual(turns);
    // SDK < 1.15 (Agent Chat UI's lock file has 1.8.10) takes any `values|<namespace>` event's messages as the chat's.
    if (frame.event.startsWith("values|")) expect(frame.data, frame.event).not.toHaveProperty("messages");
  }
}

describe("chat clients on the dev server (the SDK's stream manager, Agent Chat UI's request)", () => {
  let dir: string;
  let model: OpenAIServer;
  let server: DevServer;
  let client: Client;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "chat-clients-"));
    model = await startOpenAIServer({ handler: (body) => answer(body) });
    const team = join(dir, "team.json");
    const mcpServers = { prices: fixtureMcpServer() };
    const workers = [
      { name: "pricer", description: "Prices things.", systemPrompt: "Price with the tool.", mcpServers },
      { name: "writer", description: "Writes notes.", systemPrompt: "Write a short note." },
    ];
    writeFileSync(team, JSON.stringify({ workers }));
    const env = { OPENAI_BASE_URL: model.url, OPENAI_API_KEY: "test", ORCHESTRATOR_WORKERS: team };
    server = await startDevServer({ env: { ...env, LANGSMITH_TRACING: "false" } });
    client = new Client({ apiUrl: server.url, apiKey: null });
  }, 90_000);

  beforeEach((context) => {
    context.onTestFailed(() => console.error(`dev server output (tail):\n${server?.output().slice(-6_000)}`));
  });

  afterAll(async () => {
    await server?.stop();
    await model?.close();
    rmSync(dir, { recursive: true, force: true });
  }, 30_000);

  async function chatOn(context: Record<string, unknown> = {}): Promise<ChatClient> {
    const { thread_id } = await client.threads.create();
    return new ChatClient(client, thread_id, GRAPH, { maxParallel: 4, ...context });
  }

  it("shows only the conversation at every event of a first message and a follow-up, the answer streamed once", async () => {
    const chat = await chatOn();
    const first = await chat.say("Price two pears");
    const second = await chat.say("And apples?");
    expectCleanChat([...first, ...second], ["Price two pears", "And apples?"]);
    const done = PLAN_TEXT.replace("Price the pears", "Price the pears — done").replace("the note", "the note — done");
    expect(chat.messages.map(rendered)).toEqual([
      "human: Price two pears",
      `ai(plan): ${done}`,
      `ai: ${ANSWER}`,
      "human: And apples?",
      `ai(plan): ${done}`,
      `ai: ${ANSWER}`,
    ]);
    // The plan grows a line per task as the planner writes it (streamed planning: the work starts meanwhile), is
    // stored as planned, then shows each task's status, in place.
    const plans = second.map((frame) =>
      frame.messages
        .filter((m) => m.name === "plan" || m.id?.startsWith("plan-"))
        .map((m) => rendered(m).replace(/^ai(\(plan\))?: /, ""))
        .at(-1),
    );
    const changes = plans.filter((plan, index) => plan !== plans[index - 1]);
    const lines = PLAN_TEXT.split("\n").slice(1);
    expect(changes).toEqual([done, `Plan:\n${lines[0]}`, `Plan:\n${lines[0]}\n${lines[1]}`, PLAN_TEXT, done]);
    // The answer streamed token by token, under the id it is stored with.
    const streamed = second.filter((frame) => frame.event === "messages").map((frame) => frame.messages.at(-1)!);
    expect(new Set(streamed.map(rendered)).size).toBeGreaterThan(2);
    expect(streamed.at(-1)?.id).toBe(chat.messages.at(-1)?.id);
    // The worker did call its tool: its steps stream as `updates` under its namespace, for clients that ask.
    expect(model.chatRequests().some((body) => body.messages.some((m) => m.role === "tool"))).toBe(true);
  });

  it("sends every task's progress events at the root namespace", async () => {
    const chat = await chatOn();
    const frames = await chat.say("Price two pears");
    const root = frames.filter((frame) => frame.event === "custom" && isOrchestratorEvent(frame.data));
    const progress = root.map((frame) => frame.data as { type: string; taskId?: string }).filter((e) => e.taskId);
    expect(progress.map((event) => `${event.type} ${event.taskId}`)).toEqual(
      expect.arrayContaining(["task.started price", "task.done price", "task.started note", "task.done note"]),
    );
    expect(frames.filter((frame) => frame.event.startsWith("custom|"))).toEqual([]);
  });

  it("keeps a worker's own steps for a client that asks for updates with subgraphs, as Studio's graph mode does", async () => {
    const { thread_id } = await client.threads.create();
    const inner: string[] = [];
    const stream = client.runs.stream(thread_id, GRAPH, {
      input: { messages: [{ type: "human", content: "Price two pears" }] },
      streamMode: ["updates"],
      streamSubgraphs: true,
    });
    for await (const { event, data } of stream) {
      if (!/^updates\|worker:[^|]+\|pricer:price/.test(event)) continue;
      for (const update of Object.values(data as Record<string, { messages?: Message[] }>))
        inner.push(...(update?.messages ?? []).map(rendered));
    }
    expect(inner).toEqual([
      "ai(pricer):  [1 calls]",
      "tool(lookup_price): 2 × pears: 6 EUR",
      "ai(pricer): Findings: 2 × pears: 6 EUR",
    ]);
  });

  describe("plan review", () => {
    const NOTE_ONLY = [{ ...PLAN[1]!, dependsOn: [] }];
    type Review = { action_requests: { name: string; args: { tasks: { id: string }[] } }[] };

    /** Asserts a review is pending where Agent Chat UI renders it: under the last message, an AI one that names it. */
    function expectReviewShown(chat: ChatClient, goal: string): void {
      const last = chat.messages.at(-1)!;
      expect(rendered(last)).toBe(`ai(plan_review): ${REVIEW_TEXT.replace("Price two pears", goal)}`);
      const value = chat.interrupt?.value as Review | undefined;
      expect(value?.action_requests.map((r) => [r.name, r.args.tasks.map((t) => t.id)])).toEqual([
        ["approve_plan", ["price", "note"]],
      ]);
    }

    const decide = (chat: ChatClient, decision: Record<string, unknown>) =>
      chat.command({ resume: { decisions: [decision] } });
    const taskStatus = async (chat: ChatClient) =>
      Object.values(((await chat.state()).tasks ?? {}) as Record<string, { id: string; status: string }>).map(
        (task) => `${task.id} ${task.status}`,
      );

    it("renders on the first message and on follow-ups, and takes edit (JSON text and object args) and approve", async () => {
      const chat = await chatOn({ reviewPlan: true });
      const said = ["Price two pears", "Now the note only", "Again"];
      const frames = [...(await chat.say(said[0]!))];
      expectReviewShown(chat, said[0]!);
      // Agent Chat UI's "Edit": every arg as JSON text.
      const tasks = JSON.stringify(NOTE_ONLY);
      frames.push(...(await decide(chat, { type: "edit", edited_action: { name: "approve_plan", args: { tasks } } })));
      expect(chat.interrupt).toBeUndefined();
      expect(await taskStatus(chat)).toEqual(["note done"]);
      expect(chat.messages.slice(-2).map(rendered)).toEqual([
        "ai(plan): Plan (1 task):\n- note (writer): Write the note — done",
        `ai: ${ANSWER}`,
      ]);

      frames.push(...(await chat.say(said[1]!)));
      expectReviewShown(chat, said[1]!);
      const edited_action = { name: "approve_plan", args: { tasks: NOTE_ONLY } };
      frames.push(...(await decide(chat, { type: "edit", edited_action })));
      expect(await taskStatus(chat)).toEqual(["note done"]);

      frames.push(...(await chat.say(said[2]!)));
      expectReviewShown(chat, said[2]!);
      frames.push(...(await decide(chat, { type: "approve" })));
      expect(await taskStatus(chat)).toEqual(["price done", "note done"]);
      expect(chat.messages.at(-1)?.content).toBe(ANSWER);
      expectCleanChat(frames, said);
    });

    it("ends the run with a message when the reviewer marks it resolved (goto __end__), and asks again on the next message", async () => {
      const chat = await chatOn({ reviewPlan: true });
      await chat.say("Price two pears");
      const frames = await chat.command({ goto: "__end__" });
      expect(chat.interrupt).toBeUndefined();
      expect(chat.messages.map(rendered)).toEqual([
        "human: Price two pears",
        `ai(plan_review): ${REVIEW_TEXT}`,
        "ai: The plan was dismissed: nothing ran.",
      ]);
      expect(await taskStatus(chat)).toEqual(["price skipped", "note skipped"]);
      expect((await client.threads.getState(chat.threadId)).next).toEqual([]);
      expectCleanChat(frames, ["Price two pears"]);
      await chat.say("Try again");
      expectReviewShown(chat, "Try again");
    });

    it("skips the plan with the reviewer's words on reject and on respond", async () => {
      const chat = await chatOn({ reviewPlan: true });
      await chat.say("Price two pears");
      await decide(chat, { type: "reject", message: "too dear" });
      expect(chat.interrupt).toBeUndefined();
      const notes = async () => ((await chat.state()).notes ?? []) as string[];
      expect(await notes()).toContain("plan rejected by the reviewer: too dear");
      expect(await taskStatus(chat)).toEqual(["price skipped", "note skipped"]);

      await chat.say("Price three pears");
      expectReviewShown(chat, "Price three pears");
      await decide(chat, { type: "respond", args: "not today" });
      expect(await notes()).toContain("plan rejected by the reviewer: not today");
    });

    it("asks again, saying what was wrong, when an edited plan is not JSON", async () => {
      const chat = await chatOn({ reviewPlan: true });
      await chat.say("Price two pears");
      await decide(chat, { type: "edit", edited_action: { name: "approve_plan", args: { tasks: "[{oops" } } });
      const last = rendered(chat.messages.at(-1)!);
      expect(last).toMatch(
        /^ai\(plan_review\): Waiting for your review of the plan for "Price two pears": 2 tasks \(price, note\)\. Problems: The review answer was not understood: .* \(at decisions\.0/,
      );
      expect(chat.interrupt).toBeDefined();
    });
  });
});
