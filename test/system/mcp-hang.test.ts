import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { runCli } from "../helpers/cli-process.js";
import { loopbackServers } from "../helpers/loopback.js";

const HANGING_SERVER = fileURLToPath(new URL("../helpers/mcp-hanging-server.mjs", import.meta.url));

/** Whether a process is still there (and not a zombie). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  return !/\) Z /.test(readFileSync(`/proc/${pid}/stat`, "utf8"));
}

describe("an MCP server that hangs on start", () => {
  const serve = loopbackServers();
  const dir = mkdtempSync(join(tmpdir(), "mcp-hang-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("is cut with the attempt and closed, and the CLI exits promptly instead of after the SDK's 60 s connect timeout", async () => {
    const server = await serve(() => ({ content: "the answer" }));
    const pidFile = join(dir, "server.pid");
    const workers = join(dir, "team.json");
    writeFileSync(
      workers,
      JSON.stringify({
        workers: [
          {
            name: "pricer",
            description: "Prices things.",
            systemPrompt: "Price with the tool.",
            timeoutMs: 500,
            mcpServers: { prices: { command: process.execPath, args: [HANGING_SERVER, pidFile] } },
          },
        ],
      }),
    );
    const plan = join(dir, "plan.json");
    writeFileSync(plan, JSON.stringify({ tasks: [{ id: "pears", title: "Price pears", worker: "pricer" }] }));
    // Before, the run ended at the time limit but the process stayed up until the connect timed out (60 s).
    const run = await runCli(
      ["Price pears", "--workers", workers, "--plan", plan, "--checkpointer", "memory", "--max-retries", "0"],
      { cwd: dir, env: { OPENAI_BASE_URL: server.url, OPENAI_API_KEY: "test" }, deadlineMs: 30_000 },
    );
    expect(run.stderr).toContain("timed out after 500 ms");
    expect(run.code).not.toBe(0);
    expect(alive(Number(readFileSync(pidFile, "utf8")))).toBe(false);
  });
});
