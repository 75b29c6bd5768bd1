import { spawn } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { main } from "../../src/cli/main.js";
import { signalledCli } from "../helpers/cli-io.js";
import { CLI_DEADLINE_MS, runCli } from "../helpers/cli-process.js";
import { describeRequest, startOpenAIServer, type OpenAIServer } from "../helpers/openai-server.js";
import { scriptedProvider } from "../helpers/scripted-model.js";
import { deferred, within, type Deferred } from "../helpers/wait.js";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));

describe("graceful shutdown of the CLI", () => {
  let server: OpenAIServer;
  let dir: string;
  const calls: Record<string, number> = {};
  /**
   * While set, the research reply waits for `release`: the step in flight lasts until the test lets it end.
   * `held` resolves once a research call is being held, `hungUp` if the client closes it first.
   */
  let hold: { release: Promise<void>; held: Deferred; hungUp: Deferred } | undefined;
  const holdResearch = (release: Promise<void>) => (hold = { release, held: deferred(), hungUp: deferred() });

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
      handler: async (body, _index, request) => {
        const { system, prompt } = describeRequest(body);
        if (system.includes("final answer")) return { content: "the answer" };
        const id = ["research", "write", "review"].find((task) => prompt.includes(`Your task "${task}"`))!;
        calls[id] = (calls[id] ?? 0) + 1;
        if (id === "research" && hold) {
          const current = hold;
          request.signal.addEventListener("abort", () => current.hungUp.resolve(), { once: true });
          current.held.resolve();
          await current.release;
        }
        return { content: `${id} result` };
      },
    });
  });
  afterAll(async () => {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const args = (thread: string) => [
    "x",
    "--plan",
    join(dir, "plan.json"),
    "--checkpointer",
    `sqlite:${join(dir, "cp.db")}`,
    "--thread",
    thread,
  ];
  const env = () => ({ OPENAI_BASE_URL: server.url, OPENAI_API_KEY: "test" });

  it(
    "on SIGINT lets the running step finish, checkpoints it, says how to resume and exits 130; the resume pays for nothing twice",
    async () => {
      // The research step ends only after the CLI has taken the signal: it must finish that step, then stop.
      const research = deferred();
      holdResearch(research.promise);
      const stopped = await runCli(args("graceful"), {
        env: env(),
        onLine: (line, kill) => {
          if (line.startsWith("started   research")) kill("SIGINT");
          if (line.startsWith("Stopping after the current step")) research.resolve();
        },
      }).finally(() => {
        research.resolve();
        hold = undefined;
      });
      expect(stopped.code).toBe(130);
      const hint = `npm start -- --thread graceful --resume --checkpointer sqlite:${join(dir, "cp.db")}`;
      expect(stopped.stderr).toContain(`Resume with: ${hint}\n`);
      const stopping = stopped.stderr.indexOf("Stopping after the current step");
      expect(stopping).toBeGreaterThanOrEqual(0);
      expect(stopped.stderr.indexOf("done      research")).toBeGreaterThan(stopping);
      expect(stopped.stderr).not.toContain("started   write");
      expect(calls).toEqual({ research: 1 });

      // The hint as printed (its words after `npm start --`) resumes the run.
      const resumed = await runCli(hint.split(" ").slice(3), { env: env() });
      expect(resumed.code).toBe(0);
      expect(resumed.stdout).toContain("the answer");
      expect(calls).toEqual({ research: 1, write: 1, review: 1 });
    },
    2 * CLI_DEADLINE_MS + 10_000,
  );

  it(
    "on a second signal aborts the model call in flight, writes its last lines and exits 130 by itself; the thread then resumes",
    async () => {
      // The research reply is held until the client hangs up: the CLI can only end by cancelling the call.
      const research = deferred();
      const { held, hungUp } = holdResearch(research.promise);
      // The second signal comes once the call is in flight (held by the server) and the first one was taken.
      const run = await runCli(args("impatient"), {
        env: env(),
        onLine: (line, kill) => {
          if (line.startsWith("started   research")) kill("SIGINT");
          if (line.startsWith("Stopping after the current step")) void held.promise.then(() => kill("SIGTERM"));
        },
      }).finally(() => {
        research.resolve();
        hold = undefined;
      });
      expect(run.code).toBe(130);
      await within(hungUp.promise, 5_000, "the held research call to be closed");
      expect(run.stderr).toContain("Stopping after the current step");
      expect(run.stderr).toContain("Cancelling: the model calls in flight are aborted");
      expect(run.stderr).toContain('Cancelled. The run on thread "impatient" was cancelled');
      expect(run.stderr).toContain(
        `Resume with: npm start -- --thread impatient --resume --checkpointer sqlite:${join(dir, "cp.db")}\n`,
      );
      expect(run.stderr).not.toContain("done      research");
      // The process was not cut short: the run log ends with the run's outcome.
      const log = readFileSync(join(dir, "runs", "impatient.log"), "utf8")
        .trim()
        .split("\n");
      expect(JSON.parse(log.at(-1)!)).toMatchObject({
        event: "run.failed",
        error: expect.stringContaining("RunCancelledError"),
      });

      const before = { ...calls };
      const resumed = await runCli(
        ["--resume", "--thread", "impatient", "--checkpointer", `sqlite:${join(dir, "cp.db")}`],
        { env: env() },
      );
      expect(resumed.code).toBe(0);
      expect(resumed.stdout).toContain("the answer");
      expect(calls).toEqual({
        research: (before.research ?? 0) + 1,
        write: (before.write ?? 0) + 1,
        review: (before.review ?? 0) + 1,
      });
    },
    2 * CLI_DEADLINE_MS + 10_000,
  );

  it(
    "drains, and does not cancel, when one Ctrl-C under `npm start` reaches the CLI twice (from the terminal and relayed by npm)",
    async () => {
      const research = deferred();
      holdResearch(research.promise);
      const child = spawn("npm", ["start", "--silent", "--", ...args("relayed")], {
        cwd: ROOT,
        detached: true,
        env: { ...process.env, ...env(), LANGSMITH_TRACING: "false" },
        stdio: ["ignore", "pipe", "pipe"],
      });
      let stderr = "";
      const started = deferred();
      const stopping = deferred();
      child.stderr.on("data", (chunk: Buffer) => {
        stderr += chunk.toString();
        if (stderr.includes("started   research")) started.resolve();
        if (stderr.includes("Stopping after the current step")) stopping.resolve();
      });
      const closed = new Promise<number | null>((done) => child.on("close", done));
      try {
        await within(started.promise, CLI_DEADLINE_MS, "the research task to start");
        // As a terminal sends Ctrl-C: to the whole foreground process group, npm and the CLI both; npm relays it.
        process.kill(-child.pid!, "SIGINT");
        await within(stopping.promise, CLI_DEADLINE_MS, "the CLI to take the signal");
        // npm's relay can come as late as this, after the CLI took the terminal's signal (the two merge when the CLI
        // has not run in between): sent here, the CLI always gets the press twice.
        const cli = Number(readFileSync(`/proc/${child.pid}/task/${child.pid}/children`, "utf8").trim().split(" ")[0]);
        process.kill(cli, "SIGINT");
      } finally {
        research.resolve();
        hold = undefined;
      }
      const code = await within(closed, CLI_DEADLINE_MS, "npm start to exit");
      expect(stderr).not.toContain("Cancelling");
      expect(code).toBe(130);
      expect(stderr.indexOf("done      research")).toBeGreaterThan(stderr.indexOf("Stopping after the current step"));
    },
    3 * CLI_DEADLINE_MS,
  );

  it("exits at once on a third signal, when cancelling has not ended the run yet", async () => {
    const aborted = deferred();
    const { io, signals, exits, stderr } = signalledCli(
      dir,
      // The research call would take a minute: only the cancel ends it. The first signal comes once it is under way.
      scriptedProvider(
        { worker: () => "research result" },
        {
          latencyMs: () => {
            queueMicrotask(() => signals.emit("SIGINT"));
            return 60_000;
          },
          onAbort: () => aborted.resolve(),
        },
      ),
      (text) => {
        if (text.includes("Stopping after the current step") || text.startsWith("Cancelling:")) signals.emit("SIGINT");
      },
    );
    const code = await main(args("third"), io);
    expect(exits).toEqual([130]);
    expect(aborted.settled).toBe(true);
    expect(code).toBe(130);
    expect(stderr()).toContain('Cancelled. The run on thread "third" was cancelled');
    expect(signals.listenerCount("SIGINT")).toBe(0);
  });
});
