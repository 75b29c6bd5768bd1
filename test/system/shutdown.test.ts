import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describeRequest, startOpenAIServer, type OpenAIServer } from "../helpers/openai-server.js";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const WORK_MS = 1_500;

interface CliRun {
  code: number | null;
  stderr: string;
  stdout: string;
}

/** Runs the real CLI; `onLine` sees each stderr line and may signal the process. */
function cli(args: string[], env: Record<string, string>, onLine: (line: string, kill: (signal: NodeJS.Signals) => void) => void = () => {}): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", "src/cli/main.ts", ...args], {
      cwd: ROOT,
      env: { ...process.env, LANGSMITH_TRACING: "false", ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
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
    child.on("error", reject);
    child.on("exit", (code) => resolve({ code, stderr, stdout }));
  });
}

describe("graceful shutdown of the CLI", () => {
  let server: OpenAIServer;
  let dir: string;
  const calls: Record<string, number> = {};

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
      handler: (body) => {
        const { system, prompt } = describeRequest(body);
        if (system.includes("final answer")) return { content: "the answer" };
        const id = ["research", "write", "review"].find((task) => prompt.includes(`Your task "${task}"`))!;
        calls[id] = (calls[id] ?? 0) + 1;
        return { content: `${id} result`, delayMs: WORK_MS };
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
    const started = Date.now();
    let signalledAt = 0;
    const stopped = await cli(args("graceful"), env(), (line, kill) => {
      if (line.startsWith("started   research")) {
        signalledAt = Date.now();
        kill("SIGINT");
      }
    });
    expect(stopped.code).toBe(130);
    expect(stopped.stderr).toContain("Stopping after the current step");
    expect(stopped.stderr).toContain("Resume with: npm start -- --resume --thread graceful");
    expect(stopped.stderr).toContain("done      research");
    expect(stopped.stderr).not.toContain("started   write");
    expect(Date.now() - signalledAt).toBeGreaterThan(WORK_MS - 500);
    expect(calls).toEqual({ research: 1 });

    const resumed = await cli(["--resume", "--thread", "graceful", "--checkpointer", `sqlite:${join(dir, "cp.db")}`], env());
    expect(resumed.code).toBe(0);
    expect(resumed.stdout).toContain("the answer");
    expect(calls).toEqual({ research: 1, write: 1, review: 1 });
    expect(Date.now() - started).toBeLessThan(20_000);
  });

  it("exits at once on a second signal", async () => {
    let signalledAt = 0;
    const run = await cli(args("impatient"), env(), (line, kill) => {
      if (line.startsWith("started   research")) {
        signalledAt = Date.now();
        kill("SIGINT");
      }
      if (line.startsWith("Stopping after the current step")) kill("SIGTERM");
    });
    expect(run.code).toBe(130);
    expect(Date.now() - signalledAt).toBeLessThan(WORK_MS);
    expect(run.stderr).not.toContain("done      research");
  });
});
