import { spawn } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { TURNS_OFF, usage } from "../../src/cli/args.js";
import { EXIT } from "../../src/cli/exit-codes.js";
import { main } from "../../src/cli/main.js";
import { SettingsSchema } from "../../src/settings.js";
import { brokenTripPlan, captureCli, signalledCli } from "../helpers/cli-io.js";
import { CLI_DEADLINE_MS, runCli } from "../helpers/cli-process.js";
import { task } from "../helpers/fixtures.js";
import { scriptedProvider } from "../helpers/scripted-model.js";
import { tempDirs } from "../helpers/temp-dirs.js";
import { deferred } from "../helpers/wait.js";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const tempDir = tempDirs("cli-edges-");

/** Every character a terminal would act on, other than newline and tab. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
const TERMINAL_CONTROLS = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/;

describe("terminal escapes in a run's text (issue 20, item 5)", () => {
  const GOAL = "Plan \u001b[2J\u001b]0;pwned\u0007a trip\r\u009b31m";
  /** A run whose goal, task title, worker output, worker error and answer all carry escapes. */
  async function hostileRun(isTTY: boolean) {
    const dir = tempDir();
    const plan = {
      tasks: [
        task("found", [], { worker: "researcher", title: "Title \u001b[5mblink" }),
        task("broken", [], { worker: "researcher" }),
      ],
    };
    writeFileSync(join(dir, "plan.json"), JSON.stringify(plan));
    const models = scriptedProvider({
      worker: (call) => {
        if (call.prompt.includes('Your task "broken"')) throw new Error("boom \u001b[2J\u001b]0;owned\u0007");
        return "found \u001b]8;;http://evil.example\u0007link\u001b]8;;\u0007 \u001b[31mred\u001b[0m";
      },
      synthesizer: () => "answer \u001b[2J\u001b]0;title\u0007 end\r\nnext line",
    });
    const { out, io } = captureCli(dir, models);
    Object.assign(io, { isTTY, color: false, columns: 100, rows: 30 });
    const args = [GOAL, "--plan", join(dir, "plan.json"), "--checkpointer", "memory", "--max-retries", "0"];
    expect(await main(args, io)).toBe(EXIT.partial);
    return out;
  }

  it("reach neither stdout nor the event lines on stderr: escapes and controls are removed, newlines kept", async () => {
    const out = await hostileRun(false);
    expect(out.stderr).not.toMatch(TERMINAL_CONTROLS);
    expect(out.stdout).not.toMatch(TERMINAL_CONTROLS);
    expect(out.stderr).toContain("failed    broken [researcher] attempt 1: ");
    expect(out.stderr).toContain("boom ");
    expect(out.stdout).toContain("answer  end\nnext line\n");
  });

  it("never reach the terminal through the live view: only its own cursor moves are drawn", async () => {
    const out = await hostileRun(true);
    for (const hostile of ["\u001b[2J", "\u001b]", "\u0007", "\u009b", "\u001b[31m", "\u001b[5m", "\r"]) {
      expect(out.stderr).not.toContain(hostile);
      expect(out.stdout).not.toContain(hostile);
    }
    expect(out.stderr).toContain("Plan a trip\n");
  });
});

describe("bad thread ids (issue 20, item 17)", () => {
  it.each([
    ["an empty --thread", ["goal", "--thread", ""], '--thread: ""'],
    ["a 10,000-character --thread", ["goal", "--thread", "t".repeat(10_000)], "(10000 characters)"],
    ["a --thread with a control character", ["goal", "--thread", "a\u001b[2Jb"], '"a\\u001b[2Jb"'],
    ["an empty --wait", ["--queue", "redis://127.0.0.1:1", "--wait", ""], '--wait: ""'],
  ])("are a usage error: %s exits 2 with one short line naming the flag", async (_, argv, shown) => {
    const { out, io } = captureCli(tempDir());
    expect(await main(argv, io)).toBe(EXIT.usage);
    const [line, hint] = out.stderr.split("\n");
    expect(line).toMatch(/^Invalid value for --(thread|wait): /);
    expect(line).toContain(shown);
    expect(line).toContain("(expected a thread id of 1-80 letters, digits or punctuation, no spaces)");
    expect(hint).toBe("Run with --help for usage.");
    expect(out.stderr.length).toBeLessThan(300);
  });
});

describe("the printed hints (issue 20, item 18)", () => {
  it("re-drive as printed: the hint carries the checkpointer, the example and the settings the run needs", async () => {
    const dir = tempDir();
    const checkpointer = `sqlite:${join(dir, "cp.db")}`;
    const first = captureCli(dir);
    const args = ["--example", "trip", "--plan", brokenTripPlan(dir), "--checkpointer", checkpointer];
    expect(await main([...args, "--thread", "hinted", "--max-parallel", "2", "--no-chain-dispatch"], first.io)).toBe(
      EXIT.partial,
    );
    const hint = /^Re-drive the dead letters with: npm start -- (.+)$/m.exec(first.out.stderr)?.[1];
    expect(hint).toBe(
      `--thread hinted --redrive all --checkpointer ${checkpointer} --example trip --max-parallel 2 --no-chain-dispatch`,
    );
    const again = captureCli(dir);
    expect(await main(hint!.split(" "), again.io)).toBe(EXIT.partial);
    expect(again.out.stderr).not.toContain("no checkpoint");
    expect(again.out.stderr).toContain("started   flight [flight_agent] attempt 1");
    expect(again.out.stderr).toContain("Partial result: 2 of 3 tasks have no result.");
  });
});

describe("an offline plan on LLM workers (issue 20, item 19)", () => {
  it("is refused up front with exit 2, naming each worker that needs a model and its tasks", async () => {
    const dir = tempDir();
    const plan = {
      tasks: [
        task("facts", [], { worker: "researcher" }),
        task("more", [], { worker: "researcher" }),
        task("draft", ["facts"], { worker: "writer" }),
      ],
    };
    writeFileSync(join(dir, "plan.json"), JSON.stringify(plan));
    const { out, io } = captureCli(dir);
    expect(await main(["goal", "--plan", join(dir, "plan.json"), "--checkpointer", "memory"], io)).toBe(EXIT.usage);
    expect(out.stderr).toBe(
      "No model is configured, and the plan's tasks on these LLM workers need one: researcher (facts, more); " +
        "writer (draft). Set OPENAI_API_KEY (and optionally OPENAI_BASE_URL), or give those tasks workers that run " +
        "without a model.\n",
    );
    expect(out.stdout).toBe("");
  });

  it("still runs a plan on workers that need no model", async () => {
    const dir = tempDir();
    const { io } = captureCli(dir);
    const args = ["--example", "trip", "--plan", brokenTripPlan(dir), "--checkpointer", "memory"];
    expect(await main(args, io)).toBe(EXIT.partial);
  });
});

describe("Ctrl-C during the web view's linger (issue 20, item 20)", () => {
  it("exits with the run's code even when the one Ctrl-C arrives three times (relayed by npm and tsx)", async () => {
    const dir = tempDir();
    const lingering = deferred();
    const cli = signalledCli(dir, scriptedProvider({}, { configured: false }), (text) => {
      if (text.includes("stays up for")) lingering.resolve();
    });
    const args = ["--example", "trip", "--plan", brokenTripPlan(dir), "--checkpointer", "memory", "--ui"];
    const done = main(args, cli.io);
    await lingering.promise;
    for (let i = 0; i < 3; i++) cli.signals.emit("SIGINT");
    expect(await done).toBe(EXIT.partial);
    expect(cli.exits).toEqual([EXIT.partial]);
    expect(cli.stderr()).not.toContain("Cancelling");
  });

  it(
    "exits with the run's code under `npm start` when Ctrl-C reaches its whole process group, as a terminal sends it",
    async () => {
      const dir = tempDir();
      const args = ["--example", "trip", "--plan", brokenTripPlan(dir), "--checkpointer", "memory", "--ui"];
      const child = spawn("npm", ["start", "--silent", "--", ...args], {
        cwd: ROOT,
        detached: true,
        env: { ...process.env, LANGSMITH_TRACING: "false" },
        stdio: ["ignore", "ignore", "pipe"],
      });
      let stderr = "";
      let pressed = false;
      child.stderr.on("data", (chunk: Buffer) => {
        stderr += chunk.toString();
        // One press: a terminal sends it to the whole process group once.
        if (!pressed && stderr.includes("stays up for")) {
          pressed = true;
          process.kill(-child.pid!, "SIGINT");
        }
      });
      const code = await new Promise<number | null>((done) => child.on("close", done));
      expect(code, stderr).toBe(EXIT.partial);
    },
    CLI_DEADLINE_MS,
  );
});

describe("the --no- flags' help (issue 20, item 21)", () => {
  it("says what each turns off", () => {
    const onByDefault = Object.entries(SettingsSchema.shape)
      .filter(([, schema]) => schema.parse(undefined) === true)
      .map(([key]) => key);
    expect(Object.keys(TURNS_OFF).sort()).toEqual(onByDefault.sort());
    const help = usage([]);
    expect(help).toMatch(/^ {2}--no-chain-dispatch +Turns off chain dispatch: in waves, .+ \(on by default\)$/m);
    expect(help).toMatch(/^ {2}--no-announce-plan +Turns off the plan announcement: .+ \(on by default\)$/m);
  });
});

describe("POSTGRES_URL in the environment (issue 20, item 22)", () => {
  it("is said on stderr when it becomes the checkpointer, without its password", async () => {
    const { out, io } = captureCli(tempDir());
    io.env = { POSTGRES_URL: "postgres://me:secret@127.0.0.1:1/db" };
    expect(await main(["--example", "trip"], io)).not.toBe(EXIT.done);
    expect(out.stderr.split("\n")[0]).toBe(
      "Checkpointer: POSTGRES_URL from the environment (postgres://me:***@127.0.0.1:1/db); " +
        "pass --checkpointer or set ORCHESTRATOR_CHECKPOINTER to choose another.",
    );
    expect(out.stderr).not.toContain("secret");
  });

  it("is not mentioned when --checkpointer chooses", async () => {
    const { out, io } = captureCli(tempDir());
    io.env = { POSTGRES_URL: "postgres://me:secret@127.0.0.1:1/db" };
    expect(await main(["--example", "trip", "--checkpointer", "memory"], io)).toBe(EXIT.done);
    expect(out.stderr).not.toContain("POSTGRES_URL");
  });
});

describe("importing the package (issue 20, item 14)", () => {
  it("builds no graph: a bad ORCHESTRATOR_WORKERS fails the CLI with exit 2 and one line, not an import-time stack", async () => {
    const run = await runCli(["--example", "trip", "--checkpointer", "memory"], {
      env: { ORCHESTRATOR_WORKERS: "/nonexistent.json" },
    });
    expect(run.code).toBe(EXIT.usage);
    expect(run.stderr).toBe(
      "ORCHESTRATOR_WORKERS: Cannot read the workers file /nonexistent.json: ENOENT: no such file or directory, " +
        "open '/nonexistent.json'\n",
    );
  });

  it("reads no workers file at import; the exported graph is built at its first use", async () => {
    const dir = tempDir();
    const script = join(dir, "import.mts");
    writeFileSync(
      script,
      [
        `await import(${JSON.stringify(resolve(ROOT, "src/index.ts"))});`,
        `const { graph } = await import(${JSON.stringify(resolve(ROOT, "graphs/orchestrator.ts"))});`,
        'process.stdout.write("imported\\n");',
        'try { graph.invoke; } catch (error) { console.log([error.constructor.name, error.message].join(": ")); }',
      ].join("\n"),
    );
    const run = await runCli([], { entry: script, env: { ORCHESTRATOR_WORKERS: "/nonexistent.json" } });
    expect(run.stderr).toBe("");
    expect(run.stdout.split("\n").slice(0, 2)).toEqual([
      "imported",
      expect.stringMatching(/^ConfigError: Cannot read the workers file \/nonexistent\.json/),
    ]);
  });
});
