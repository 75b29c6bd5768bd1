import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import xterm from "@xterm/headless";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { main, type CliIO } from "../../src/cli/main.js";
import { parseCli } from "../../src/cli/args.js";
import { TRIP_GOAL } from "../../src/examples/trip/index.js";
import type { RunSummary } from "../../src/app/run.js";
import type { ModelProvider } from "../../src/models.js";
import { brokenTripPlan } from "../helpers/cli-io.js";
import { planReply, task } from "../helpers/fixtures.js";
import { scriptedProvider } from "../helpers/scripted-model.js";

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "cli-"));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** An offline CLI environment writing into strings. */
function capture(overrides: Partial<CliIO> = {}) {
  const out = { stdout: "", stderr: "" };
  const io: CliIO = {
    stdout: (t) => void (out.stdout += t),
    stderr: (t) => void (out.stderr += t),
    env: {},
    isTTY: false,
    cwd: dir,
    ...overrides,
  };
  return { out, io };
}

/** A duration as the CLI prints it (`12ms`, `1.2s`, `1m02s`): how long things took is not what these tests check. */
const DURATION = String.raw`(?:\d+ms|\d+\.\ds|\d+m\d{2}s)`;

/** Renders terminal output as a terminal of that size would show it (a tty turns \n into CR LF): every line, scrollback included. */
async function renderScreen(output: string, cols: number, rows: number): Promise<string[]> {
  const term = new xterm.Terminal({ cols, rows, scrollback: 1000, convertEol: true, allowProposedApi: true });
  await new Promise<void>((resolve) => term.write(output, resolve));
  const buffer = term.buffer.active;
  const lines = Array.from({ length: buffer.length }, (_, y) => buffer.getLine(y)!.translateToString(true));
  term.dispose();
  return lines;
}

const sqlite = () => `sqlite:${join(dir, "checkpoints.db")}`;
const trip = (...extra: string[]) => ["--example", "trip", "--checkpointer", sqlite(), ...extra];
const readLog = (path: string) =>
  readFileSync(path, "utf8")
    .trimEnd()
    .split("\n")
    .map((line) => JSON.parse(line) as Record<string, unknown> & { event: string; msg: string });

const PLAN_LINE =
  "plan (input): flight; attractions; transit_pass; weather_packing; hotel ← flight; restaurants ← hotel; " +
  "budget_check ← flight,hotel,attractions,transit_pass; itinerary ← flight,hotel,attractions,transit_pass,weather_packing,restaurants,budget_check";
const WORKERS: Record<string, string> = {
  flight: "flight_agent",
  attractions: "attractions_agent",
  transit_pass: "transit_advisor",
  weather_packing: "packing_advisor",
  hotel: "hotel_agent",
  extra_hotel_night: "hotel_agent",
  restaurants: "restaurant_scout",
  budget_check: "budget_checker",
  itinerary: "itinerary_planner",
};
const ran = (id: string) => [
  `started   ${id} [${WORKERS[id]}] attempt 1`,
  `done      ${id} [${WORKERS[id]}] N ms, 0 tokens`,
];
const queued = (id: string, rank: number) => `queued    ${id} [${WORKERS[id]}] rank ${rank}`;

/**
 * The trip run's event lines, wave by wave. Within a group the order is free (parallel workers finish in any
 * order); the groups themselves come in this order.
 */
const TRIP_GROUPS = [
  [PLAN_LINE],
  [queued("flight", 4), queued("attractions", 3), queued("transit_pass", 3), queued("weather_packing", 2)],
  [...ran("flight"), ...ran("attractions"), ...ran("transit_pass"), ...ran("weather_packing")],
  ["follow-up extra_hotel_night [hotel_agent] proposed by flight"],
  [queued("hotel", 3), queued("extra_hotel_night", 3)],
  // Chain dispatch: restaurants (needs only hotel) runs right after hotel in hotel's worker.
  [...ran("hotel"), queued("restaurants", 2), ...ran("restaurants"), ...ran("extra_hotel_night")],
  // … and itinerary (needs budget_check last) right after budget_check.
  [queued("budget_check", 2)],
  [...ran("budget_check"), queued("itinerary", 1), ...ran("itinerary")],
  ["synthesizing the answer from 9 tasks", "synthesis finished (template) in N ms"],
];

/** Splits `lines` into the sizes of `groups` and compares each group as a set; checks started-before-done per task. */
function expectGroups(lines: string[], groups: string[][]) {
  let at = 0;
  for (const group of groups) {
    expect(lines.slice(at, at + group.length).sort()).toEqual([...group].sort());
    at += group.length;
  }
  expect(lines).toHaveLength(at);
  for (const id of Object.keys(WORKERS)) {
    const index = (prefix: string) => lines.findIndex((line) => line.startsWith(`${prefix} ${id} [`));
    expect(index("queued   ")).toBeLessThan(index("started  "));
    expect(index("started  ")).toBeLessThan(index("done     "));
  }
}

describe("the CLI without a terminal", () => {
  it("prints one line per event, then the plan diagram and the timing table on stderr, and the answer on stdout", async () => {
    const { out, io } = capture();
    // Waves, whose rounds group the event lines the same way every run (an eager pool interleaves them by timing).
    expect(await main(trip("--thread", "trip-1", "--scheduling", "waves"), io)).toBe(0);

    const [events, outline, timing, logLine, ...rest] = out.stderr.split("\n\n");
    expect(rest).toEqual([]);
    expectGroups(
      events!.split("\n").map((line) => line.replace(/\d+ ms/g, "N ms")),
      TRIP_GROUPS,
    );
    expect(outline!.split("\n")).toEqual([
      "Plan: 9 tasks in 4 levels (a ← b: a needs b)",
      "  L1  flight",
      "      attractions",
      "      transit_pass",
      "      weather_packing",
      "  L2  hotel              ← flight",
      "      extra_hotel_night  ← flight  (follow-up)",
      "  L3  restaurants        ← hotel",
      "      budget_check       ← flight, hotel, attractions, transit_pass, extra_hotel_night",
      "  L4  itinerary          ← flight, hotel, attractions, transit_pass, weather_packing, restaurants, budget_check, extra_hotel_night",
    ]);
    const table = timing!.split("\n");
    expect(table[0]).toBe("Timing:");
    expect(table[1]).toMatch(
      new RegExp(`^ {2}task {15}worker {13}status {3}attempts {4}time {2}tokens {2}timeline \\(${DURATION}\\)$`),
    );
    expect(table.slice(2, 11).map((line) => line.split(/ {2,}/).slice(1, 6))).toEqual(
      [
        "flight",
        "attractions",
        "transit_pass",
        "weather_packing",
        "hotel",
        "restaurants",
        "budget_check",
        "itinerary",
        "extra_hotel_night",
      ].map((id) => [id, WORKERS[id], "done", "1", expect.stringMatching(new RegExp(`^${DURATION}$`))]),
    );
    expect(table[11]).toMatch(
      new RegExp(`^ {2}9 tasks: 9 done, 0 dead, 0 skipped; 0 worker tokens; first start to last finish ${DURATION}$`),
    );
    expect(table).toHaveLength(12);
    expect(logLine).toBe("Run log: runs/trip-1.log\n");

    expect(
      out.stdout.startsWith(
        `# ${TRIP_GOAL}\n\n_Offline mode: no model is configured, so this is a template report of the workers' results._\n\n## Choose the flight\n`,
      ),
    ).toBe(true);
    expect(out.stdout).toContain(
      "## Book an extra hotel night for the after-midnight arrival\n\nExtra night at Hôtel Rue Cler",
    );
    expect(
      out.stdout.endsWith("\n\n— 9/9 tasks done, 0 dead-lettered, 0 tokens in 0 model calls (thread trip-1)\n"),
    ).toBe(true);
  });

  it("with --json prints one JSON object with the run log's path and nothing on stderr", async () => {
    const { out, io } = capture();
    expect(await main(trip("--json", "--thread", "trip-json"), io)).toBe(0);
    expect(out.stderr).toBe("");
    const summary = JSON.parse(out.stdout) as RunSummary & { logFile: string };
    expect(summary.logFile).toBe(join(dir, "runs", "trip-json.log"));
    expect(existsSync(summary.logFile)).toBe(true);
    expect(summary.tasks.map((t) => [t.id, t.status])).toEqual(
      Object.keys(WORKERS)
        .filter((id) => id !== "extra_hotel_night")
        .concat("extra_hotel_night")
        .map((id) => [id, "done"]),
    );
    expect(summary.answer.length).toBeGreaterThan(1000);
    expect(Object.keys(summary)).not.toContain("reportFile");
  });

  it("logs the run as JSON lines next to the checkpoint file: every event, then a result line per task", async () => {
    const { io } = capture();
    expect(await main(trip("--json", "--thread", "trip-log"), io)).toBe(0);
    const lines = readLog(join(dir, "runs", "trip-log.log"));

    expect(lines[0]).toMatchObject({
      level: 30,
      threadId: "trip-log",
      event: "run.started",
      command: "run",
      checkpointer: "sqlite",
      goal: TRIP_GOAL,
    });
    const events = lines.slice(1, -10);
    const counts: Record<string, number> = {};
    for (const line of events) counts[line.event] = (counts[line.event] ?? 0) + 1;
    expect(counts).toEqual({
      "plan.created": 1,
      "task.queued": 9,
      "task.started": 9,
      "task.done": 9,
      "task.follow_up": 1,
      "synthesis.started": 1,
      "synthesis.finished": 1,
    });
    for (const line of events) {
      expect(typeof line.ts).toBe("string");
      expect(typeof line.elapsedMs).toBe("number");
      expect(typeof line.time).toBe("string");
    }
    const done = events.filter((line) => line.event === "task.done");
    for (const line of done)
      expect(line).toMatchObject({
        worker: WORKERS[line.taskId as string],
        attempts: 1,
        durationMs: expect.any(Number),
      });
    expect(events.find((line) => line.event === "task.follow_up")).toMatchObject({
      taskId: "extra_hotel_night",
      from: "flight",
      accepted: true,
    });

    const results = lines.slice(-10, -1);
    expect(results.map((line) => [line.event, line.taskId, line.status, line.attempts])).toEqual(
      [
        "flight",
        "attractions",
        "transit_pass",
        "weather_packing",
        "hotel",
        "restaurants",
        "budget_check",
        "itinerary",
        "extra_hotel_night",
      ].map((id) => ["task.result", id, "done", 1]),
    );
    for (const line of results) {
      expect(line).toMatchObject({ durationMs: expect.any(Number), tokens: 0, startedAt: expect.any(String) });
      expect((line.output as string).length).toBeGreaterThan(20);
      expect((line.output as string).length).toBeLessThanOrEqual(200);
    }
    expect(results.find((line) => line.taskId === "itinerary")!.output).toMatch(
      /^# Paris: Tue 12 May – Fri 15 May, 2 travellers ## Day 1 .*…$/,
    );
    expect(results.find((line) => line.taskId === "extra_hotel_night")).toMatchObject({
      origin: "follow-up",
      output: expect.stringMatching(/^Extra night at Hôtel Rue Cler/),
    });
    expect(lines.at(-1)).toMatchObject({
      event: "run.finished",
      status: "done",
      tasks: 9,
      done: 9,
      dead: 0,
      skipped: 0,
      deadLetters: [],
      goal: TRIP_GOAL,
    });
  });

  it("writes a Markdown report with --report and names it in the JSON object", async () => {
    const { out, io } = capture();
    const file = join(dir, "out", "trip.md");
    expect(await main(trip("--json", "--thread", "trip-report", "--report", file), io)).toBe(0);
    expect(JSON.parse(out.stdout)).toMatchObject({ reportFile: file, logFile: join(dir, "runs", "trip-report.log") });
    const report = readFileSync(file, "utf8");
    expect(
      report.startsWith(
        `# Run report: ${TRIP_GOAL}\n\n- Thread: \`trip-report\`\n- Status: done; 9/9 tasks done, 0 dead, 0 skipped\n`,
      ),
    ).toBe(true);
    expect(report).toContain('```mermaid\ngraph TD\n  t0["flight<br/><i>flight_agent</i>"]\n');
    expect(report).toContain('  t8["extra_hotel_night<br/><i>hotel_agent</i>"]\n');
    expect(report).toContain("  t0 --> t8\n");
    expect(report).toContain("  t8 --> t6\n");
    expect(report).toMatch(
      /^\| `extra_hotel_night` \| hotel_agent \| done \(follow-up\) \| 1 \| (?:\d+ ms|\d+\.\d s|\d+ min \d+ s) \| 0 \|$/m,
    );
    expect(report).toContain("## Dead letters\n\nNone.\n");
  });

  it("keeps a thread's runs in one log: a run paused for review, then its approval", async () => {
    const first = capture();
    expect(await main(trip("--thread", "trip-review", "--review-plan"), first.io)).toBe(3);
    expect(first.out.stderr).toBe(`${PLAN_LINE}\nRun log: runs/trip-review.log\n`);
    expect(
      first.out.stdout.startsWith("The plan waits for your review:\n  - flight [flight_agent] Choose the flight\n"),
    ).toBe(true);

    const second = capture();
    expect(await main(trip("--thread", "trip-review", "--approve", "--review-plan"), second.io)).toBe(0);
    expect(second.out.stderr.split("\n")[0]).toBe(queued("flight", 4));
    const lines = readLog(join(dir, "runs", "trip-review.log"));
    expect(
      lines.filter((line) => line.event.startsWith("run.")).map((line) => [line.event, line.command ?? line.status]),
    ).toEqual([
      ["run.started", "run"],
      ["run.finished", "interrupted"],
      ["run.started", "resume"],
      ["run.finished", "done"],
    ]);
  });

  it("goes on without a run log it cannot write, and says so", async () => {
    writeFileSync(join(dir, "runs"), "not a directory");
    const { out, io } = capture();
    expect(await main(trip("--json", "--thread", "no-log"), io)).toBe(0);
    expect(out.stderr).toMatch(
      /^Cannot write the run log .*no-log\.log \((ENOTDIR|EEXIST)\); the run goes on without it\.\n$/,
    );
    const summary = JSON.parse(out.stdout) as RunSummary;
    expect(summary.tasks.every((t) => t.status === "done")).toBe(true);
    expect(Object.keys(summary)).not.toContain("logFile");
  });

  it("puts the run log under .orchestrator/runs when the checkpointer has no file", async () => {
    const { out, io } = capture();
    expect(await main(["--example", "trip", "--checkpointer", "memory", "--thread", "mem/1"], io)).toBe(0);
    expect(out.stderr.trimEnd().split("\n").at(-1)).toBe("Run log: .orchestrator/runs/mem_1.log");
    expect(readLog(join(dir, ".orchestrator", "runs", "mem_1.log")).at(-1)).toMatchObject({
      event: "run.finished",
      threadId: "mem/1",
    });
  });

  it("documents --report and rejects a missing report file name", async () => {
    const help = capture();
    expect(await main(["--help"], help.io)).toBe(0);
    expect(help.out.stdout).toContain(
      "  --report <file.md>            Also write a Markdown report: answer, plan diagram, task timings, dead letters.\n",
    );
    const bad = capture();
    expect(await main(["--example", "trip", "--report", ""], bad.io)).toBe(2);
    expect(bad.out.stderr).toBe(
      'Invalid value for --report: "" (expected a file name such as report.md)\nRun with --help for usage.\n',
    );
  });

  it("plans with a model that counts as configured only once prepared (another provider's), instead of running the example's bundled plan", async () => {
    const scripted = scriptedProvider({
      // Two tasks: the answer of a one-task plan is its task's output, with no synthesizer call.
      planner: () =>
        planReply([
          task("attractions", [], { worker: "attractions_agent" }),
          task("museums", [], { worker: "attractions_agent" }),
        ]),
      synthesizer: () => "Planned.",
    });
    let prepared = false;
    const models: ModelProvider = {
      get configured() {
        return prepared;
      },
      prepare: async () => void (prepared = true),
      create: (options) => scripted.create(options),
    };
    const { out, io } = capture({ models });
    expect(await main(trip("--json"), io)).toBe(0);
    expect(scripted.callsOf("planner")).toHaveLength(1);
    expect(JSON.parse(out.stdout)).toMatchObject({
      planSource: "planner",
      answer: "Planned.",
      tasks: [
        { id: "attractions", status: "done" },
        { id: "museums", status: "done" },
      ],
    });
  });
});

describe("the CLI's exit codes", () => {
  const brokenPlan = () => brokenTripPlan(dir);

  it("exits 4 when a task is dead-lettered or skipped, naming the tasks without a result on stderr", async () => {
    const { out, io } = capture();
    expect(await main(trip("--plan", brokenPlan(), "--thread", "broken"), io)).toBe(4);
    const block = out.stderr.slice(out.stderr.indexOf("\nPartial result:"));
    expect(block.split("\n").slice(1, 5)).toEqual([
      "Partial result: 2 of 3 tasks have no result.",
      "  flight  dead     worker: The trip request in the task description is invalid: travellers: Too small: expected number to be >=1",
      '  hotel   skipped  dependency "flight" was dead-lettered',
      `Re-drive the dead letters with: npm start -- --thread broken --redrive all --checkpointer ${sqlite()} --example trip`,
    ]);
    expect(out.stdout).toContain("— 1/3 tasks done, 1 dead-lettered");
  });

  it("with --json exits 4 with status partial in the object and nothing on stderr", async () => {
    const { out, io } = capture();
    expect(await main(trip("--plan", brokenPlan(), "--thread", "broken-json", "--json"), io)).toBe(4);
    expect(out.stderr).toBe("");
    const summary = JSON.parse(out.stdout) as RunSummary;
    expect(summary.status).toBe("partial");
    expect(summary.tasks.map((t) => [t.id, t.status])).toEqual([
      ["flight", "dead"],
      ["attractions", "done"],
      ["hotel", "skipped"],
    ]);
    expect(summary).not.toHaveProperty("stopReason");
  });

  it("exits 4 when a run budget stops the run, with the stop reason on stderr and in --json", async () => {
    const plan = join(dir, "chain.json");
    writeFileSync(
      plan,
      JSON.stringify({ tasks: [task("a", [], { worker: "researcher" }), task("b", ["a"], { worker: "researcher" })] }),
    );
    const models = scriptedProvider({ worker: () => "done", synthesizer: () => "what exists" });
    const text = capture({ models });
    expect(
      await main(
        ["g", "--plan", plan, "--checkpointer", sqlite(), "--thread", "budget", "--max-model-calls", "1"],
        text.io,
      ),
    ).toBe(4);
    expect(text.out.stderr).toContain(
      "\nPartial result: 1 of 2 tasks have no result.\n  b  skipped  run budget reached: ",
    );
    expect(text.out.stderr).toMatch(/\nStopped early: run budget reached: .+\n/);
    const json = capture({ models });
    expect(
      await main(
        [
          "g",
          "--plan",
          plan,
          "--checkpointer",
          sqlite(),
          "--thread",
          "budget-json",
          "--max-model-calls",
          "1",
          "--json",
        ],
        json.io,
      ),
    ).toBe(4);
    expect(JSON.parse(json.out.stdout)).toMatchObject({
      status: "partial",
      stopReason: expect.stringMatching(/^run budget reached: /),
    });
  });

  it("exits 2 naming the package to install when a model setting names a provider whose package is missing", async () => {
    const { out, io } = capture({ env: { OPENAI_API_KEY: "test-key" } });
    expect(
      await main(["A goal", "--checkpointer", "memory", "--worker-model", "anthropic:claude-sonnet-4-5"], io),
    ).toBe(2);
    expect(out.stderr).toBe(
      'The model "anthropic:claude-sonnet-4-5" needs the package @langchain/anthropic, which is not installed. Install it with: npm install @langchain/anthropic\n',
    );
  });

  it("are documented in --help", async () => {
    const help = capture();
    expect(await main(["--help"], help.io)).toBe(0);
    expect(help.out.stdout).toContain(
      "  4    partial: some task is dead-lettered or skipped; the missing tasks are named on stderr\n",
    );
  });
});

describe("the CLI on a terminal", () => {
  it("draws the live view on stderr, ends with the final frame, and stops redrawing when it returns", async () => {
    // The live view's ticker is the interval the CLI starts: record each one started and each one cleared.
    const started = new Set<unknown>();
    const cleared = new Set<unknown>();
    const realSetInterval = globalThis.setInterval;
    const realClearInterval = globalThis.clearInterval;
    const setSpy = vi.spyOn(globalThis, "setInterval").mockImplementation(((
      ...args: Parameters<typeof realSetInterval>
    ) => {
      const timer = realSetInterval(...args);
      started.add(timer);
      return timer;
    }) as typeof setInterval);
    const clearSpy = vi.spyOn(globalThis, "clearInterval").mockImplementation((timer) => {
      cleared.add(timer);
      realClearInterval(timer);
    });
    const { out, io } = capture({ isTTY: true, columns: 100, rows: 40, color: false });
    try {
      expect(await main(trip("--thread", "trip-tty"), io)).toBe(0);
    } finally {
      setSpy.mockRestore();
      clearSpy.mockRestore();
    }
    // It ticked while the run went on, and no ticker is left to redraw once it has returned.
    expect(started.size).toBeGreaterThanOrEqual(1);
    expect([...started].filter((timer) => !cleared.has(timer))).toEqual([]);

    // No event lines on a terminal; the first frame was drawn before the plan existed.
    expect(out.stderr).not.toContain("queued    flight");
    expect(out.stderr).toContain("planning…");
    expect(out.stderr.endsWith("Run log: runs/trip-tty.log\n")).toBe(true);
    expect(out.stdout.startsWith(`# ${TRIP_GOAL}\n`)).toBe(true);

    // What the terminal shows: log-update redraws in place (often only the lines that changed), so the
    // raw bytes are rendered and the screen is read. The last frame stays, right above the final view.
    const screen = await renderScreen(out.stderr, 100, 40);
    expect(screen.filter((line) => line.includes("planning…"))).toEqual([]);
    const top = screen.indexOf(TRIP_GOAL);
    expect(top).toBeGreaterThanOrEqual(0);
    const ids = [
      "flight",
      "attractions",
      "transit_pass",
      "weather_packing",
      "hotel",
      "restaurants",
      "budget_check",
      "itinerary",
      "extra_hotel_night",
    ];
    const frame = screen.slice(top + 1, top + 1 + 1 + ids.length + 1);
    expect(frame[0]).toMatch(new RegExp(`^█{24} 9/9 tasks {2}${DURATION}$`));
    for (const [i, id] of ids.entries())
      expect(frame[1 + i]).toMatch(new RegExp(`^✔ ${id} +${WORKERS[id]} +done +attempt 1 +${DURATION}$`));
    expect(frame.at(-1)).toMatch(new RegExp(`^✔ synthesis {2}template ${DURATION}$`));
    expect(screen.slice(top + 1 + frame.length, top + 3 + frame.length)).toEqual([
      "",
      "Plan: 9 tasks in 4 levels (a ← b: a needs b)",
    ]);
    expect(screen.filter((line) => line !== "").at(-1)).toBe("Run log: runs/trip-tty.log");
  });
});

describe("the CLI on a terminal with --json", () => {
  it("draws no live view: stdout stays one JSON object and stderr stays empty", async () => {
    const { out, io } = capture({ isTTY: true, columns: 100, rows: 40, color: false });
    expect(await main(trip("--json", "--thread", "trip-tty-json"), io)).toBe(0);
    expect(out.stderr).toBe("");
    expect(JSON.parse(out.stdout)).toMatchObject({ threadId: "trip-tty-json", status: "done" });
  });
});

describe("npm run demo", () => {
  it("-- --json runs the trip example offline: every task done, the red-eye follow-up run, a non-empty answer", async () => {
    const started = performance.now();
    const { code, stdout } = await new Promise<{ code: number | null; stdout: string }>((resolve, reject) => {
      const child = spawn("npm", ["run", "demo", "--", "--json"], {
        cwd: process.cwd(),
        env: { ...process.env, ORCHESTRATOR_CHECKPOINTER: sqlite(), OPENAI_API_KEY: "", LANGSMITH_TRACING: "false" },
        stdio: ["ignore", "pipe", "pipe"],
      });
      let text = "";
      child.stdout.setEncoding("utf8").on("data", (chunk: string) => (text += chunk));
      child.on("error", reject);
      child.on("close", (exit) => resolve({ code: exit, stdout: text }));
    });
    expect(code).toBe(0);
    expect((performance.now() - started) / 1000).toBeLessThan(20);
    const summary = JSON.parse(stdout.slice(stdout.indexOf("\n{") + 1)) as RunSummary & { logFile: string };
    expect(summary.tasks).toHaveLength(9);
    expect(summary.tasks.filter((t) => t.status !== "done")).toEqual([]);
    expect(summary.tasks.find((t) => t.id === "extra_hotel_night")).toMatchObject({
      worker: "hotel_agent",
      dependsOn: ["flight"],
      attempts: 1,
    });
    expect(summary.tasks.find((t) => t.id === "itinerary")!.dependsOn).toContain("extra_hotel_night");
    expect(summary.answer).toMatch(/^# Plan a 3-day trip to Paris[\s\S]*_Offline mode: no model is configured/);
    expect(summary.logFile.startsWith(join(dir, "runs"))).toBe(true);
  });
});

describe("command-line arguments", () => {
  it("map every setting to a flag, with --no- for settings that default to true", () => {
    const options = parseCli([
      "goal",
      "--max-parallel",
      "3",
      "--strategy",
      "top-down",
      "--review-plan",
      "--no-chain-dispatch",
    ]);
    expect(options.goal).toBe("goal");
    expect(options.settings).toEqual({ maxParallel: 3, strategy: "top-down", reviewPlan: true, chainDispatch: false });
    expect(parseCli(["goal", "--chain-dispatch"]).settings).toEqual({ chainDispatch: true });
  });

  it("name the bad flag and value", () => {
    expect(() => parseCli(["goal", "--max-parallel", "many"])).toThrow(
      'Invalid value for --max-parallel: "many" (Invalid input: expected number, received NaN)',
    );
    expect(() => parseCli(["goal", "--strategy", "random"])).toThrow(/Invalid value for --strategy: "random"/);
    expect(() => parseCli(["goal", "--bogus"])).toThrow("Unknown option '--bogus'.");
    expect(() => parseCli(["goal", "--redrive", ","])).toThrow('Invalid value for --redrive: ","');
    expect(() => parseCli(["--resume"])).toThrow("--resume needs --thread <id>");
    expect(() => parseCli(["goal", "--plan", "/nonexistent/plan.json"])).toThrow(
      'Cannot read plan file "/nonexistent/plan.json": ENOENT',
    );
  });

  it("reads --redrive as all or a list of task ids", () => {
    expect(parseCli(["--thread", "t", "--redrive", "all"]).redrive).toEqual([]);
    expect(parseCli(["--thread", "t", "--redrive", "a, b"]).redrive).toEqual(["a", "b"]);
  });
});
