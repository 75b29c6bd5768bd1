import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describeRequest, startOpenAIServer, type OpenAIServer } from "../helpers/openai-server.js";
import { deferred } from "../helpers/wait.js";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
/** How long one CLI run may take: seconds normally, but a loaded machine can take many to start one. */
const CLI_DEADLINE_MS = 60_000;

interface CliRun {
  code: number | null;
  stderr: string;
  stdout: string;
}

/**
 * Runs the real CLI; `onLine` sees each stderr line and may signal the process. A CLI still running after
 * `deadlineMs` is killed and the run rejected.
 */
function cli(
  args: string[],
  env: Record<string, string>,
  onLine: (line: string, kill: (signal: NodeJS.Signals) => void) => void = () => {},
  deadlineMs = CLI_DEADLINE_MS,
): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", "src/cli/main.ts", ...args], {
      cwd: ROOT,
      env: { ...process.env, LANGSMITH_TRACING: "false", ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    const deadline = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`the CLI was still running after ${deadlineMs} ms; stderr so far:\n${stderr}`));
    }, deadlineMs);
    let stderr = "";
    let stdout = "";
    let pending = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
      pending += chunk.toString();
      const lines = pending.split("\n");
      pending = lines.pop()!;
      for (const line of lines) onLine(line, (signal) => child.kill(signal));
    });
    child.on("error", (error) => (clearTimeout(deadline), reject(error)));
    child.on("exit", (code) => (clearTimeout(deadline), resolve({ code, stderr, stdout })));
  });
}

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

  it("on SIGINT lets the running step finish, checkpoints it, says how to resume and exits 130; the resume pays for nothing twice", async () => {
    // The research step ends only after the CLI has taken the signal: it must finish that step, then stop.
    const research = deferred();
    holdResearch = research.promise;
    const stopped = await cli(args("graceful"), env(), (line, kill) => {
      if (line.startsWith("started   research")) kill("SIGINT");
      if (line.startsWith("Stopping after the current step")) research.resolve();
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

    const resumed = await cli(["--resume", "--thread", "graceful", "--checkpointer", `sqlite:${join(dir, "cp.db")}`], env());
    expect(resumed.code).toBe(0);
    expect(resumed.stdout).toContain("the answer");
    expect(calls).toEqual({ research: 1, write: 1, review: 1 });
    // Two CLI processes, each bounded by cli()'s deadline.
  }, 2 * CLI_DEADLINE_MS + 10_000);

  it("exits at once on a second signal", async () => {
    // The research reply is held until the CLI has exited: it can only exit by not waiting for the step.
    const research = deferred();
    holdResearch = research.promise;
    const run = await cli(args("impatient"), env(), (line, kill) => {
      if (line.startsWith("started   research")) kill("SIGINT");
      if (line.startsWith("Stopping after the current step")) kill("SIGTERM");
    }).finally(() => {
      research.resolve();
      holdResearch = undefined;
    });
    expect(run.code).toBe(130);
    expect(run.stderr).toContain("Stopping after the current step");
    expect(run.stderr).not.toContain("done      research");
  }, CLI_DEADLINE_MS + 10_000);
});
