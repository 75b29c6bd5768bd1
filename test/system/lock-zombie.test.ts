import { spawn } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ENTRIES, runCli, TSX } from "../helpers/cli-process.js";
import { describeRequest, startOpenAIServer, type OpenAIServer } from "../helpers/openai-server.js";
import { tempDirs } from "../helpers/temp-dirs.js";
import { deferred, within } from "../helpers/wait.js";

const tempDir = tempDirs("orchestrator-zombie-");

/** The state letter of a process (`R`, `S`, `Z`…), from /proc; undefined once it is gone. */
const processState = (pid: number) => {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ")[0];
  } catch {
    return undefined;
  }
};

/**
 * Starts the CLI under a parent that never reaps it (`sh` exec'ing `sleep`), so that once killed it stays a
 * zombie; resolves with the CLI's pid once `started` shows on its stderr.
 */
async function cliUnderNonReapingParent(args: string[], env: Record<string, string>, cwd: string) {
  const quoted = [process.execPath, "--import", TSX, ENTRIES.main, ...args].map((arg) => `'${arg}'`).join(" ");
  const parent = spawn("sh", ["-c", `${quoted} & echo $!; exec sleep 600`], {
    cwd,
    env: { ...process.env, LANGSMITH_TRACING: "false", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const pid = deferred<number>();
  const started = deferred();
  parent.stdout.on("data", (chunk: Buffer) => pid.resolve(Number(chunk.toString().trim().split("\n")[0])));
  let stderr = "";
  parent.stderr.on("data", (chunk: Buffer) => {
    stderr += chunk.toString();
    if (/^started {3}held/m.test(stderr)) started.resolve();
  });
  await within(started.promise, 60_000, "the held task to start");
  return { pid: await pid.promise, reap: () => parent.kill("SIGKILL") };
}

describe("a resume right after SIGKILL", () => {
  let server: OpenAIServer;
  /** While set, the held task's reply waits for it: the run stays in flight until it is killed. */
  let hold: Promise<void> | undefined;
  beforeAll(async () => {
    server = await startOpenAIServer({
      handler: async (body) => {
        const { system, prompt } = describeRequest(body);
        if (system.includes("final answer")) return { content: "the answer" };
        await hold;
        return { content: `result of ${prompt.includes("Held") ? "held" : "other"}` };
      },
    });
  });
  afterAll(() => server.close());

  it("takes over the lock of a killed CLI that is still a zombie, every time", async () => {
    const dir = tempDir();
    writeFileSync(
      join(dir, "plan.json"),
      JSON.stringify({ tasks: [{ id: "held", title: "Held", worker: "researcher" }] }),
    );
    const env = { OPENAI_BASE_URL: server.url, OPENAI_API_KEY: "test" };
    const checkpointer = `sqlite:${join(dir, "cp.db")}`;
    for (let round = 0; round < 3; round++) {
      const thread = `zombie-${round}`;
      const gate = deferred();
      hold = gate.promise;
      const cli = await cliUnderNonReapingParent(
        ["a goal", "--plan", join(dir, "plan.json"), "--checkpointer", checkpointer, "--thread", thread],
        env,
        dir,
      );
      try {
        process.kill(cli.pid, "SIGKILL");
        await within(
          new Promise<void>((done) => {
            const look = () => (processState(cli.pid) === "Z" ? done() : setImmediate(look));
            look();
          }),
          10_000,
          "the killed CLI to become a zombie",
        );
        hold = undefined;
        gate.resolve();
        const resumed = await runCli(["--resume", "--thread", thread, "--checkpointer", checkpointer], {
          env,
          cwd: dir,
        });
        expect({ round, code: resumed.code, stderr: resumed.code === 0 ? "" : resumed.stderr }).toEqual({
          round,
          code: 0,
          stderr: "",
        });
        expect(resumed.stdout).toContain("the answer");
        expect(processState(cli.pid)).toBe("Z");
      } finally {
        gate.resolve();
        cli.reap();
      }
    }
  }, 240_000);
});
