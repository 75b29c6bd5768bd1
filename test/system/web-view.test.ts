import { AIMessage } from "@langchain/core/messages";
import { interrupt, MemorySaver, MessagesAnnotation, START, StateGraph } from "@langchain/langgraph";
import { Client } from "@langchain/langgraph-sdk";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { main } from "../../src/cli/main.js";
import { signalledCli } from "../helpers/cli-io.js";
import { startWebView, type WebView } from "../../src/cli/web-view.js";
import { createOrchestrator, functionWorker, graphWorker, type Orchestrator } from "../../src/index.js";
import { viewStateOf } from "../../src/web/run-view.js";
import { launchBrowser, screenshot, statuses, taskStatus, type Browser } from "../helpers/browser.js";
import { spawnCli } from "../helpers/cli-process.js";
import { startDevServer, type DevServer } from "../helpers/dev-server.js";
import { task } from "../helpers/fixtures.js";
import {
  describeRequest,
  startOpenAIServer,
  type OpenAIServer,
  type Reply,
  type RequestView,
} from "../helpers/openai-server.js";
import { httpError, scriptedProvider } from "../helpers/scripted-model.js";
import { rawGet } from "../helpers/raw-http.js";
import { deferred, waitFor, within, type Deferred } from "../helpers/wait.js";

describe("the web view in Chromium, served the way the CLI serves it", () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
  });

  /** Workers the test steers: `gated` tasks wait for their gate; `flaky` fails until `fixed`. */
  function steeredOrchestrator(
    scheduling: "waves" | "continuous",
  ): Promise<{ orchestrator: Orchestrator; gates: Map<string, Deferred>; fix: () => void }> {
    const gates = new Map<string, Deferred>();
    let fixed = false;
    const gated = functionWorker({
      name: "gated",
      description: "Waits for the test to open its task's gate.",
      run: async (input) => {
        await gates.get(input.task.id)?.promise;
        return { output: `${input.task.id}: done after its gate opened` };
      },
    });
    const flaky = functionWorker({
      name: "flaky",
      description: "Fails until the test fixes it.",
      run: async () => {
        if (!fixed) throw new Error("the upstream service is down");
        return { output: "worked on the re-drive" };
      },
    });
    return createOrchestrator({
      checkpointer: new MemorySaver(),
      workers: [gated, flaky],
      models: scriptedProvider({}, { configured: false }),
      settings: { maxRetries: 1, scheduling },
    }).then((orchestrator) => ({ orchestrator, gates, fix: () => (fixed = true) }));
  }

  it.each(["waves", "continuous"] as const)(
    "shows every task, changes statuses live, lists a dead letter and re-drives it back to done (%s scheduling)",
    async (scheduling) => {
      const { orchestrator, gates, fix } = await steeredOrchestrator(scheduling);
      const threadId = `web-view-${scheduling}`;
      for (const id of ["collect", "report"]) gates.set(id, deferred());
      const plan = {
        tasks: [
          task("collect", [], { worker: "gated" }),
          task("lookup", [], { worker: "flaky" }),
          task("report", ["collect"], { worker: "gated" }),
          task("summary", ["report", "lookup"], { worker: "gated" }),
        ],
      };
      const web: WebView = await startWebView({
        threadId,
        goal: "Write the weekly report",
        state: () => orchestrator.state(threadId),
        redrive: (taskIds) => orchestrator.redrive(threadId, taskIds, { onEvent: (event) => web.onEvent(event) }),
      });
      try {
        const page = await browser.page();
        await page.goto(web.url);
        await page.waitForSelector("[data-phase]");
        const run = orchestrator.run("Write the weekly report", {
          threadId,
          plan,
          onEvent: (event) => web.onEvent(event),
        });

        await taskStatus(page, "collect", "running");
        expect(Object.keys(await statuses(page)).sort()).toEqual(["collect", "lookup", "report", "summary"]);
        expect((await statuses(page)).report).toBe("pending");
        // Its last attempt failed; the orchestrator dead-letters it when the worker step ends (waves: "collect", then
        // "report" chained after it in the same worker; continuous: the pool drains).
        await taskStatus(page, "lookup", "failed");

        gates.get("collect")!.resolve();
        await taskStatus(page, "collect", "done");
        await taskStatus(page, "report", "running");
        gates.get("report")!.resolve();
        await taskStatus(page, "report", "done");
        await taskStatus(page, "lookup", "dead");
        await page.waitForSelector('[data-dead-letter="lookup"]');
        expect(await page.textContent('[data-dead-letter="lookup"]')).toContain("worker: the upstream service is down");
        await taskStatus(page, "summary", "skipped");

        const summary = await run;
        await web.settle();
        expect(summary.status).toBe("partial");
        await page.waitForSelector('[data-phase="idle"]');
        expect(await page.textContent("[data-phase]")).toBe("partial");
        await page.click('[data-task-id="lookup"]');
        await page.waitForSelector('[data-panel-task="lookup"] .attempts');
        expect(await page.textContent('[data-panel-task="lookup"]')).toMatch(/#1 failed[\s\S]*#2 failed/);
        await screenshot(page, `web-view-dead-letter-${scheduling}`);

        fix();
        await page.click('[data-dead-letter="lookup"] button.redrive');
        await taskStatus(page, "lookup", "done");
        await taskStatus(page, "summary", "done");
        await page.waitForSelector("[data-dead-letter]", { state: "detached" });
        await page.waitForSelector("[data-answer]");
        expect(await statuses(page)).toEqual({ collect: "done", lookup: "done", report: "done", summary: "done" });
        await page.waitForSelector('[data-phase="idle"]');
        expect(await page.textContent("[data-phase]")).toBe("finished");
        expect((await orchestrator.state(threadId)).deadLetters).toEqual([]);
        await screenshot(page, `web-view-redriven-${scheduling}`);
        await page.close();
        expect(browser.errors).toEqual([]);
      } finally {
        await web.close();
        await orchestrator.close();
      }
    },
  );
});

describe("the web view of a run a worker interrupts, in Chromium", () => {
  it("shows what the worker asks while the run waits, and the task done once it is answered", {
    timeout: 60_000,
  }, async () => {
    const asker = new StateGraph(MessagesAnnotation)
      .addNode("ask", () => ({ messages: [new AIMessage(`It is ${String(interrupt({ question: "Which city?" }))}.`)] }))
      .addEdge(START, "ask")
      .compile();
    const orchestrator = await createOrchestrator({
      checkpointer: new MemorySaver(),
      workers: [graphWorker({ name: "asker", description: "Asks a human which city.", graph: asker })],
      models: scriptedProvider({}, { configured: false }),
    });
    const threadId = "web-view-interrupt";
    const web = await startWebView({
      threadId,
      goal: "Pick the city",
      state: async () => viewStateOf(await orchestrator.graph.getState({ configurable: { thread_id: threadId } })),
      redrive: async () => undefined,
    });
    const browser = await launchBrowser();
    try {
      const page = await browser.page();
      await page.goto(web.url);
      const paused = await orchestrator.run("Pick the city", {
        threadId,
        plan: { tasks: [task("city", [], { worker: "asker" })] },
        onEvent: (event) => web.onEvent(event),
      });
      expect(paused.status).toBe("interrupted");
      await web.settle();
      await page.waitForSelector("[data-question]");
      expect(await page.textContent("[data-question]")).toBe(
        'A worker waits for an answer: {"question":"Which city?"}',
      );

      const done = await orchestrator.resume(threadId, "Oslo", { onEvent: (event) => web.onEvent(event) });
      expect(done.tasks.map((t) => [t.id, t.status, t.output])).toEqual([["city", "done", "It is Oslo."]]);
      await web.settle();
      await taskStatus(page, "city", "done");
      await page.waitForSelector("[data-question]", { state: "detached" });
      expect(browser.errors).toEqual([]);
    } finally {
      await browser.close();
      await web.close();
      await orchestrator.close();
    }
  });
});

describe("the CLI's web view server", () => {
  it("answers re-drives sent as JSON only, and unknown threads with 404", async () => {
    const redrives: string[][] = [];
    const web = await startWebView({
      threadId: "t",
      goal: "g",
      state: async () => ({}),
      redrive: async (ids) => redrives.push(ids),
    });
    const base = web.url.replace(/\/ui\/threads\/t$/, "");
    try {
      const form = await fetch(`${web.url}/redrive`, {
        method: "POST",
        headers: { "content-type": "text/plain" },
        body: '{"taskIds":[]}',
      });
      expect([form.status, await form.json()]).toEqual([415, { error: "Send the re-drive as application/json." }]);
      const busy = await fetch(`${web.url}/redrive`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: '{"taskIds":[]}',
      });
      expect([busy.status, await busy.json()]).toEqual([
        409,
        { error: 'A run is in progress on thread "t"; re-drive once it has stopped.' },
      ]);
      const bad = await fetch(`${web.url}/redrive`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: '{"taskIds":"all"}',
      });
      expect(bad.status).toBe(400);
      expect((await fetch(`${base}/ui/threads/other`)).status).toBe(404);
      const task = await fetch(`${web.url}/tasks/nope`);
      expect([task.status, await task.json()]).toEqual([404, { error: 'No task "nope" on thread "t".' }]);
      expect((await fetch(`${base}/`, { redirect: "manual" })).headers.get("location")).toBe("/ui/threads/t");
      expect(redrives).toEqual([]);
    } finally {
      await web.close();
    }
  });

  /**
   * `main` with the web view on a plan of "lookup" then "write", whose one model call fails for good: during the
   * linger the page re-drives everything, and the re-drive's "lookup" call takes `redriveCall` (a minute unless
   * told otherwise, ended early only by a cancel through its signal). Resolves `redriveCalled` once that call runs.
   */
  function lingeringCli(thread: string, redriveCall: { latencyMs: number; reply?: () => Promise<string> }) {
    const dir = mkdtempSync(join(tmpdir(), "orchestrator-web-redrive-"));
    const plan = {
      tasks: [task("lookup", [], { worker: "researcher" }), task("write", ["lookup"], { worker: "writer" })],
    };
    writeFileSync(join(dir, "plan.json"), JSON.stringify(plan));
    const redriveCalled = deferred();
    const aborted = deferred();
    const prompts: string[] = [];
    let redriving = false;
    let url = "";
    const { io, signals, exits, stderr } = signalledCli(
      dir,
      scriptedProvider(
        {
          worker: (call) => {
            prompts.push(call.prompt);
            if (!redriving) throw httpError(400, "bad request");
            return call.prompt.includes('Your task "lookup"') && redriveCall.reply ? redriveCall.reply() : "done";
          },
          synthesizer: () => "the answer",
        },
        {
          latencyMs: (call) => {
            if (!redriving || !call.prompt.includes('Your task "lookup"')) return 0;
            redriveCalled.resolve();
            return redriveCall.latencyMs;
          },
          onAbort: () => aborted.resolve(),
        },
      ),
      (text) => {
        url ||= /Web view: (\S+)/.exec(text)?.[1] ?? "";
        if (text.includes("stays up for")) {
          redriving = true;
          void fetch(`${url}/redrive`, {
            method: "POST",
            headers: { "content-type": "application/json" },
            body: '{"taskIds":[]}',
          });
        }
      },
    );
    const args = [
      "x",
      "--plan",
      join(dir, "plan.json"),
      "--checkpointer",
      `sqlite:${join(dir, "cp.db")}`,
      "--thread",
      thread,
      "--ui",
      "--max-retries",
      "0",
    ];
    const done = main(args, io).finally(() => rmSync(dir, { recursive: true, force: true }));
    return { done, signals, exits, redriveCalled, aborted, prompts, stderr };
  }

  it("drains a re-drive started from the page on the first Ctrl-C of the linger: its current step ends, no other starts", async () => {
    const gate = deferred();
    const cli = lingeringCli("drained", { latencyMs: 0, reply: () => gate.promise.then(() => "found it") });
    await within(cli.redriveCalled.promise, 10_000, "the re-drive's lookup call");
    cli.signals.emit("SIGINT");
    gate.resolve();
    await within(cli.done, 10_000, "the CLI to end after one signal");
    expect(cli.stderr()).toContain(
      'Re-drive from the web view ended: The run on thread "drained" stopped after its current step',
    );
    expect(cli.prompts.filter((prompt) => prompt.includes('Your task "write"'))).toEqual([]);
    expect(cli.exits).toEqual([]);
  });

  it("cancels a re-drive started from the page on the second Ctrl-C of the linger", async () => {
    const cli = lingeringCli("cancelled", { latencyMs: 60_000 });
    await within(cli.redriveCalled.promise, 10_000, "the re-drive's lookup call");
    cli.signals.emit("SIGINT");
    cli.signals.emit("SIGINT");
    await within(cli.done, 10_000, "the CLI to end after two signals");
    expect(cli.aborted.settled).toBe(true);
    expect(cli.stderr()).toContain('Re-drive from the web view ended: The run on thread "cancelled" was cancelled');
    expect(cli.exits).toEqual([]);
  });

  it("names the port it cannot listen on", async () => {
    const options = { threadId: "t", goal: "g", state: async () => ({}), redrive: async () => undefined };
    const first = await startWebView(options);
    const port = Number(new URL(first.url).port);
    try {
      await expect(startWebView({ ...options, port })).rejects.toThrow(
        `Cannot serve the web view on 127.0.0.1:${port} (EADDRINUSE); pick another --ui-port, or 0 for any free port.`,
      );
    } finally {
      await first.close();
    }
  });
});

describe("the web view on the LangGraph dev server (http.app)", () => {
  const PLAN = [
    task("facts", [], { worker: "researcher" }),
    task("figures", [], { worker: "analyst" }),
    task("report", ["facts", "figures"], { worker: "writer" }),
  ];
  const factsGate = deferred();
  let figuresFixed = false;
  let browser: Browser;
  let model: OpenAIServer;
  let server: DevServer;
  let client: Client;

  /** The loopback model: "facts" waits for its gate, "figures" is refused until fixed, the synthesizer answers. */
  async function answer(view: RequestView): Promise<Reply> {
    if (view.system.includes("You write the final answer")) return { content: "FINAL ANSWER from the web view test" };
    const id = /Your task "([^"]+)"/.exec(view.prompt)?.[1];
    if (id === "facts") await factsGate.promise;
    if (id === "figures" && !figuresFixed) return { fault: "status", status: 400, message: "the figures are refused" };
    return { content: `${id} done` };
  }

  beforeAll(async () => {
    [browser, model] = await Promise.all([
      launchBrowser(),
      startOpenAIServer({ handler: (body, index) => answer(describeRequest(body, index)) }),
    ]);
    server = await startDevServer({
      env: { OPENAI_BASE_URL: model.url, OPENAI_API_KEY: "test", LANGSMITH_TRACING: "false" },
    });
    client = new Client({ apiUrl: server.url, apiKey: null });
  }, 60_000);
  beforeEach((context) => {
    context.onTestFailed(() => console.error(`dev server output (tail):\n${server?.output().slice(-6_000)}`));
  });
  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    await model?.close();
  }, 30_000);

  it("lists the thread under /ui, shows its run live from the SDK stream, and re-drives a dead letter", async () => {
    const { thread_id: threadId } = await client.threads.create();
    const page = await browser.page();
    await page.goto(`${server.url}/ui/threads/${threadId}`);
    await page.waitForSelector("[data-phase]");
    await client.runs.create(threadId, "orchestrator", {
      input: { goal: "Brief me on the harbour", plan: { tasks: PLAN } },
      streamMode: ["custom", "values"],
    });

    await taskStatus(page, "facts", "running");
    expect(Object.keys(await statuses(page)).sort()).toEqual(["facts", "figures", "report"]);
    factsGate.resolve();
    await taskStatus(page, "facts", "done");
    await taskStatus(page, "figures", "dead");
    await taskStatus(page, "report", "skipped");
    await page.waitForSelector('[data-dead-letter="figures"]');
    await page.waitForSelector('[data-phase="idle"]');

    const list = await browser.page();
    await list.goto(`${server.url}/ui`);
    expect(await list.textContent(`[data-thread-id="${threadId}"]`)).toContain("Brief me on the harbour");
    const missing = await fetch(`${server.url}/ui/threads/no-such-thread`);
    expect([missing.status, await missing.text()]).toEqual([
      404,
      expect.stringContaining('No thread "no-such-thread"'),
    ]);
    await list.close();

    figuresFixed = true;
    const [response] = await Promise.all([
      page.waitForResponse((r) => r.url().endsWith("/redrive")),
      page.click('[data-dead-letter="figures"] button.redrive'),
    ]);
    expect(response.status(), await response.text()).toBe(202);
    await taskStatus(page, "figures", "done");
    await taskStatus(page, "report", "done");
    await page.waitForSelector("[data-dead-letter]", { state: "detached" });
    expect(await page.textContent("[data-answer]")).toContain("FINAL ANSWER from the web view test");
    await waitFor(async () => (await client.threads.get(threadId)).status === "idle", {
      what: "the re-drive's run to end",
    });
    const again = await fetch(`${server.url}/ui/threads/${threadId}/redrive`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: '{"taskIds":[]}',
    });
    expect([again.status, await again.text()]).toEqual([
      409,
      expect.stringContaining("The run has no dead letters to re-drive."),
    ]);
    await screenshot(page, "web-view-dev-server");
    await page.close();
    expect(browser.errors).toEqual([]);
  });

  it("grants CORS for a re-drive to Studio and loopback pages only, and serves /ui only to loopback Host names", async () => {
    const preflight = async (origin: string) =>
      (
        await fetch(`${server.url}/ui/threads/t/redrive`, {
          method: "OPTIONS",
          headers: {
            origin,
            "access-control-request-method": "POST",
            "access-control-request-headers": "content-type",
          },
        })
      ).headers.get("access-control-allow-origin");
    const origins = ["http://evil.example", "https://smith.langchain.com", "http://localhost:3000", "null"];
    expect(await Promise.all(origins.map(preflight))).toEqual([
      null,
      "https://smith.langchain.com",
      "http://localhost:3000",
      null,
    ]);
    expect((await rawGet(server.port, "/ui", `attacker.example:${server.port}`)).status).toBe(403);
    expect((await rawGet(server.port, "/ui", "[")).status).toBe(400);
    expect((await rawGet(server.port, "/ui", `localhost:${server.port}`)).status).toBe(200);
  });
});

describe("npm run demo -- --ui", () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
  });

  it("prints the web view's URL, which shows the trip's tasks with the follow-up, and stays up until Ctrl-C", async () => {
    const url = deferred<string>();
    const lingering = deferred<(signal: NodeJS.Signals) => void>();
    const cli = spawnCli(["--example", "trip", "--checkpointer", "memory", "--ui"], {
      onLine: (line, kill) => {
        const shown = /^Web view: (http:\S+)/.exec(line);
        if (shown && !url.settled) url.resolve(shown[1]!);
        if (line.includes("stays up for 2 minutes (Ctrl-C to quit)")) lingering.resolve(kill);
      },
    });
    const page = await browser.page();
    await page.goto(await url.promise);
    const kill = await lingering.promise;
    await page.waitForSelector('[data-phase="idle"]');
    const tasks = await statuses(page);
    expect(Object.keys(tasks).sort()).toEqual([
      "attractions",
      "budget_check",
      "extra_hotel_night",
      "flight",
      "hotel",
      "itinerary",
      "restaurants",
      "transit_pass",
      "weather_packing",
    ]);
    expect(new Set(Object.values(tasks))).toEqual(new Set(["done"]));
    expect(await page.getAttribute('[data-edge="flight>extra_hotel_night"]', "class")).toBe("edge follow-up");
    await page.click('[data-task-id="extra_hotel_night"]');
    await page.waitForSelector('[data-panel-task="extra_hotel_night"] .output');
    expect(await page.textContent('[data-panel-task="extra_hotel_night"]')).toMatch(
      /proposed by\s*flight[\s\S]*Extra night at Hôtel Rue Cler/,
    );
    expect(await page.textContent("[data-answer]")).toContain("# Plan a 3-day trip to Paris");
    await screenshot(page, "web-view-demo");
    await page.close();
    kill("SIGINT");
    const run = await cli.exited;
    expect(run.code, run.stderr).toBe(0);
    expect(browser.errors).toEqual([]);
  });
});
