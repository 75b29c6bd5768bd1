import { describe, expect, it } from "vitest";
import { dependencyLevels, planOutline, shortDuration, timingTable } from "../../src/cli/event-lines.js";
import { taskSummaries, type TaskSummary } from "../../src/app/run.js";
import { formatDuration, markdownReport, planDiagram, type ReportInput } from "../../src/cli/report.js";
import { templateAnswer } from "../../src/orchestration/template-answer.js";
import type { State } from "../../src/state.js";
import { echoWorker, harness, task, type WorkLog } from "../helpers/fixtures.js";

const T0 = Date.UTC(2026, 4, 12, 9, 0, 0);

function row(id: string, dependsOn: string[], fields: Partial<TaskSummary> = {}): TaskSummary {
  return {
    id,
    title: `Task ${id}`,
    worker: "echo",
    dependsOn,
    status: "done",
    origin: "plan",
    attempts: 1,
    durationMs: 0,
    tokens: 0,
    output: "",
    ...fields,
  };
}

/** A report's input for a hand-built run on thread `t` with no dead letters, usage or notes; override anything. */
const reportOf = (fields: Partial<ReportInput> & Pick<ReportInput, "status" | "tasks">): ReportInput => ({
  goal: "g",
  threadId: "t",
  answer: "",
  deadLetters: [],
  usage: { inputTokens: 0, outputTokens: 0, totalTokens: 0, modelCalls: 0 },
  notes: [],
  ...fields,
});

/** A finished run: a retried, b done, c dead after three attempts, d skipped because of c. */
async function failedRun() {
  const workers = (log: WorkLog) => [
    echoWorker(log, {
      behaviour: (input, attempt) => {
        if (input.task.id === "c") throw new Error("the | source is down");
        if (input.task.id === "a" && attempt === 1) throw new Error("flaky");
        return undefined;
      },
    }),
  ];
  const h = harness({ workers });
  const summary = await h.run({
    goal: "Compare the sources",
    plan: { tasks: [task("a"), task("b", ["a"]), task("c", ["a"]), task("d", ["b", "c"])] },
  });
  const state = (await h.graph.getState({ configurable: { thread_id: "thread-1" } })).values as State;
  return { summary, state };
}

describe("the plan diagram", () => {
  it("is a mermaid graph TD with a node per task (id and worker), an edge per dependency, dead and skipped styled", () => {
    const rows = [
      row("fetch", [], { worker: "researcher" }),
      row("end", ["fetch"], { worker: "writer", status: "dead" }),
      row("x-ray", ["fetch"], { worker: "analyst" }),
      row("publish", ["end", "x-ray", "gone"], { worker: "writer", status: "skipped" }),
    ];
    expect(planDiagram(rows)).toBe(
      [
        "graph TD",
        '  t0["fetch<br/><i>researcher</i>"]',
        '  t1["end<br/><i>writer</i>"]',
        '  t2["x-ray<br/><i>analyst</i>"]',
        '  t3["publish<br/><i>writer</i>"]',
        "  t0 --> t1",
        "  t0 --> t2",
        "  t1 --> t3",
        "  t2 --> t3",
        "  classDef dead fill:#fde2e2,stroke:#c0392b,color:#7b241c",
        "  class t1 dead",
        "  classDef skipped fill:#eeeeee,stroke:#999999,color:#666666,stroke-dasharray:4 3",
        "  class t3 skipped",
      ].join("\n"),
    );
  });

  it("has no class lines when nothing died or was skipped", () => {
    expect(planDiagram([row("a", []), row("b", ["a"])])).toBe(
      'graph TD\n  t0["a<br/><i>echo</i>"]\n  t1["b<br/><i>echo</i>"]\n  t0 --> t1',
    );
  });
});

describe("the terminal final view", () => {
  const rows = [
    row("flight", [], { worker: "flight_agent", startedAt: new Date(T0).toISOString(), durationMs: 400, tokens: 120 }),
    row("weather", [], {
      worker: "packing_advisor",
      startedAt: new Date(T0 + 100).toISOString(),
      durationMs: 200,
      attempts: 2,
    }),
    row("hotel", ["flight"], {
      worker: "hotel_agent",
      status: "dead",
      attempts: 3,
      startedAt: new Date(T0 + 400).toISOString(),
      durationMs: 400,
    }),
    row("itinerary", ["hotel", "weather"], { worker: "itinerary_planner", status: "skipped", attempts: 0 }),
    row("extra_night", ["flight"], {
      worker: "hotel_agent",
      origin: "follow-up",
      startedAt: new Date(T0 + 400).toISOString(),
      durationMs: 200,
    }),
  ];

  it("groups the plan into dependency levels, one task per line with what it needs", () => {
    expect(dependencyLevels(rows).map((level) => level.map((r) => r.id))).toEqual([
      ["flight", "weather"],
      ["hotel", "extra_night"],
      ["itinerary"],
    ]);
    expect(planOutline(rows)).toBe(
      [
        "Plan: 5 tasks in 3 levels (a ← b: a needs b)",
        "  L1  flight",
        "      weather",
        "  L2  hotel        ← flight  [dead]",
        "      extra_night  ← flight  (follow-up)",
        "  L3  itinerary    ← hotel, weather  [skipped]",
      ].join("\n"),
    );
  });

  it("tabulates status, attempts, time and tokens, with each task's place on a timeline", () => {
    expect(timingTable(rows)).toBe(
      [
        "Timing:",
        "  task         worker             status   attempts    time  tokens  timeline (800ms)",
        "  flight       flight_agent       done            1   400ms     120  ████████████",
        "  weather      packing_advisor    done            2   200ms       0     ██████",
        "  hotel        hotel_agent        dead            3   400ms       0              ████████████",
        "  itinerary    itinerary_planner  skipped         0       –       0",
        "  extra_night  hotel_agent        done            1   200ms       0              ██████",
        "  5 tasks: 3 done, 1 dead, 1 skipped; 120 worker tokens; first start to last finish 800ms",
      ].join("\n"),
    );
  });

  it("writes durations compactly for terminals and in words for reports", () => {
    expect([0, 999, 1000, 59_949, 61_000, 3_600_000].map(shortDuration)).toEqual([
      "0ms",
      "999ms",
      "1.0s",
      "59.9s",
      "1m01s",
      "60m00s",
    ]);
    expect([12.4, 1500, 125_000].map(formatDuration)).toEqual(["12 ms", "1.5 s", "2 min 5 s"]);
  });
});

describe("the Markdown run report", () => {
  it("has the answer, the plan diagram, a task table with timings, attempts and tokens, dead letters and notes", async () => {
    const { summary, state } = await failedRun();
    const rows = taskSummaries(state);
    expect(summary.tasks).toEqual(rows);
    expect(
      rows.map((r) => [r.id, r.worker, r.status, r.attempts, r.tokens, r.output, r.startedAt !== undefined]),
    ).toEqual([
      ["a", "echo", "done", 2, 0, "a:", true],
      ["b", "echo", "done", 1, 0, "b:a", true],
      ["c", "echo", "dead", 3, 0, "", true],
      ["d", "echo", "skipped", 0, 0, "", false],
    ]);
    const report = markdownReport({
      goal: state.goal,
      ...summary,
      notes: ["a note"],
      logFile: "/tmp/runs/thread-1.log",
    });

    expect(report.match(/^#{1,2} .*$/gm)).toEqual([
      "# Run report: Compare the sources",
      "## Answer",
      "## Plan",
      "## Tasks",
      "## Dead letters",
      "## Notes",
    ]);
    expect(report).toContain(
      [
        "- Thread: `thread-1`",
        "- Status: partial; 2/4 tasks done, 1 dead, 1 skipped",
        "- Plan source: input",
        "- Usage: 0 tokens in 0 model calls",
        "- Run log: `/tmp/runs/thread-1.log`",
      ].join("\n"),
    );
    expect(report).toContain("### Compare the sources\n\n_Offline mode: no model is configured");
    expect(report).toContain(`\`\`\`mermaid\n${planDiagram(rows)}\n\`\`\``);
    expect(report).toContain("  class t2 dead\n");
    expect(report).toContain("  class t3 skipped\n");
    const table = report.split("## Tasks\n\n")[1]!.split("\n\n")[0]!.split("\n");
    expect(table.slice(0, 2)).toEqual([
      "| Task | Worker | Status | Attempts | Duration | Tokens |",
      "| --- | --- | --- | ---: | ---: | ---: |",
    ]);
    expect(table.slice(2).map((line) => line.replace(/\| \d+ ms \|/, "| N ms |"))).toEqual([
      "| `a` | echo | done | 2 | N ms | 0 |",
      "| `b` | echo | done | 1 | N ms | 0 |",
      "| `c` | echo | dead | 3 | N ms | 0 |",
      "| `d` | echo | skipped | 0 | – | 0 |",
    ]);
    expect(report).toContain(
      "## Dead letters\n\n- **c** (Task c, echo) after 3 attempt(s): worker: the \\| source is down\n",
    );
    expect(report.endsWith("## Notes\n\n- a note\n")).toBe(true);
  });

  it("says so when there is no answer and no dead letter", () => {
    const report = markdownReport(
      reportOf({ status: "interrupted", tasks: [row("a", [], { status: "pending", attempts: 0 })] }),
    );
    expect(report).toContain("- Status: interrupted; 0/1 tasks done, 0 dead, 0 skipped\n");
    expect(report).toContain("## Answer\n\n_No answer was written._\n");
    expect(report).toContain("## Dead letters\n\nNone.\n");
    expect(report).not.toContain("## Notes");
  });

  it("names why a run budget stopped the run", () => {
    const report = markdownReport(
      reportOf({
        status: "partial",
        stopReason: "run budget reached: 2 model calls made of 2",
        answer: "what exists",
        tasks: [
          row("a", []),
          row("b", ["a"], { status: "skipped", attempts: 0, reason: "run budget reached: 2 model calls made of 2" }),
        ],
      }),
    );
    expect(report).toContain(
      "- Status: partial; 1/2 tasks done, 0 dead, 1 skipped\n- Stopped early: run budget reached: 2 model calls made of 2\n",
    );
  });

  it("keeps the template answer: a labelled report of results with the gaps named", async () => {
    const { state } = await failedRun();
    const tasks = Object.values(state.tasks).sort((a, b) => a.order - b.order);
    const answer = templateAnswer(state.goal, tasks, state.results, ["n"], "fallback");
    expect(answer).toBe(
      [
        "# Compare the sources",
        "_The synthesizer model was unavailable, so this is a template report of the workers' results._",
        "## Task a\n\na:",
        "## Task b\n\nb:a",
        '## Gaps\n\n- **c** (Task c): dead — worker: the | source is down\n- **d** (Task d): skipped — dependency "c" was dead-lettered',
        "## Notes\n\n- n",
      ].join("\n\n"),
    );
  });
});
