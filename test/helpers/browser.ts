import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { chromium, type BrowserContext, type Page } from "playwright-core";

/** Debian's Chromium (`apt-get install chromium`; `.ci/run` installs it when missing). */
export const CHROMIUM = "/usr/bin/chromium";

/** Flags for a headless Chromium in a container with no network: no sandbox, GPU or background traffic. */
const FLAGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
  "--disable-quic",
];

/** Where screenshots go: the test output, never git (test-results/ is ignored). */
export const SCREENSHOTS = resolve("test-results/screenshots");

/** A headless Chromium on a fresh profile, with the errors its pages raise. */
export interface Browser {
  page(): Promise<Page>;
  /** Uncaught errors and console errors of every page so far. */
  readonly errors: string[];
  close(): Promise<void>;
}

/** Launches Chromium headless with a fresh `--user-data-dir` (removed on close). */
export async function launchBrowser(): Promise<Browser> {
  const profile = mkdtempSync(join(tmpdir(), "orchestrator-chromium-"));
  const context: BrowserContext = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: FLAGS,
    viewport: { width: 1400, height: 860 },
  });
  const errors: string[] = [];
  return {
    errors,
    page: async () => {
      const page = await context.newPage();
      page.on("pageerror", (error) => errors.push(error.message));
      page.on("console", (message) => {
        if (message.type() === "error") errors.push(message.text());
      });
      return page;
    },
    close: async () => {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** Saves a full-page screenshot under test-results/screenshots and returns its path. */
export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  const path = join(SCREENSHOTS, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}

/** The `data-status` of every task on the page, by `data-task-id`. */
export const statuses = (page: Page): Promise<Record<string, string>> =>
  page.$$eval("[data-task-id]", (nodes) =>
    Object.fromEntries(nodes.map((node) => [node.getAttribute("data-task-id"), node.getAttribute("data-status")])),
  );

/** Waits until the task's element shows `status` (Playwright watches the DOM; no fixed sleeps). */
export const taskStatus = (page: Page, taskId: string, status: string) =>
  page.waitForSelector(`[data-task-id="${taskId}"][data-status="${status}"]`, { timeout: 20_000 });
