import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { awaitAllCallbacks } from "@langchain/core/callbacks/promises";
import { LangChainTracer } from "@langchain/core/tracers/tracer_langchain";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { compileOrchestrator } from "../../graphs/orchestrator.js";
import { agentWorker, functionWorker, WorkerRegistry } from "../../src/workers/registry.js";
import { scriptedProvider } from "../helpers/scripted-model.js";

/** A run as LangSmith receives it (creates and updates alike). */
interface PostedRun {
  op: "post" | "patch";
  id: string;
  name?: string;
  run_type?: string;
  tags?: string[];
  extra?: { metadata?: Record<string, unknown> };
}

/** A loopback LangSmith API: answers `/info`, records every request and the runs in `/runs`, `/runs/batch`, `/runs/multipart`. */
interface LangSmithRecorder {
  url: string;
  requests: { method: string; path: string }[];
  runs: PostedRun[];
  close(): Promise<void>;
}

async function startRecorder(): Promise<LangSmithRecorder> {
  const requests: LangSmithRecorder["requests"] = [];
  const runs: PostedRun[] = [];
  const server: Server = createServer((req, res) => {
    void (async () => {
      const body = await read(req);
      const path = (req.url ?? "/").split("?")[0]!;
      requests.push({ method: req.method ?? "GET", path });
      if (req.method === "GET" && path === "/info") return json(res, 200, { version: "0.0.0-loopback" });
      if (req.method === "POST" && path === "/runs") runs.push({ op: "post", ...JSON.parse(body.toString("utf8")) });
      else if (req.method === "PATCH" && path.startsWith("/runs/"))
        runs.push({ op: "patch", id: path.slice(6), ...JSON.parse(body.toString("utf8")) });
      else if (req.method === "POST" && path === "/runs/batch") {
        const batch = JSON.parse(body.toString("utf8")) as { post?: PostedRun[]; patch?: PostedRun[] };
        runs.push(
          ...(batch.post ?? []).map((run) => ({ ...run, op: "post" as const })),
          ...(batch.patch ?? []).map((run) => ({ ...run, op: "patch" as const })),
        );
      } else if (req.method === "POST" && path === "/runs/multipart") {
        runs.push(...(await multipartRuns(body, req.headers["content-type"] ?? "")));
      }
      json(res, 202, {});
    })().catch((error: unknown) => json(res, 500, { error: String(error) }));
  });
  await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    runs,
    close: () => new Promise((done) => (server.closeAllConnections(), server.close(() => done()))),
  };
}

function read(req: IncomingMessage): Promise<Buffer> {
  return new Promise((done, fail) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => done(Buffer.concat(chunks)));
    req.on("error", fail);
  });
}

function json(res: ServerResponse, status: number, data: unknown): void {
  res.writeHead(status, { "content-type": "application/json" });
  res.end(JSON.stringify(data));
}

/**
 * The runs in a multipart ingest body: a part `post.<id>` / `patch.<id>` holds the run, and parts
 * `post.<id>.<field>` hold its large fields (inputs, outputs, extra with the metadata, …).
 */
async function multipartRuns(body: Buffer, contentType: string): Promise<PostedRun[]> {
  const form = await new Response(body, { headers: { "content-type": contentType } }).formData();
  const runs = new Map<string, PostedRun>();
  for (const [name, value] of form.entries()) {
    const match = /^(post|patch)\.([^.]+)(?:\.(\w+))?$/.exec(name);
    if (!match) continue;
    const [, op, id, field] = match as unknown as [string, "post" | "patch", string, string | undefined];
    const parsed = JSON.parse(typeof value === "string" ? value : await value.text()) as object;
    const run = runs.get(`${op}.${id}`) ?? { op, id };
    runs.set(`${op}.${id}`, field ? { ...run, [field]: parsed } : { ...run, ...parsed });
  }
  return [...runs.values()];
}

const PLAN = {
  tasks: [
    { id: "count", title: "Count the boats", worker: "tally" },
    { id: "write", title: "Write it up", worker: "scribe", dependsOn: ["count"] },
  ],
};

/** A graph with one function worker and one agent worker on scripted models: no network but the tracer's. */
function tracedGraph() {
  const registry = new WorkerRegistry([
    functionWorker({ name: "tally", description: "Counts things.", run: async () => "42 boats" }),
    agentWorker({ name: "scribe", description: "Writes things up.", systemPrompt: "You write things up." }),
  ]);
  return compileOrchestrator({
    registry,
    models: scriptedProvider({ worker: () => "There are 42 boats.", synthesizer: () => "42 boats, written up." }),
  });
}

const TRACING_ENV = [
  "LANGSMITH_TRACING",
  "LANGSMITH_ENDPOINT",
  "LANGSMITH_API_KEY",
  "LANGCHAIN_TRACING_V2",
  "LANGCHAIN_ENDPOINT",
  "LANGCHAIN_API_KEY",
];

/** Waits for the callbacks of finished runs and for the LangSmith client to send every queued batch. */
async function flushTraces(): Promise<void> {
  await awaitAllCallbacks();
  // The tracer's client is langsmith's process-wide default client (created on first use, from the environment).
  const { client } = new LangChainTracer() as unknown as { client: { awaitPendingTraceBatches(): Promise<void> } };
  await client.awaitPendingTraceBatches();
}

describe("LangSmith tracing", () => {
  let recorder: LangSmithRecorder;
  const saved = Object.fromEntries(TRACING_ENV.map((key) => [key, process.env[key]]));

  beforeAll(async () => {
    recorder = await startRecorder();
    // The endpoint and key are read when langsmith's client is first created; tracing on/off on every run.
    process.env.LANGSMITH_ENDPOINT = recorder.url;
    process.env.LANGSMITH_API_KEY = "test";
    process.env.LANGCHAIN_TRACING_V2 = "false";
  });

  afterAll(async () => {
    for (const [key, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
    await recorder?.close();
  });

  it("sends nothing when tracing is off", async () => {
    process.env.LANGSMITH_TRACING = "false";
    const state = await tracedGraph().invoke({ goal: "How many boats?", plan: PLAN });
    expect(state.answer).toBe("42 boats, written up.");
    // Everything a tracer would have queued is sent by now: a leak would show as requests.
    await flushTraces();
    expect(recorder.requests).toEqual([]);
  });

  it("posts a run per worker task, named <worker>:<taskId>, with the task's metadata and tags", async () => {
    process.env.LANGSMITH_TRACING = "true";
    try {
      const state = await tracedGraph().invoke({ goal: "How many boats?", plan: PLAN });
      expect(state.answer).toBe("42 boats, written up.");
      await flushTraces();
    } finally {
      process.env.LANGSMITH_TRACING = "false";
    }
    expect(recorder.requests.some((request) => request.method === "POST" && request.path.startsWith("/runs"))).toBe(
      true,
    );
    const created = recorder.runs.filter((run) => run.op === "post");
    const byName = (name: string) => created.filter((run) => run.name === name);

    // In the eager pool each task is a durable LangGraph task named <worker>:<taskId> (Studio's timeline), and the
    // traced run inside it has the same name and carries the task's tags and metadata.
    const count = byName("tally:count");
    expect(count.map((run) => run.run_type)).toEqual(["chain", "chain"]);
    const tagged = count.filter((run) => run.tags?.includes("task:count"));
    expect(tagged).toHaveLength(1);
    expect(tagged[0]).toMatchObject({
      tags: expect.arrayContaining(["worker:tally", "task:count"]),
      extra: { metadata: expect.objectContaining({ taskId: "count", worker: "tally", dispatch: 1, dependsOn: [] }) },
    });
    // The agent worker's task run and its agent's run carry the task's name; they and the model call inside carry the task.
    const write = byName("scribe:write").filter((run) => run.tags?.includes("task:write"));
    expect(write.map((run) => run.run_type)).toEqual(["chain", "chain"]);
    const llm = created.filter((run) => run.run_type === "llm" && run.tags?.includes("task:write"));
    expect(llm).toHaveLength(1);
    for (const run of [...write, ...llm]) {
      expect(run.tags).toEqual(expect.arrayContaining(["worker:scribe", "task:write"]));
      expect(run.extra?.metadata).toMatchObject({ taskId: "write", worker: "scribe" });
    }
    expect(write[0]?.extra?.metadata).toMatchObject({ dependsOn: ["count"], dispatch: 1 });
    // The graph's own run is there too, under the graph's name.
    expect(created.map((run) => run.name)).toEqual(expect.arrayContaining(["orchestrator", "worker", "synthesizer"]));
  });
});
