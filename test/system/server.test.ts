import { Client } from "@langchain/langgraph-sdk";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { main, parseClientArgs, type ClientIO } from "../../src/cli/client.js";
import { EXIT } from "../../src/cli/exit-codes.js";
import { SettingsSchema } from "../../src/settings.js";
import { devCommand } from "../../src/server/dev-server.js";
import { isOrchestratorEvent, type OrchestratorEvent } from "../../src/events.js";
import type { TaskResult } from "../../src/schemas.js";
import { freePort, startDevServer, type DevServer } from "../helpers/dev-server.js";
import { edgeList, TOPOLOGY } from "../helpers/topology.js";
import {
  describeRequest,
  startOpenAIServer,
  type OpenAIServer,
  type Reply,
  type RequestView,
} from "../helpers/openai-server.js";

const GRAPH = "orchestrator";
const STREAM_MODES: ("custom" | "updates" | "values")[] = ["custom", "updates", "values"];

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

const WORKER_BY_PROMPT: [RegExp, string][] = [
  [/meticulous researcher/, "researcher"],
  [/careful analyst/, "analyst"],
  [/clear, concise writer/, "writer"],
  [/demanding reviewer/, "reviewer"],
];

/** The loopback model: the planner gets the plan, workers echo their task, the synthesizer lists what it read. */
function answer(view: RequestView): Reply {
  if (view.structured === "plan")
    return { structured: { rationale: "Facts and figures first, then the report.", tasks: PLAN } };
  if (view.system.includes("You write the final answer")) {
    const used = [...view.prompt.matchAll(/^### (\w+):/gm)].map((match) => match[1]);
    return { content: `FINAL ANSWER built from ${used.join(", ")}` };
  }
  const worker = WORKER_BY_PROMPT.find(([pattern]) => pattern.test(view.system))?.[1];
  const task = /Your task "([^"]+)"/.exec(view.prompt)?.[1];
  if (!worker || !task) throw new Error(`unexpected request: ${view.system.slice(0, 80)}`);
  if (task === "figures" && view.prompt.includes("without figures"))
    return { fault: "status", status: 400, message: "the figures are refused" };
  return { content: `${task} done by ${worker}` };
}

type Chunk = { event: string; data: unknown };

interface Collected {
  chunks: Chunk[];
  events: OrchestratorEvent[];
  /** Worker results from `updates`, in arrival order. */
  results: TaskResult[];
  interrupts: { value: unknown }[];
  lastValues: Record<string, unknown> | undefined;
}

async function collect(stream: AsyncIterable<Chunk>): Promise<Collected> {
  const out: Collected = { chunks: [], events: [], results: [], interrupts: [], lastValues: undefined };
  for await (const chunk of stream) {
    out.chunks.push(chunk);
    if (chunk.event === "error") throw new Error(`run failed on the server: ${JSON.stringify(chunk.data)}`);
    if (chunk.event === "custom" && isOrchestratorEvent(chunk.data)) out.events.push(chunk.data);
    if (chunk.event === "values") out.lastValues = chunk.data as Record<string, unknown>;
    if (chunk.event === "updates") {
      const update = chunk.data as {
        worker?: { results?: Record<string, TaskResult> };
        __interrupt__?: { value: unknown }[];
      };
      out.results.push(...Object.values(update.worker?.results ?? {}));
      out.interrupts.push(...(update.__interrupt__ ?? []));
    }
  }
  return out;
}

const eventsOf = (collected: Collected, taskId: string) =>
  collected.events.filter((event) => "taskId" in event && event.taskId === taskId).map((event) => event.type);

describe("npm run dev launcher", () => {
  it("takes the port from --port over PORT, never opens a browser, and turns CLI analytics off", () => {
    const fromFlag = devCommand(["--port", "3100", "--host", "0.0.0.0"], { PORT: "3200" });
    expect(fromFlag.args.slice(1)).toEqual(["dev", "--no-browser", "--port", "3100", "--host", "0.0.0.0"]);
    expect(fromFlag.env.LANGGRAPH_CLI_NO_ANALYTICS).toBe("1");
    expect(devCommand([], { PORT: "3200" }).args).toContain("3200");
    expect(devCommand(["--no-browser"], {}).args.slice(1)).toEqual(["dev", "--no-browser", "--port", "2024"]);
    expect(() => devCommand(["--port", "http"], {})).toThrow(/Invalid port "http"/);
  });
});

describe("example client", () => {
  const captured = (): ClientIO & { text: () => string } => {
    let text = "";
    return { stdout: (t) => void (text += t), stderr: (t) => void (text += t), env: {}, text: () => text };
  };

  it("sends --review and --context as the run's context, validated against the settings schema", () => {
    const options = parseClientArgs(["Plan", "a", "trip", "--review", "--context", '{"maxParallel":4}'], {
      LANGGRAPH_API_URL: "http://example:8123",
    });
    expect(options).toMatchObject({
      goal: "Plan a trip",
      url: "http://example:8123",
      assistant: "orchestrator",
      yes: false,
    });
    expect(options.context).toEqual({ maxParallel: 4, reviewPlan: true });
    expect(parseClientArgs(["g"]).url).toBe("http://localhost:2024");
    expect(() => parseClientArgs(["g", "--context", '{"maxParallel":0}'])).toThrow(/maxParallel=0/);
    expect(() => parseClientArgs(["g", "--context", "nope"])).toThrow(/--context is not JSON/);
  });

  it("says how to start the server when none answers", async () => {
    const io = captured();
    const url = `http://127.0.0.1:${await freePort()}`;
    expect(await main(["A goal", "--url", url], io)).toBe(EXIT.failed);
    expect(io.text()).toBe(
      `Cannot reach the LangGraph server at ${url}. Start it with \`npm run dev\` or pass --url.\n`,
    );
  });
});

describe("the orchestrator on the LangGraph dev server", () => {
  let model: OpenAIServer;
  let server: DevServer;
  let client: Client;
  const threads: string[] = [];
  const assistants: string[] = [];

  beforeAll(async () => {
    model = await startOpenAIServer({ handler: (body, index) => answer(describeRequest(body, index)) });
    server = await startDevServer({
      env: { OPENAI_BASE_URL: model.url, OPENAI_API_KEY: "test", LANGSMITH_TRACING: "false" },
    });
    client = new Client({ apiUrl: server.url, apiKey: null });
  }, 60_000);

  // A failure on the server side shows up in its log, not in the SDK's error: print the log's tail.
  beforeEach((context) => {
    context.onTestFailed(() => console.error(`dev server output (tail):\n${server?.output().slice(-6_000)}`));
  });

  afterAll(async () => {
    await Promise.allSettled([
      ...threads.map((id) => client?.threads.delete(id)),
      ...assistants.map((id) => client?.assistants.delete(id)),
    ]);
    await server?.stop();
    await model?.close();
  }, 30_000);

  async function newThread(): Promise<string> {
    const { thread_id } = await client.threads.create();
    threads.push(thread_id);
    return thread_id;
  }

  it("lists the orchestrator assistant and serves its graph topology", async () => {
    const assistants = await client.assistants.search({ graphId: GRAPH });
    expect(assistants.map((assistant) => assistant.graph_id)).toContain(GRAPH);
    const graph = await client.assistants.getGraph(GRAPH);
    expect(graph.nodes.map((node) => node.id).sort()).toEqual(TOPOLOGY.nodes);
    expect(edgeList(graph.edges)).toEqual(TOPOLOGY.edges);
  });

  it("serves JSON schemas of input, output and state that describe the graph's fields", async () => {
    const schemas = await client.assistants.getSchemas(GRAPH);
    const properties = (schema: unknown) =>
      (schema as { properties: Record<string, { description?: string }> }).properties;
    expect(Object.keys(properties(schemas.input_schema)).sort()).toEqual([
      "fallbackPlan",
      "goal",
      "messages",
      "plan",
      "runId",
    ]);
    expect(properties(schemas.input_schema).goal?.description).toBe(
      "What the run should achieve. Without one, the last human message of `messages` is the goal.",
    );
    expect(Object.keys(properties(schemas.output_schema))).toEqual(
      expect.arrayContaining([
        "goal",
        "messages",
        "answer",
        "tasks",
        "results",
        "deadLetters",
        "droppedEdges",
        "notes",
      ]),
    );
    expect(Object.keys(properties(schemas.state_schema))).toEqual(
      expect.arrayContaining(["pendingReview", "dispatch", "orchestrationUsage"]),
    );
  });

  // The settings schema, input side, is the context schema (src/server/app.ts, langgraph.json `http.app`, fills it
  // in where a langgraph-api release drops it, as 2.0.0 did for StateSchema graphs), so Studio can render and edit it.
  it("serves the settings as a context schema Studio can render: descriptions and defaults, nothing required", async () => {
    const schemas = await client.assistants.getSchemas(GRAPH);
    const context = schemas.context_schema as {
      properties: Record<string, { description?: string; default?: unknown }>;
      required?: string[];
    };
    expect(schemas.graph_id).toBe(GRAPH);
    expect(context.required).toBeUndefined();
    expect(context.properties.reviewPlan).toMatchObject({ type: "boolean", default: false });
    expect(context.properties.strategy).toMatchObject({ enum: ["dependency", "top-down"], default: "dependency" });
    expect(Object.keys(context.properties)).toEqual(Object.keys(SettingsSchema.shape));
    for (const [key, property] of Object.entries(context.properties)) {
      expect(property.description, key).toBeTruthy();
      expect(property.default, key).toBeDefined();
    }
    expect(schemas.config_schema).toEqual(schemas.context_schema);
  });

  // As Studio's chat mode and Agent Chat UI send it: `{ messages, context }`, values streamed with subgraphs.
  it("chats like Studio and Agent Chat UI: answers a human message as an AI message, then a follow-up on the same thread", async () => {
    const threadId = await newThread();
    type Message = { type: string; content: unknown };
    const chat = async (content: string) => {
      const run = await collect(
        client.runs.stream(threadId, GRAPH, {
          input: { messages: [{ type: "human", content }] },
          context: { maxParallel: 4 },
          streamMode: ["values"],
          streamSubgraphs: true,
        }),
      );
      return ((run.lastValues?.messages ?? []) as Message[]).map((message) => [message.type, message.content]);
    };
    const answer = "FINAL ANSWER built from facts, figures, report";
    const planText = `Plan (3 tasks):\n${PLAN.map((task) => `- ${task.id} (${task.worker}): ${task.title} — done`).join("\n")}`;
    const before = model.chatRequests().length;

    expect(await chat("Brief me on the harbour")).toEqual([
      ["human", "Brief me on the harbour"],
      ["ai", planText],
      ["ai", answer],
    ]);
    expect(await chat("Now the airport")).toEqual([
      ["human", "Brief me on the harbour"],
      ["ai", planText],
      ["ai", answer],
      ["human", "Now the airport"],
      ["ai", planText],
      ["ai", answer],
    ]);

    const plannerPrompts = model
      .chatRequests()
      .slice(before)
      .map((body) => describeRequest(body))
      .filter((view) => view.structured === "plan")
      .map((view) => view.prompt);
    expect(plannerPrompts).toHaveLength(2);
    expect(plannerPrompts[0]).not.toContain("Conversation so far");
    expect(plannerPrompts[1]).toContain("user: Brief me on the harbour");
    expect(plannerPrompts[1]).toContain(`assistant: ${answer}`);
    expect(plannerPrompts[1]).toContain("Goal:\nNow the airport");
    const state = await client.threads.getState<{ goal: string }>(threadId);
    expect(state.values.goal).toBe("Now the airport");
  });

  it("streams a run to an SDK client: lifecycle events and state updates for every task, then the answer", async () => {
    const threadId = await newThread();
    const before = model.chatRequests().length;
    const run = await collect(
      client.runs.stream(threadId, GRAPH, {
        input: { goal: "Brief me on the harbour" },
        streamMode: STREAM_MODES,
        context: { maxParallel: 4 },
      }),
    );

    const plan = run.events.find((event) => event.type === "plan.created");
    expect(plan).toMatchObject({
      source: "planner",
      tasks: PLAN.map(({ id, title, worker, dependsOn }) => ({ id, title, worker, dependsOn })),
    });
    for (const task of PLAN) {
      expect(eventsOf(run, task.id)).toEqual(["task.queued", "task.started", "task.done"]);
      const done = run.events.find((event) => event.type === "task.done" && event.taskId === task.id);
      expect(done).toMatchObject({ worker: task.worker, attempts: 1 });
    }
    expect(run.events.map((event) => event.type)).toEqual(
      expect.arrayContaining(["synthesis.started", "synthesis.finished"]),
    );

    expect(run.results.map((result) => [result.taskId, result.worker, result.status, result.output]).sort()).toEqual([
      ["facts", "researcher", "done", "facts done by researcher"],
      ["figures", "analyst", "done", "figures done by analyst"],
      ["report", "writer", "done", "report done by writer"],
    ]);
    expect(run.results.findIndex((r) => r.taskId === "report")).toBe(2);
    // The eager pool (the default): each task's result streams in `updates` under `<worker>:<task id>` as it lands,
    // before the pool's own step (`worker`) ends.
    const updated = run.chunks
      .filter((chunk) => chunk.event === "updates")
      .flatMap((chunk) => Object.keys(chunk.data as object));
    for (const name of ["researcher:facts", "analyst:figures", "writer:report"]) {
      expect(updated.indexOf(name), name).toBeGreaterThanOrEqual(0);
      expect(updated.indexOf(name), name).toBeLessThan(updated.indexOf("worker"));
    }
    expect(run.lastValues?.answer).toBe("FINAL ANSWER built from facts, figures, report");

    const state = await client.threads.getState<{
      answer: string;
      tasks: Record<string, { status: string }>;
      deadLetters: unknown[];
    }>(threadId);
    expect(state.next).toEqual([]);
    expect(state.values.answer).toBe("FINAL ANSWER built from facts, figures, report");
    expect(Object.fromEntries(Object.entries(state.values.tasks).map(([id, task]) => [id, task.status]))).toEqual({
      facts: "done",
      figures: "done",
      report: "done",
    });
    expect(state.values.deadLetters).toEqual([]);

    // Under the server ChatOpenAI streams: every model call of the run went out as an SSE request.
    const calls = model.chatRequests().slice(before);
    expect(calls).toHaveLength(5);
    expect(calls.every((call) => call.stream === true)).toBe(true);
  });

  it("runs new input on a thread whose run finished as a new run, even with the same goal", async () => {
    const threadId = await newThread();
    const input = { input: { goal: "Brief me on the harbour twice" }, streamMode: STREAM_MODES };
    const first = await collect(client.runs.stream(threadId, GRAPH, input));
    const before = model.chatRequests().length;
    const second = await collect(client.runs.stream(threadId, GRAPH, input));

    const kinds = model
      .chatRequests()
      .slice(before)
      .map((body) => describeRequest(body))
      .map((view) =>
        view.structured === "plan" ? "plan" : (/Your task "([^"]+)"/.exec(view.prompt)?.[1] ?? "synthesis"),
      )
      .sort();
    expect(kinds).toEqual(["facts", "figures", "plan", "report", "synthesis"]);
    expect(second.events.filter((event) => event.type === "plan.created")).toHaveLength(1);
    expect(second.lastValues?.runId).toEqual(expect.any(String));
    expect(second.lastValues?.runId).not.toBe(first.lastValues?.runId);
  });

  it("pauses for plan review when the context asks for it and finishes after the client approves", async () => {
    const threadId = await newThread();
    const first = await collect(
      client.runs.stream(threadId, GRAPH, {
        input: { goal: "Plan the harbour tour" },
        streamMode: STREAM_MODES,
        context: { reviewPlan: true },
      }),
    );
    expect(first.interrupts).toHaveLength(1);
    expect(first.interrupts[0]!.value).toMatchObject({
      kind: "approve_plan",
      goal: "Plan the harbour tour",
      errors: [],
    });
    expect((first.interrupts[0]!.value as { tasks: { id: string }[] }).tasks.map((task) => task.id)).toEqual([
      "facts",
      "figures",
      "report",
    ]);
    expect(first.results).toEqual([]);
    const paused = await client.threads.getState(threadId);
    expect(paused.next).toEqual(["review"]);
    expect(paused.tasks[0]?.interrupts[0]?.value).toMatchObject({ kind: "approve_plan" });

    const resumed = await collect(
      client.runs.stream(threadId, GRAPH, {
        command: { resume: { action: "approve" } },
        streamMode: STREAM_MODES,
        context: { reviewPlan: true },
      }),
    );
    expect(resumed.interrupts).toEqual([]);
    expect(resumed.results.map((result) => result.taskId).sort()).toEqual(["facts", "figures", "report"]);
    const state = await client.threads.getState<{ answer: string }>(threadId);
    expect(state.next).toEqual([]);
    expect(state.values.answer).toBe("FINAL ANSWER built from facts, figures, report");
  });

  it("pauses for review in the human-in-the-loop shape Agent Chat UI renders, and takes its decisions on resume", async () => {
    const threadId = await newThread();
    const first = await collect(
      client.runs.stream(threadId, GRAPH, {
        input: { messages: [{ type: "human", content: "Review the tour" }] },
        streamMode: STREAM_MODES,
        context: { reviewPlan: true },
      }),
    );
    expect(first.interrupts).toHaveLength(1);
    const value = first.interrupts[0]!.value as {
      action_requests: { name: string; args: { tasks: { id: string }[] } }[];
      review_configs: unknown;
    };
    expect(value).toMatchObject({ kind: "approve_plan", goal: "Review the tour" });
    expect(value.action_requests.map((request) => [request.name, request.args.tasks.map((task) => task.id)])).toEqual([
      ["approve_plan", ["facts", "figures", "report"]],
    ]);
    expect(value.review_configs).toEqual([
      { action_name: "approve_plan", allowed_decisions: ["approve", "edit", "reject"] },
    ]);

    const edited_action = { name: "approve_plan", args: { tasks: [PLAN[0]] } };
    const resumed = await collect(
      client.runs.stream(threadId, GRAPH, {
        command: { resume: { decisions: [{ type: "edit", edited_action }] } },
        streamMode: STREAM_MODES,
        context: { reviewPlan: true },
      }),
    );
    expect(resumed.interrupts).toEqual([]);
    expect(resumed.results.map((result) => result.taskId)).toEqual(["facts"]);
    const state = await client.threads.getState<{ answer: string; planSource: string }>(threadId);
    expect(state.next).toEqual([]);
    expect(state.values.planSource).toBe("human");
    expect(state.values.answer).toBe("FINAL ANSWER built from facts");
  });

  it("takes settings from config.configurable too, and runs the plan as a reviewer edited it", async () => {
    const threadId = await newThread();
    const first = await collect(
      client.runs.stream(threadId, GRAPH, {
        input: { goal: "Edit me" },
        streamMode: STREAM_MODES,
        config: { configurable: { reviewPlan: true } },
      }),
    );
    expect(first.interrupts).toHaveLength(1);
    const edited = { tasks: [{ id: "summary", title: "Summarise", worker: "writer" }] };
    const resumed = await collect(
      client.runs.stream(threadId, GRAPH, {
        command: { resume: { action: "edit", plan: edited } },
        streamMode: STREAM_MODES,
      }),
    );
    expect(resumed.events.find((event) => event.type === "plan.created")).toMatchObject({
      source: "human",
      tasks: [{ id: "summary", worker: "writer" }],
    });
    expect(resumed.results.map((result) => [result.taskId, result.output])).toEqual([
      ["summary", "summary done by writer"],
    ]);
    const state = await client.threads.getState<{ answer: string; planSource: string }>(threadId);
    expect(state.values).toMatchObject({ planSource: "human", answer: "FINAL ANSWER built from summary" });
  });

  it("pauses for review under an assistant whose context asks for it, and skips every task when the reviewer rejects", async () => {
    const assistant = await client.assistants.create({
      graphId: GRAPH,
      name: "reviewed orchestrator",
      context: { reviewPlan: true },
    });
    assistants.push(assistant.assistant_id);
    const threadId = await newThread();
    const first = await collect(
      client.runs.stream(threadId, assistant.assistant_id, { input: { goal: "Reject me" }, streamMode: STREAM_MODES }),
    );
    expect(first.interrupts.map((interrupt) => (interrupt.value as { kind: string }).kind)).toEqual(["approve_plan"]);
    const resumed = await collect(
      client.runs.stream(threadId, assistant.assistant_id, {
        command: { resume: { action: "reject", reason: "too vague" } },
        streamMode: STREAM_MODES,
      }),
    );
    expect(resumed.results).toEqual([]);
    const state = await client.threads.getState<{
      tasks: Record<string, { status: string; reason?: string }>;
      notes: string[];
    }>(threadId);
    expect(state.next).toEqual([]);
    expect(Object.values(state.values.tasks).map((task) => [task.status, task.reason])).toEqual([
      ["skipped", "plan rejected by the reviewer: too vague"],
      ["skipped", "plan rejected by the reviewer: too vague"],
      ["skipped", "plan rejected by the reviewer: too vague"],
    ]);
  });

  it("runs the example client: live per-task output, plan approval when asked, the answer", async () => {
    let out = "";
    const questions: string[] = [];
    const io: ClientIO = {
      stdout: (text) => void (out += text),
      stderr: (text) => void (out += text),
      env: {},
      ask: async (question) => (questions.push(question), "y"),
    };
    const code = await main(["Brief me on the harbour", "--url", server.url, "--review"], io);
    expect(code, out).toBe(0);
    expect(questions).toEqual(["Approve this plan? [Y/n] "]);
    expect(out).toContain("The plan waits for your review:\n  - facts [researcher] Collect the facts\n");
    expect(out).toMatch(/done {6}facts \[researcher\]/);
    expect(out).toContain("  ── report [writer] done\n     report done by writer\n");
    expect(out).toContain("\nFINAL ANSWER built from facts, figures, report\n\n— 3/3 tasks done, 0 dead-lettered");
    threads.push(/thread (\S+) on/.exec(out)![1]!);
  });

  it("has the example client exit 6 when its user rejects the plan at review", async () => {
    let out = "";
    const io: ClientIO = {
      stdout: (text) => void (out += text),
      stderr: (text) => void (out += text),
      env: {},
      ask: async (question) => (question.startsWith("Approve") ? "n" : "too vague"),
    };
    const code = await main(["Brief me on the harbour", "--url", server.url, "--review"], io);
    threads.push(/thread (\S+) on/.exec(out)![1]!);
    expect(code, out).toBe(EXIT.rejected);
    expect(EXIT.rejected).toBe(6);
    expect(out).toContain("— 0/3 tasks done, 0 dead-lettered");
  });

  it("has the example client report a partial run: exit 4 and the tasks without a result on stderr", async () => {
    const out = { stdout: "", stderr: "" };
    const io: ClientIO = {
      stdout: (text) => void (out.stdout += text),
      stderr: (text) => void (out.stderr += text),
      env: {},
    };
    const code = await main(["Brief me on the harbour without figures", "--url", server.url], io);
    threads.push(/thread (\S+) on/.exec(out.stdout)![1]!);
    expect(code, `${out.stdout}\n${out.stderr}`).toBe(EXIT.partial);
    expect(EXIT.partial).toBe(4);
    expect(out.stdout).toContain("— 1/3 tasks done, 1 dead-lettered");
    expect(out.stderr.split("\n")).toEqual([
      "",
      "Partial result: 2 of 3 tasks have no result.",
      "  figures  dead     client: 400 the figures are refused",
      '  report   skipped  dependency "figures" was dead-lettered',
      "",
    ]);
  });
});
