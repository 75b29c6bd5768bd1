import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { TaskState, type Task } from "@a2a-js/sdk";
import { ClientFactory } from "@a2a-js/sdk/client";
import { describe, expect, it } from "vitest";
import { a2aMain } from "../../src/a2a/main.js";
import { main } from "../../src/cli/main.js";
import { a2aMessage, dataPart, partsText, textPart } from "../../src/workers/a2a-parts.js";
import { startA2aAgent } from "../helpers/a2a-agent.js";
import { captureCli, signalledCli } from "../helpers/cli-io.js";
import { task } from "../helpers/fixtures.js";
import { scriptedProvider } from "../helpers/scripted-model.js";
import { tempDirs } from "../helpers/temp-dirs.js";
import { deferred } from "../helpers/wait.js";

const tempDir = tempDirs("a2a-cli-");
const models = scriptedProvider({}, { configured: false });

describe("npm run a2a", () => {
  it("refuses a missing or bad --port and an unknown flag with exit code 2, naming the value", async () => {
    for (const [argv, message] of [
      [[], "Invalid value for --port: null"],
      [["--port", "nope"], 'Invalid value for --port: "nope"'],
      [["--port", "0", "--url", "here"], 'Invalid value for --url: "here"'],
      [["--port", "0", "--colour"], "Unknown option '--colour'"],
    ] as const) {
      const { io, out } = captureCli(tempDir(), models);
      expect(await a2aMain(argv, io)).toBe(2);
      expect(out.stderr).toContain(message);
      expect(out.stderr).toContain("Run with --help for usage.");
    }
  });

  it("serves a workers file's team, a remote A2A agent included, until SIGTERM, and exits 0", async () => {
    const remote = await startA2aAgent(() => ({ complete: "checked remotely" }), {
      skills: [{ id: "check", name: "Check", description: "Checks facts.", tags: ["fact_check"] }],
    });
    const dir = tempDir();
    const file = join(dir, "team.json");
    const entry = { name: "checker", description: "A remote checker.", a2a: { url: remote.url } };
    writeFileSync(file, JSON.stringify({ workers: [entry] }));
    const listening = deferred<string>();
    const cli = signalledCli(dir, models, (text) => {
      const url = /A2A agent serving (\S+) /.exec(text)?.[1];
      if (url) listening.resolve(url);
    });
    const exit = a2aMain(["--port", "0", "--checkpointer", "memory", "--workers", file], cli.io);
    const url = await Promise.race([listening.promise, exit.then(() => Promise.reject(new Error(cli.stderr())))]);
    const client = await new ClientFactory().createFromUrl(url);
    const [skill] = (await client.getAgentCard()).skills;
    expect(skill).toMatchObject({ id: "checker", description: "A remote checker.\nSkills: Check: Checks facts." });
    expect(skill?.tags).toEqual(["check", "fact_check"]);
    const plan = { plan: { tasks: [task("a", [], { worker: "checker" })] } };
    const message = a2aMessage("user", [textPart("check it"), dataPart(plan)]);
    const done = (await client.sendMessage({
      tenant: "",
      message,
      configuration: undefined,
      metadata: undefined,
    })) as Task;
    expect(done.status?.state).toBe(TaskState.TASK_STATE_COMPLETED);
    expect(partsText(done.artifacts[0]?.parts)).toContain("checked remotely");
    cli.signals.emit("SIGTERM");
    expect(await exit).toBe(0);
    expect(cli.stderr()).toContain("Stopped.");
    await remote.close();
  });
});

describe("npm start with a workers file that names an A2A agent", () => {
  it("shows the planner the agent's card (its skills), and warns, naming the worker, when a card cannot be read", async () => {
    const remote = await startA2aAgent(() => ({ complete: "checked remotely" }), {
      skills: [{ id: "check", name: "Check", description: "Checks facts.", tags: ["fact_check"] }],
    });
    const gone = await startA2aAgent(() => ({ complete: "never asked" }));
    await gone.close();
    const dir = tempDir();
    const file = join(dir, "team.json");
    const workers = [
      { name: "checker", description: "A remote checker.", a2a: { url: remote.url } },
      { name: "gone", description: "An agent that went away.", a2a: { url: gone.url } },
    ];
    writeFileSync(file, JSON.stringify({ workers }));
    const planners: string[] = [];
    const planning = scriptedProvider({
      planner: (call) => {
        planners.push(call.system + call.prompt);
        return { structured: { tasks: [{ id: "a", title: "Check it", worker: "checker" }] } };
      },
      synthesizer: () => "the answer",
    });
    const { io, out } = captureCli(dir, planning);
    const code = await main(["check the claim", "--workers", file, "--checkpointer", "memory", "--json"], io);
    expect([code, out.stderr.split("\n").filter((line) => line.startsWith("Warning:"))]).toEqual([
      0,
      [
        expect.stringMatching(
          new RegExp(
            `^Warning: the agent card of A2A worker "gone" could not be read \\(A2A agent at ${gone.url}: .+\\); `,
          ),
        ),
      ],
    ]);
    expect(planners.join("\n")).toContain("A remote checker.\nSkills: Check: Checks facts.");
    expect(remote.received).toHaveLength(1);
    await remote.close();
  });
});
