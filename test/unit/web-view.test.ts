import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import type { Client } from "@langchain/langgraph-sdk";
import { describe, expect, it, vi } from "vitest";
import { parseCli } from "../../src/cli/args.js";
import { ViewFeed } from "../../src/web/feed.js";
import { DAGRE_MAX_TASKS, edgesOf, layout, NODE } from "../../src/web/layout.js";
import { escapeHtml, threadListPage } from "../../src/web/page.js";
import { handleUi, streamed, type ViewSource } from "../../src/web/routes.js";
import { app } from "../../src/server/app.js";
import { serverViewSource } from "../../src/server/ui.js";
import { applyEvent, overlay, viewFromState, viewStateOf, type LiveTask } from "../../src/web/run-view.js";
import { ZERO_USAGE } from "../../src/budget/usage.js";
import { as, failed, records, result, table } from "../helpers/boards.js";
import { task } from "../helpers/fixtures.js";

const ts = "2026-01-01T00:00:00.000Z";
const [a, b, c] = records(task("a"), task("b", ["a"]), task("c", ["b"]));

describe("the view of a checkpoint", () => {
  it("lists tasks in plan order with outputs, attempts, errors, dead letters and who proposed a follow-up", () => {
    const extra = { ...as(a, { id: "extra", origin: "follow-up", order: 3 }), dependsOn: [] };
    const letter = {
      taskId: "b",
      task: b!,
      error: { kind: "worker" as const, message: "down", retryable: true },
      attempts: failed("b").attempts,
      at: ts,
    };
    const view = viewFromState("t1", {
      goal: "g",
      tasks: table(
        as(c, { status: "skipped", reason: 'dependency "b" was dead-lettered' }),
        as(b, { status: "dead", attempts: 2 }),
        as(a, { status: "done", attempts: 1 }),
        extra,
      ),
      results: { a: result("a", { followUps: [task("extra")] }), b: failed("b", "down") },
      deadLetters: [letter],
      answer: "the answer",
    });
    expect(view.tasks.map((t) => [t.id, t.status, t.from])).toEqual([
      ["a", "done", undefined],
      ["b", "dead", undefined],
      ["c", "skipped", undefined],
      ["extra", "pending", "a"],
    ]);
    expect(view.tasks[0]).toMatchObject({
      output: "a out",
      attempts: 1,
      attemptLog: [{ attempt: 1, ok: true, durationMs: 1 }],
    });
    expect(view.tasks[1]).toMatchObject({
      error: "worker: down",
      attemptLog: [
        { attempt: 1, ok: false },
        { attempt: 2, ok: false },
      ],
    });
    expect(view.deadLetters).toEqual([{ taskId: "b", worker: "echo", error: "worker: down", attempts: 2 }]);
    expect(view.answer).toBe("the answer");
  });

  it("shows an attempt's model and temperature only when the attempt called a model", () => {
    const params = { model: "gpt-4o-mini", temperature: 0.7, note: "changed temperature" };
    const attempt = { attempt: 1, params, ok: true, durationMs: 1 };
    const view = viewFromState("t1", {
      goal: "g",
      tasks: table(as(a, { status: "done" }), as(b, { status: "done" })),
      results: {
        a: result("a", { attempts: [{ ...attempt, usage: { ...ZERO_USAGE, modelCalls: 1 } }] }),
        b: result("b", { attempts: [{ ...attempt, usage: ZERO_USAGE }] }),
      },
    });
    expect(view.tasks.map((t) => t.attemptLog?.[0]?.params)).toEqual([
      "gpt-4o-mini t=0.7 changed temperature",
      undefined,
    ]);
  });

  it("says what a worker's interrupt asks, from the interrupts of a getState snapshot", () => {
    const snapshot = {
      values: { goal: "g", tasks: table(as(a, { status: "running" })) },
      tasks: [{ interrupts: [{ value: { question: "Which city?" } }] }],
    };
    expect(viewFromState("t1", viewStateOf(snapshot)).question).toBe(
      'A worker waits for an answer: {"question":"Which city?"}',
    );
    expect(
      viewFromState("t1", viewStateOf({ values: { goal: "g" }, tasks: [{ interrupts: [] }] })).question,
    ).toBeUndefined();
  });

  it("says when a plan review waits for a human", () => {
    expect(viewFromState("t1", { pendingReview: { kind: "approve_plan", tasks: [{}, {}] } }).review).toBe(
      "Waiting for a plan review: 2 proposed task(s) to approve, edit or reject.",
    );
    expect(viewFromState("t1", { pendingReview: { kind: "manual_breakdown", tasks: [] } }).review).toBe(
      "Planning failed: waiting for a human to write the plan.",
    );
    expect(viewFromState("t1", { pendingReview: null })).not.toHaveProperty("review");
  });

  it("cuts long outputs and says how much is left out", () => {
    const view = viewFromState("t1", {
      tasks: table(as(a, { status: "done" })),
      results: { a: result("a", { output: "x".repeat(5_000) }) },
    });
    expect(view.tasks[0]!.output).toMatch(/^x{4000}\n… \(1000 more characters\)$/);
  });
});

describe("the live overlay", () => {
  const base = viewFromState("t1", { tasks: table(as(a, { status: "running" }), as(b, { status: "running" }), c!) });
  const events = (...list: Parameters<typeof applyEvent>[1][]) => {
    const live = new Map<string, LiveTask>();
    for (const event of list) applyEvent(live, event);
    return live;
  };

  it("shows a started task as running, a failed attempt as failed, and a done task with its attempts and time", () => {
    const live = events(
      { type: "task.started", ts, taskId: "a", worker: "echo", attempt: 1 },
      {
        type: "task.failed",
        ts,
        taskId: "a",
        worker: "echo",
        attempt: 1,
        error: { kind: "timeout", message: "slow", retryable: true },
      },
    );
    expect(overlay(base, live, "running").tasks.map((t) => [t.id, t.status])).toEqual([
      ["a", "failed"],
      ["b", "pending"],
      ["c", "pending"],
    ]);
    applyEvent(live, {
      type: "task.done",
      ts,
      taskId: "a",
      worker: "echo",
      attempts: 2,
      durationMs: 12.4,
      usage: ZERO_USAGE,
    });
    expect(overlay(base, live, "running").tasks[0]).toMatchObject({
      status: "done",
      attempts: 2,
      durationMs: 12,
      error: undefined,
    });
  });

  it("never lets a live status hide a checkpoint that is further along", () => {
    const done = viewFromState("t1", { tasks: table(as(a, { status: "done" })) });
    const live = events({ type: "task.started", ts, taskId: "a", worker: "echo", attempt: 1 });
    expect(overlay(done, live, "running").tasks[0]!.status).toBe("done");
  });

  it("adds accepted follow-ups and dead letters the checkpoint has not caught up with", () => {
    const live = events(
      { type: "task.follow_up", ts, taskId: "extra", worker: "echo", from: "a", accepted: true },
      { type: "task.follow_up", ts, taskId: "refused", worker: "echo", from: "a", accepted: false, reason: "no" },
      {
        type: "task.dead",
        ts,
        taskId: "c",
        worker: "echo",
        attempts: 3,
        error: { kind: "worker", message: "down", retryable: true },
      },
    );
    const view = overlay(base, live, "running");
    expect(view.tasks.map((t) => t.id)).toEqual(["a", "b", "c", "extra"]);
    expect(view.tasks[3]).toMatchObject({ origin: "follow-up", from: "a", status: "pending" });
    expect(view.deadLetters).toEqual([{ taskId: "c", worker: "echo", error: "worker: down", attempts: 3 }]);
  });
});

describe("the layout", () => {
  it("draws dependency, follow-up and dropped cycle edges, and places each task right of what it needs", () => {
    const view = viewFromState("t1", {
      tasks: table(
        a!,
        b!,
        { ...c!, dependsOn: ["b"] },
        { ...as(a, { id: "extra", origin: "follow-up", order: 3 }), dependsOn: [] },
      ),
      results: { a: result("a", { followUps: [task("extra")] }) },
      droppedEdges: [{ task: "a", dependsOn: "c", cycle: ["a", "c", "b", "a"] }],
    });
    expect(edgesOf(view)).toEqual([
      { from: "a", to: "b", kind: "dependency" },
      { from: "b", to: "c", kind: "dependency" },
      { from: "a", to: "extra", kind: "follow-up" },
      { from: "c", to: "a", kind: "dropped" },
    ]);
    const laid = layout(view);
    const x = Object.fromEntries(laid.tasks.map((t) => [t.id, t.x]));
    expect(x.a! + NODE.width).toBeLessThan(x.b!);
    expect(x.b! + NODE.width).toBeLessThan(x.c!);
    expect(laid.edges.every((edge) => edge.points.length >= 2)).toBe(true);
    expect(laid.width).toBeGreaterThan(3 * NODE.width);
  });

  it("lays a plan larger than dagre's share out in columns by dependency level, plan order within a column", () => {
    const specs = Array.from({ length: DAGRE_MAX_TASKS + 1 }, (_, i) =>
      task(`t${i}`, i === 0 ? [] : [`t${Math.floor((i - 1) / 2)}`]),
    );
    const laid = layout(viewFromState("t1", { tasks: table(...records(...specs)) }));
    const column = (id: string) => laid.tasks.find((t) => t.id === id)!.x;
    expect([column("t0"), column("t1"), column("t2"), column("t3"), column("t7")]).toEqual([
      16,
      16 + 232,
      16 + 232,
      16 + 464,
      16 + 696,
    ]);
    const inSecond = laid.tasks.filter((t) => t.x === column("t1")).map((t) => [t.id, t.y]);
    expect(inSecond).toEqual([
      ["t1", 16],
      ["t2", 16 + NODE.height + 18],
    ]);
    expect(laid.edges.find((edge) => edge.to === "t3")!.points).toEqual([
      { x: column("t1") + NODE.width, y: 16 + NODE.height / 2 },
      { x: column("t3"), y: 16 + NODE.height / 2 },
    ]);
  });

  it("keeps positions when only statuses change, and lays out again when a task is added", () => {
    const feed = new ViewFeed("t1", "g");
    feed.load({ tasks: table(a!, b!) }, true);
    const first = feed.view();
    feed.event({ type: "task.started", ts, taskId: "a", worker: "echo", attempt: 1 });
    expect(feed.view().tasks.map((t) => [t.id, t.status, t.x, t.y])).toEqual(
      first.tasks.map((t) => [t.id, t.id === "a" ? "running" : "pending", t.x, t.y]),
    );
    feed.event({ type: "task.follow_up", ts, taskId: "extra", worker: "echo", from: "a", accepted: true });
    expect(feed.view().edges.map((edge) => `${edge.from}>${edge.to}`)).toEqual(["a>b", "a>extra"]);
  });
});

describe("the event stream's picture", () => {
  it("carries the sizes of outputs and attempt logs instead of the texts, which the page fetches per task", () => {
    const feed = new ViewFeed("t1", "g");
    feed.load(
      { tasks: table(as(a, { status: "done" })), results: { a: result("a", { output: "x".repeat(300) }) } },
      true,
    );
    const [task] = streamed(feed.view()).tasks;
    expect(task).toMatchObject({ id: "a", outputChars: 300, attemptRecords: 1 });
    expect(task).not.toHaveProperty("output");
    expect(task).not.toHaveProperty("attemptLog");
  });
});

describe("the pages", () => {
  it("escape what they show of goals and ids", () => {
    expect(escapeHtml(`<b>"x" & 'y'</b>`)).toBe("&lt;b&gt;&quot;x&quot; &amp; &#39;y&#39;&lt;/b&gt;");
    expect(threadListPage([{ threadId: "t/1", goal: "<script>", status: "idle" }])).toContain(
      'href="/ui/threads/t%2F1">&lt;script&gt;</a>',
    );
  });
});

describe("--ui and --ui-port", () => {
  it("serve the web view on any free port, or the given one, and name a bad port", () => {
    expect(parseCli(["g"]).uiPort).toBeUndefined();
    expect(parseCli(["g", "--ui"]).uiPort).toBe(0);
    expect(parseCli(["g", "--ui-port", "8123"]).uiPort).toBe(8123);
    expect(() => parseCli(["g", "--ui-port", "http"])).toThrow(
      'Invalid value for --ui-port: "http" (expected a port number, 0-65535)',
    );
    expect(() => parseCli(["g", "--ui-port", "70000"])).toThrow(/--ui-port: "70000"/);
  });
});

describe("a page that leaves while its feed is opening", () => {
  it("lets the server's watcher of the thread stop instead of polling it forever", async () => {
    let opened!: (state: { values: object }) => void;
    const watched: AbortSignal[] = [];
    const client = {
      threads: {
        getState: () => new Promise((resolve) => (opened = resolve)),
        get: (_threadId: string, options: { signal: AbortSignal }) => {
          watched.push(options.signal);
          return new Promise(() => {});
        },
      },
    } as unknown as Client;
    const page = new AbortController();
    const following = serverViewSource(client).follow("t1", page.signal);
    page.abort();
    opened({ values: { goal: "g" } });
    expect(await following).toBeInstanceOf(ViewFeed);
    expect(watched.map((signal) => signal.aborted)).toEqual([true]);
  });

  it("gets an event stream that is closed at once, with no heartbeat left running", async () => {
    vi.useFakeTimers();
    try {
      const request = new AbortController();
      const source: ViewSource = {
        threads: async () => [],
        has: async () => true,
        follow: async () => {
          request.abort();
          return new ViewFeed("t1", "g");
        },
        redrive: async () => {},
      };
      const response = await handleUi(
        new Request("http://127.0.0.1/ui/threads/t1/events", { signal: request.signal }),
        source,
      );
      expect(vi.getTimerCount()).toBe(0);
      expect(await response!.text()).toBe("");
    } finally {
      vi.useRealTimers();
    }
  });
});

describe("the web view on a LangGraph server (http.app)", () => {
  it("reads threads from the server's own API at PORT on loopback, and refuses a request naming a foreign Host", async () => {
    const seen: string[] = [];
    const api = createServer((request, response) => {
      seen.push(`${request.method} ${request.headers.host} ${request.url}`);
      response.setHeader("content-type", "application/json");
      response.end(
        JSON.stringify([
          { thread_id: "t-own", values: { goal: "own goal" }, status: "idle", updated_at: "2026-01-01T00:00:00Z" },
        ]),
      );
    });
    await new Promise<void>((listening) => api.listen(0, "127.0.0.1", listening));
    const { port } = api.address() as AddressInfo;
    vi.stubEnv("PORT", String(port));
    try {
      const forged = { host: `attacker.invalid:${port}` };
      const refused = await app.fetch(new Request(`http://attacker.invalid:${port}/ui`, { headers: forged }));
      expect(refused.status).toBe(403);
      const own = { host: `127.0.0.1:${port}` };
      const response = await app.fetch(new Request(`http://127.0.0.1:${port}/ui`, { headers: own }));
      expect(response.status).toBe(200);
      expect(await response.text()).toContain("own goal");
      expect(seen).toEqual([`POST localhost:${port} /threads/search`]);
    } finally {
      vi.unstubAllEnvs();
      api.close();
    }
  });
});
