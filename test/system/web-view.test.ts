import { MemorySaver } from "@langchain/langgraph";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startWebView, type WebView } from "../../src/cli/web-view.js";
import { createOrchestrator, functionWorker, type Orchestrator } from "../../src/index.js";
import { launchBrowser, screenshot, statuses, taskStatus, type Browser } from "../helpers/browser.js";
import { task } from "../helpers/fixtures.js";
import { scriptedProvider } from "../helpers/scripted-model.js";
import { deferred, type Deferred } from "../helpers/wait.js";

describe("the web view in Chromium, served the way the CLI serves it", () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
  });

  /** Workers the test steers: `gated` tasks wait for their gate; `flaky` fails until `fixed`. */
  function steeredOrchestrator(): Promise<{ orchestrator: Orchestrator; gates: Map<string, Deferred>; fix: () => void }> {
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
      settings: { maxRetries: 1 },
    }).then((orchestrator) => ({ orchestrator, gates, fix: () => (fixed = true) }));
  }

  it("shows every task, changes statuses live, lists a dead letter and re-drives it back to done", async () => {
    const { orchestrator, gates, fix } = await steeredOrchestrator();
    const threadId = "web-view-1";
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
      // Its last attempt failed; the orchestrator dead-letters it when the wave ends ("collect", then "report"
      // chained after it in the same worker).
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
      await page.click('[data-task-id="lookup"]');
      await page.waitForSelector('[data-panel-task="lookup"]');
      expect(await page.textContent('[data-panel-task="lookup"]')).toMatch(/#1 failed[\s\S]*#2 failed/);
      await screenshot(page, "web-view-dead-letter");

      fix();
      await page.click('[data-dead-letter="lookup"] button.redrive');
      await taskStatus(page, "lookup", "done");
      await taskStatus(page, "summary", "done");
      await page.waitForSelector("[data-dead-letter]", { state: "detached" });
      await page.waitForSelector("[data-answer]");
      expect(await statuses(page)).toEqual({ collect: "done", lookup: "done", report: "done", summary: "done" });
      expect((await orchestrator.state(threadId)).deadLetters).toEqual([]);
      await screenshot(page, "web-view-redriven");
      expect(browser.errors).toEqual([]);
    } finally {
      await web.close();
      await orchestrator.close();
    }
  });
});
