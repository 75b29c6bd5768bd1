import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startWebView } from "../../src/cli/web-view.js";
import { spawnCli } from "../helpers/cli-process.js";
import { describeRequest, startOpenAIServer, type OpenAIServer } from "../helpers/openai-server.js";
import { rawGet } from "../helpers/raw-http.js";
import { tempDirs } from "../helpers/temp-dirs.js";
import { deferred, within } from "../helpers/wait.js";

const tempDir = tempDirs("orchestrator-web-host-");

describe("the CLI's web view and the Host header", () => {
  it("answers only loopback names with its own port, and any other Host, parsable or not, with 403", async () => {
    const web = await startWebView({
      threadId: "t",
      goal: "the goal",
      state: async () => ({}),
      redrive: async () => {},
    });
    const port = Number(new URL(web.url).port);
    try {
      const answers: Record<string, number> = {};
      for (const host of [
        `localhost:${port}`,
        `LOCALHOST:${port}`,
        `127.0.0.1:${port}`,
        `[::1]:${port}`,
        `attacker.example:${port}`,
        `localhost.attacker.example:${port}`,
        `127.0.0.1:${port + 1}`,
        "localhost",
        "",
        "[",
        `[::1:${port}`,
      ])
        answers[host] = (await rawGet(port, "/ui/threads/t", host)).status;
      expect(answers).toEqual({
        [`localhost:${port}`]: 200,
        [`LOCALHOST:${port}`]: 200,
        [`127.0.0.1:${port}`]: 200,
        [`[::1]:${port}`]: 200,
        [`attacker.example:${port}`]: 403,
        [`localhost.attacker.example:${port}`]: 403,
        [`127.0.0.1:${port + 1}`]: 403,
        localhost: 403,
        "": 403,
        "[": 403,
        [`[::1:${port}`]: 403,
      });
      const rebound = await rawGet(port, "/ui/threads/t/tasks/x", `attacker.example:${port}`);
      expect(JSON.parse(rebound.body)).toEqual({
        error:
          `Host "attacker.example:${port}" is not served here: the web view answers only to localhost:${port}, ` +
          `127.0.0.1:${port} and [::1]:${port}.`,
      });
      expect((await rawGet(port, "/ui", `127.0.0.1:${port}`)).body).toContain("the goal");
    } finally {
      await web.close();
    }
  });

  describe("in a real CLI run with --ui", () => {
    let server: OpenAIServer;
    const gate = deferred();
    beforeAll(async () => {
      server = await startOpenAIServer({
        handler: async (body) => {
          const { system } = describeRequest(body);
          if (system.includes("final answer")) return { content: "the answer" };
          await gate.promise;
          return { content: "the notes" };
        },
      });
    });
    afterAll(() => server.close());

    it("survives a malformed Host header mid-run and finishes the run with exit 0", async () => {
      const dir = tempDir();
      writeFileSync(
        join(dir, "plan.json"),
        JSON.stringify({ tasks: [{ id: "held", title: "Held", worker: "researcher" }] }),
      );
      const url = deferred<string>();
      const started = deferred();
      const lingering = deferred<(signal: NodeJS.Signals) => void>();
      const cli = spawnCli(["a goal", "--plan", join(dir, "plan.json"), "--checkpointer", "memory", "--ui"], {
        cwd: dir,
        env: { OPENAI_BASE_URL: server.url, OPENAI_API_KEY: "test" },
        onLine: (line, kill) => {
          const shown = /^Web view: (http:\S+)/.exec(line);
          if (shown && !url.settled) url.resolve(shown[1]!);
          if (/^started {3}held/.test(line)) started.resolve();
          if (line.includes("Ctrl-C to quit")) lingering.resolve(kill);
        },
      });
      const port = Number(new URL(await within(url.promise, 60_000, "the web view's URL")).port);
      await within(started.promise, 60_000, "the held task to start");
      expect((await rawGet(port, "/ui/threads/x", "[")).status).toBe(403);
      expect((await rawGet(port, "/", `127.0.0.1:${port}`)).status).toBe(302);
      gate.resolve();
      (await within(lingering.promise, 60_000, "the run to end"))("SIGINT");
      const run = await cli.exited;
      expect([run.code, run.stderr]).toEqual([0, expect.not.stringContaining("Invalid URL")]);
      expect(run.stdout).toContain("the answer");
    }, 120_000);
  });
});
