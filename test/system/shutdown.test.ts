import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CLI_DEADLINE_MS, runCli } from "../helpers/cli-process.js";
import { describeRequest, startOpenAIServer, type OpenAIServer } from "../helpers/openai-server.js";
import { deferred } from "../helpers/wait.js";

describe("graceful shutdown of the CLI", () => {
  let server: OpenAIServer;
  let dir: string;
  const calls: Record<string, number> = {};
  /** While set, the research reply waits for it: the step in flight lasts until the test lets it end. */
  let holdResearch: Promise<void> | undefined;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "orchestrator-shutdown-"));
    writeFileSync(
      join(dir, "plan.json"),
      JSON.stringify({
        tasks: [
          { id: "research", title: "Research", worker: "researcher" },
          { id: "write", title: "Write", worker: "writer", dependsOn: ["research"] },
          { id: "review", title: "Review", worker: "reviewer", dependsOn: ["research"] },
        ],
      }),
    );
    server = await startOpenAIServer({
      handler: async (body) => {
        const { system, prompt } = describeRequest(body);
        if (system.includes("final answer")) return { content: "the answer" };
        const id = ["research", "write", "review"].find((task) => prompt.includes(`Your task "${task}"`))!;
        calls[id] = (calls[id] ?? 0) + 1;
        if (id === "research") await holdResearch;
        return { content: `${id} result` };
      },
    });
  });
  afterAll(async () => {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const args = (thread: string) => ["x", "--plan", join(dir, "plan.json"), "--checkpointer", `sqlite:${join(dir, "cp.db")}`, "--thread", thread];
  const env = () => ({ OPENAI_BASE_URL: server.url, OPENAI_API_KEY: "test" });

  it(
    "on SIGINT lets the running step finish, checkpoints it, says how to resume and exits 130; the resume pays for nothing twice",
    async () => {
      // The research step ends only after the CLI has taken the signal: it must finish that step, then stop.
      const research = deferred();
      holdResearch = research.promise;
      const stopped = await runCli(args("graceful"), {
        env: env(),
        onLine: (line, kill) => {
          if (line.startsWith("started   research")) kill("SIGINT");
          if (line.startsWith("Stopping after the current step")) research.resolve();
        },
      }).finally(() => {
        research.resolve();
        holdResearch = undefined;
      });
      expect(stopped.code).toBe(130);
      expect(stopped.stderr).toContain("Resume with: npm start -- --resume --thread graceful");
      const stopping = stopped.stderr.indexOf("Stopping after the current step");
      expect(stopping).toBeGreaterThanOrEqual(0);
      expect(stopped.stderr.indexOf("done      research")).toBeGreaterThan(stopping);
      expect(stopped.stderr).not.toContain("started   write");
      expect(calls).toEqual({ research: 1 });

      const resumed = await runCli(["--resume", "--thread", "graceful", "--checkpointer", `sqlite:${join(dir, "cp.db")}`], { env: env() });
      expect(resumed.code).toBe(0);
      expect(resumed.stdout).toContain("the answer");
      expect(calls).toEqual({ research: 1, write: 1, review: 1 });
    },
    2 * CLI_DEADLINE_MS + 10_000,
  );

  it(
    "exits at once on a second signal",
    async () => {
      // The research reply is held until the CLI has exited: it can only exit by not waiting for the step.
      const research = deferred();
      holdResearch = research.promise;
      const run = await runCli(args("impatient"), {
        env: env(),
        onLine: (line, kill) => {
          if (line.startsWith("started   research")) kill("SIGINT");
          if (line.startsWith("Stopping after the current step")) kill("SIGTERM");
        },
      }).finally(() => {
        research.resolve();
        holdResearch = undefined;
      });
      expect(run.code).toBe(130);
      expect(run.stderr).toContain("Stopping after the current step");
      expect(run.stderr).not.toContain("done      research");
    },
    CLI_DEADLINE_MS + 10_000,
  );
});
