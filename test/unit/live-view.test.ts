import { afterEach, describe, expect, it, vi } from "vitest";
import type { OrchestratorEvent } from "../../src/events.js";
import { LiveView, RunProgress, renderFrame } from "../../src/cli/live-view.js";

const T0 = Date.UTC(2026, 4, 12, 9, 0, 0);
const ts = (ms: number) => new Date(T0 + ms).toISOString();
const usage = (totalTokens = 0) => ({
  inputTokens: totalTokens,
  outputTokens: 0,
  totalTokens,
  modelCalls: totalTokens ? 1 : 0,
});

/** A trip-like run: flight done, weather on its second attempt after a timeout, a follow-up proposed. */
const MID_RUN: OrchestratorEvent[] = [
  {
    type: "plan.created",
    ts: ts(0),
    source: "input",
    tasks: [
      { id: "flight", title: "F", worker: "flight_agent", dependsOn: [] },
      { id: "hotel", title: "H", worker: "hotel_agent", dependsOn: ["flight"] },
      { id: "weather", title: "W", worker: "packing_advisor", dependsOn: [] },
      { id: "itinerary", title: "I", worker: "itinerary_planner", dependsOn: ["hotel", "weather"] },
    ],
  },
  { type: "task.queued", ts: ts(5), taskId: "flight", worker: "flight_agent", rank: 3 },
  { type: "task.queued", ts: ts(5), taskId: "weather", worker: "packing_advisor", rank: 2 },
  { type: "task.started", ts: ts(10), taskId: "flight", worker: "flight_agent", attempt: 1 },
  { type: "task.started", ts: ts(10), taskId: "weather", worker: "packing_advisor", attempt: 1 },
  {
    type: "task.failed",
    ts: ts(400),
    taskId: "weather",
    worker: "packing_advisor",
    attempt: 1,
    error: { kind: "timeout", message: "attempt 1 timed out after 390 ms", retryable: true },
  },
  {
    type: "task.retrying",
    ts: ts(400),
    taskId: "weather",
    worker: "packing_advisor",
    attempt: 2,
    reason: "timeout: attempt 1 timed out after 390 ms",
  },
  { type: "task.started", ts: ts(410), taskId: "weather", worker: "packing_advisor", attempt: 2 },
  {
    type: "task.done",
    ts: ts(1210),
    taskId: "flight",
    worker: "flight_agent",
    attempts: 1,
    durationMs: 1200,
    usage: usage(345),
  },
  {
    type: "task.follow_up",
    ts: ts(1300),
    taskId: "extra_night",
    worker: "hotel_agent",
    from: "flight",
    accepted: true,
  },
];

/** The rest of that run: the hotel dies, so the itinerary is skipped; the follow-up runs; synthesis. */
const TO_THE_END: OrchestratorEvent[] = [
  {
    type: "task.done",
    ts: ts(1600),
    taskId: "weather",
    worker: "packing_advisor",
    attempts: 2,
    durationMs: 1590,
    usage: usage(),
  },
  { type: "task.queued", ts: ts(1610), taskId: "hotel", worker: "hotel_agent", rank: 2 },
  { type: "task.queued", ts: ts(1610), taskId: "extra_night", worker: "hotel_agent", rank: 2 },
  { type: "task.started", ts: ts(1620), taskId: "hotel", worker: "hotel_agent", attempt: 1 },
  { type: "task.started", ts: ts(1620), taskId: "extra_night", worker: "hotel_agent", attempt: 1 },
  {
    type: "task.done",
    ts: ts(1700),
    taskId: "extra_night",
    worker: "hotel_agent",
    attempts: 1,
    durationMs: 80,
    usage: usage(),
  },
  {
    type: "task.failed",
    ts: ts(1720),
    taskId: "hotel",
    worker: "hotel_agent",
    attempt: 1,
    error: { kind: "client", message: "HTTP 400", retryable: false },
  },
  {
    type: "task.dead",
    ts: ts(1730),
    taskId: "hotel",
    worker: "hotel_agent",
    attempts: 1,
    error: { kind: "client", message: "HTTP 400", retryable: false },
  },
  {
    type: "task.skipped",
    ts: ts(1730),
    taskId: "itinerary",
    worker: "itinerary_planner",
    reason: 'dependency "hotel" was dead-lettered',
  },
  { type: "synthesis.started", ts: ts(1740), tasks: 5 },
  { type: "synthesis.finished", ts: ts(1790), durationMs: 50, mode: "template" },
];

const progressOf = (events: readonly OrchestratorEvent[]) => {
  const progress = new RunProgress();
  for (const event of events) progress.apply(event);
  return progress;
};

describe("the live view's frame", () => {
  it("shows a spinner while planning, before any task is known", () => {
    const progress = new RunProgress();
    expect(renderFrame(progress, { now: T0, title: "Trip to Paris" })).toBe("Trip to Paris\n⠋ planning…");
  });

  it("shows the progress bar and one line per task with its status, worker, attempt and elapsed time", () => {
    const frame = renderFrame(progressOf(MID_RUN), { now: T0 + 1500, columns: 100, title: "Trip to Paris" });
    expect(frame.split("\n")).toEqual([
      "Trip to Paris",
      "█████░░░░░░░░░░░░░░░░░░░ 1/5 tasks · 1 running  1.5s",
      "✔ flight       flight_agent       done      attempt 1   1.2s  345 tokens",
      "· hotel        hotel_agent        waiting",
      "⠇ weather      packing_advisor    running   attempt 2   1.5s",
      "· itinerary    itinerary_planner  waiting",
      "· extra_night  hotel_agent        waiting                     follow-up of flight",
    ]);
  });

  it("counts a running task's time from its first attempt up to the frame's time", () => {
    const progress = progressOf(MID_RUN);
    const weather = (now: number) =>
      renderFrame(progress, { now, columns: 100 })
        .split("\n")
        .find((line) => line.includes("weather"));
    expect(weather(T0 + 900)).toMatch(/running {3}attempt 2 {2}890ms$/);
    expect(weather(T0 + 62_010)).toMatch(/running {3}attempt 2 {2}1m02s$/);
  });

  it("shows a failed attempt and the retry that follows it with the reason", () => {
    const progress = progressOf(MID_RUN.slice(0, 7));
    const lines = renderFrame(progress, { now: T0 + 400, columns: 120 }).split("\n");
    expect(lines[3]).toBe(
      "↻ weather    packing_advisor    retrying  attempt 1  390ms  timeout: attempt 1 timed out after 390 ms",
    );
    const failed = progressOf(MID_RUN.slice(0, 6));
    expect(renderFrame(failed, { now: T0 + 5000, columns: 120 }).split("\n")[3]).toBe(
      "! weather    packing_advisor    failed    attempt 1  390ms  timeout: attempt 1 timed out after 390 ms",
    );
  });

  it("ends with every task terminal, dead and skipped tasks named with their reason, and the synthesis line", () => {
    const frame = renderFrame(progressOf([...MID_RUN, ...TO_THE_END]), { now: T0 + 9999, columns: 100 });
    expect(frame.split("\n")).toEqual([
      "████████████████████████ 5/5 tasks · 1 dead · 1 skipped  1.8s",
      "✔ flight       flight_agent       done      attempt 1   1.2s  345 tokens",
      "✖ hotel        hotel_agent        dead      attempt 1  100ms  client: HTTP 400",
      "✔ weather      packing_advisor    done      attempt 2   1.6s",
      '⊘ itinerary    itinerary_planner  skipped                     dependency "hotel" was dead-lettered',
      "✔ extra_night  hotel_agent        done      attempt 1   80ms",
      "✔ synthesis  template 50ms",
    ]);
  });

  it("cuts notes at the terminal width and summarises the tasks that do not fit its height, finished ones first", () => {
    const progress = progressOf(MID_RUN);
    const narrow = renderFrame(progress, { now: T0 + 1500, columns: 72 }).split("\n");
    expect(narrow.at(-1)).toBe("· extra_night  hotel_agent        waiting                     follow-u…");
    expect(narrow.every((line) => line.length <= 71)).toBe(true);
    const short = renderFrame(progress, { now: T0 + 1500, columns: 100, rows: 6 }).split("\n");
    expect(short).toEqual([
      "█████░░░░░░░░░░░░░░░░░░░ 1/5 tasks · 1 running  1.5s",
      "· hotel        hotel_agent        waiting",
      "⠇ weather      packing_advisor    running   attempt 2   1.5s",
      "· itinerary    itinerary_planner  waiting",
      "  … 2 more not shown (1 finished, 1 not yet)",
    ]);
  });

  it("keeps what it knows of tasks that ran while the plan streamed once the plan is announced", () => {
    const progress = progressOf([
      { type: "task.queued", ts: ts(0), taskId: "early", worker: "writer", rank: 0 },
      { type: "task.started", ts: ts(1), taskId: "early", worker: "writer", attempt: 1 },
      { type: "task.queued", ts: ts(2), taskId: "dropped", worker: "writer", rank: 0 },
      {
        type: "plan.created",
        ts: ts(3),
        source: "planner",
        tasks: [
          { id: "early", title: "E", worker: "writer", dependsOn: [] },
          { id: "later", title: "L", worker: "writer", dependsOn: ["early"] },
        ],
      },
    ]);
    expect(progress.lines.map((line) => [line.id, line.phase])).toEqual([
      ["early", "running"],
      ["later", "waiting"],
    ]);
  });

  it("adds the subtasks of an expanded task and the tasks a replan adds, and resets a re-queued task", () => {
    const progress = progressOf([
      {
        type: "plan.created",
        ts: ts(0),
        source: "planner",
        tasks: [{ id: "big", title: "B", worker: "writer", dependsOn: [] }],
      },
      { type: "task.expanded", ts: ts(1), taskId: "big", worker: "writer", children: ["big.a", "big.b"] },
      { type: "task.queued", ts: ts(2), taskId: "big.a", worker: "researcher", rank: 1 },
      { type: "plan.replanned", ts: ts(3), reason: "more", added: ["check"], cancelled: [] },
    ]);
    expect(progress.lines.map((line) => [line.id, line.worker, line.phase, line.note])).toEqual([
      ["big", "writer", "expanded", "→ big.a, big.b"],
      ["big.a", "researcher", "queued", undefined],
      ["big.b", "", "waiting", undefined],
      ["check", "", "waiting", "added by replan"],
    ]);
    const redriven = progressOf([
      ...MID_RUN,
      ...TO_THE_END,
      { type: "task.queued", ts: ts(5000), taskId: "hotel", worker: "hotel_agent", rank: 2 },
    ]);
    expect(redriven.lines.find((line) => line.id === "hotel")).toEqual({
      id: "hotel",
      worker: "hotel_agent",
      phase: "queued",
      attempt: 0,
      tokens: 0,
    });
  });

  it("shows a resumed thread's tasks from its state before any event", () => {
    const progress = new RunProgress();
    progress.seed([
      { id: "a", worker: "echo", status: "done", attempts: 1 },
      { id: "b", worker: "echo", status: "dead", attempts: 3, reason: "worker: boom" },
      { id: "c", worker: "echo", status: "running", attempts: 0 },
    ]);
    expect(progress.lines.map((line) => [line.id, line.phase, line.attempt, line.note])).toEqual([
      ["a", "done", 1, undefined],
      ["b", "dead", 3, "worker: boom"],
      ["c", "waiting", 0, undefined],
    ]);
    expect(progress.counts()).toMatchObject({ known: 3, terminal: 2, done: 1, dead: 1, waiting: 1 });
  });
});

describe("the live view on a terminal", () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it("draws at most one frame per interval, ticks while tasks run, and stops its ticker with the final frame", () => {
    vi.useFakeTimers({ now: T0 });
    const writes: string[] = [];
    const view = new LiveView(
      { write: (text) => writes.push(text), columns: 100, rows: 30 },
      { showCursor: true, intervalMs: 100 },
    );
    view.start();
    expect(writes).toHaveLength(1);
    expect(writes[0]).toContain("planning…");
    expect(vi.getTimerCount()).toBe(1);

    for (const event of MID_RUN.slice(0, 5)) view.handle(event);
    expect(writes).toHaveLength(1);
    vi.advanceTimersByTime(100);
    expect(writes).toHaveLength(2);
    expect(writes[1]).toContain("0/4 tasks · 2 running  100ms");
    expect(writes[1]).toContain("⠙ flight     flight_agent       running   attempt 1   90ms");

    vi.advanceTimersByTime(1000);
    expect(writes.length).toBeGreaterThanOrEqual(3);
    expect(writes.at(-1)).toMatch(/running {3}attempt 1 {3}1\.1s/);

    for (const event of [...MID_RUN.slice(5), ...TO_THE_END]) view.handle(event);
    view.stop();
    expect(view.ticking).toBe(false);
    expect(vi.getTimerCount()).toBe(0);
    const final = writes.at(-1)!;
    expect(final).toContain("5/5 tasks · 1 dead · 1 skipped");
    expect(final).toContain("✔ synthesis  template 50ms");
    const count = writes.length;
    view.handle(MID_RUN[0]!);
    view.stop();
    vi.advanceTimersByTime(1000);
    expect(writes).toHaveLength(count);
  });

  it("redraws an event at once when the last frame is older than the interval", () => {
    let now = T0;
    const writes: string[] = [];
    const view = new LiveView({ write: (text) => writes.push(text) }, { showCursor: true, clock: () => now });
    view.handle(MID_RUN[0]!);
    now += 50;
    view.handle(MID_RUN[1]!);
    expect(writes).toHaveLength(1);
    now += 100;
    view.handle(MID_RUN[2]!);
    expect(writes).toHaveLength(2);
    view.stop();
  });
});
