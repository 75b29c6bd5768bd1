/**
 * The first plan of a run and the round around it: choosing it, adopting it, opening a round and re-driving dead letters.
 */
import { describe, expect, it } from "vitest";
import { PlanValidationError } from "../../src/errors.js";
import { adoptPlan, choosePlan, singleTaskPlan } from "../../src/orchestration/initial-plan.js";
import { redriveUpdate } from "../../src/orchestration/redrive.js";
import { openRound } from "../../src/orchestration/round.js";
import { toRecords } from "../../src/orchestration/task-board.js";
import type { DeadLetter, TaskSpec } from "../../src/schemas.js";
import type { State } from "../../src/state.js";
import { ZERO_USAGE } from "../../src/budget/usage.js";
import { planReply, task } from "../helpers/fixtures.js";
import { estimateTokens, scriptedProvider, type Responder } from "../helpers/scripted-model.js";
import { as, configuredButUnused, recorder, records, registryOf, roundOf, stateOf, table } from "../helpers/boards.js";

describe("choosing the first plan", () => {
  const planner = (...replies: Parameters<typeof planReply>[0][]): Responder => {
    let call = 0;
    return () => planReply(replies[Math.min(call++, replies.length - 1)]!);
  };
  const promptTokens = (provider: ReturnType<typeof scriptedProvider>) =>
    provider.calls.reduce(
      (sum, call) => sum + estimateTokens(call.messages.reduce((chars, m) => chars + (m.content as string).length, 0)),
      0,
    );
  const plan = (...specs: TaskSpec[]) => ({ tasks: specs }) as NonNullable<State["plan"]>;

  it("runs the caller's plan as it is, without asking the planner", async () => {
    const round = roundOf({ state: { plan: plan(task("a"), task("b", ["a"])) }, models: configuredButUnused });
    expect(await choosePlan(round)).toEqual({
      kind: "plan",
      specs: [task("a"), task("b", ["a"])],
      source: "input",
      usage: ZERO_USAGE,
    });
    expect(round.notes).toEqual([]);
  });

  it("accepts a caller's plan whose only problem is a cycle: adopting it breaks the cycle", async () => {
    const round = roundOf({ state: { plan: plan(task("a", ["b"]), task("b", ["a"])) } });
    expect(await choosePlan(round)).toEqual({
      kind: "plan",
      specs: [task("a", ["b"]), task("b", ["a"])],
      source: "input",
      usage: ZERO_USAGE,
    });
  });

  it("throws a PlanValidationError naming every fatal issue of the caller's plan", async () => {
    const round = roundOf({
      state: { plan: plan(task("a", [], { worker: "poet" }), task("b", ["ghost"])) },
      settings: { maxTasks: 1 },
    });
    const error = await choosePlan(round).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PlanValidationError);
    expect((error as PlanValidationError).issues).toEqual([
      "2 tasks exceed maxTasks=1; merge or drop 1.",
      'Task "a" names unknown worker "poet"; use one of: echo, writer.',
      'Task "b" depends on "ghost", which is not a task in the plan.',
    ]);
    expect((error as Error).message).toBe(
      "Invalid input plan:\n" +
        "  - 2 tasks exceed maxTasks=1; merge or drop 1.\n" +
        '  - Task "a" names unknown worker "poet"; use one of: echo, writer.\n' +
        '  - Task "b" depends on "ghost", which is not a task in the plan.',
    );
  });

  it("prefers the caller's plan over its fallback plan and the planner", async () => {
    const round = roundOf({
      state: { plan: plan(task("a")), fallbackPlan: plan(task("f")) },
      models: configuredButUnused,
    });
    expect(await choosePlan(round)).toEqual({ kind: "plan", specs: [task("a")], source: "input", usage: ZERO_USAGE });
    expect(round.notes).toEqual([]);
  });

  it("takes the planner's plan, with its usage, when a model is configured", async () => {
    const models = scriptedProvider({ planner: planner([task("a"), task("b", ["a"])]) });
    const round = roundOf({ models, state: { fallbackPlan: plan(task("f")) } });
    const chosen = await choosePlan(round);
    const inputTokens = promptTokens(models);
    expect(chosen).toEqual({
      kind: "plan",
      specs: [task("a"), task("b", ["a"])],
      source: "planner",
      usage: { inputTokens, outputTokens: expect.any(Number), totalTokens: expect.any(Number), modelCalls: 1 },
    });
    expect(chosen.usage.totalTokens).toBe(inputTokens + chosen.usage.outputTokens);
    expect(models.callsOf("planner")).toHaveLength(1);
    expect(round.notes).toEqual([]);
  });

  it("notes how many repairs the planner's plan needed", async () => {
    const models = scriptedProvider({ planner: planner([task("a", ["ghost"])], [task("a")]) });
    const round = roundOf({ models, settings: { planRepairs: 2 } });
    const chosen = await choosePlan(round);
    expect(chosen).toEqual(expect.objectContaining({ kind: "plan", specs: [task("a")], source: "planner" }));
    expect(chosen.usage.modelCalls).toBe(2);
    expect(round.notes).toEqual(["The plan was repaired 1 time(s) before it validated."]);
  });

  it("runs the caller's fallback plan when planning fails", async () => {
    const models = scriptedProvider({ planner: planner([task("a", ["ghost"])]) });
    const round = roundOf({
      models,
      settings: { planRepairs: 0, humanFallback: true },
      state: { fallbackPlan: plan(task("f")) },
    });
    const chosen = await choosePlan(round);
    expect(chosen).toEqual(expect.objectContaining({ kind: "plan", specs: [task("f")], source: "caller-fallback" }));
    expect(chosen.usage.modelCalls).toBe(1);
    expect(round.notes).toEqual([
      'Planning failed (Task "a" depends on "ghost", which is not a task in the plan.); the caller\'s fallback plan runs instead.',
    ]);
  });

  it("runs the caller's fallback plan without a configured model, never creating one", async () => {
    const round = roundOf({ state: { fallbackPlan: plan(task("f", [], { worker: "writer" })) } });
    expect(await choosePlan(round)).toEqual({
      kind: "plan",
      specs: [task("f", [], { worker: "writer" })],
      source: "caller-fallback",
      usage: ZERO_USAGE,
    });
    expect(round.notes).toEqual([
      "Planning failed (no model is configured for the planner); the caller's fallback plan runs instead.",
    ]);
  });

  it("asks a human for a breakdown when planning fails, the fallback plan is invalid and humanFallback is on", async () => {
    const models = scriptedProvider({ planner: planner([task("a", ["ghost"], { blocks: [] })]) });
    const round = roundOf({
      models,
      settings: { planRepairs: 0, humanFallback: true },
      state: { fallbackPlan: plan(task("f", [], { worker: "poet" })) },
    });
    const chosen = await choosePlan(round);
    const { blocks: _b, ...draft } = task("a", ["ghost"]);
    const errors = ['Task "a" depends on "ghost", which is not a task in the plan.'];
    expect(chosen).toEqual({
      kind: "human",
      request: { kind: "manual_breakdown", goal: "the goal", tasks: [draft], errors },
      usage: expect.objectContaining({ modelCalls: 1 }),
    });
    expect(round.notes).toEqual([`Planning failed (${errors[0]}); waiting for a human breakdown.`]);
  });

  it("runs the goal as a single task of the default worker when nothing better exists", async () => {
    const round = roundOf({ registry: registryOf("writer", "echo"), state: { goal: "write a haiku" } });
    expect(await choosePlan(round)).toEqual({
      kind: "plan",
      specs: [
        {
          id: "goal",
          title: "write a haiku",
          description: "write a haiku",
          worker: "writer",
          dependsOn: [],
          expectedOutput: "",
          estimatedCost: 1,
          complex: false,
        },
      ],
      source: "single-task",
      usage: ZERO_USAGE,
    });
    expect(round.notes).toEqual([
      "Planning failed (no model is configured for the planner); the goal runs as a single task.",
    ]);
  });

  it("shortens a long goal to 80 characters for the single task's title, keeping it whole in the description", () => {
    const goal = "x".repeat(81);
    const [spec] = singleTaskPlan(goal, "echo");
    expect(spec!.title).toBe(`${"x".repeat(77)}…`);
    expect(spec!.title).toHaveLength(78);
    expect(spec!.description).toBe(goal);
    expect(singleTaskPlan("y".repeat(80), "echo")[0]!.title).toBe("y".repeat(80));
  });
});

describe("adopting a plan", () => {
  it("breaks cycles, notes each dropped edge, emits plan.created and returns the table of pending records", () => {
    const { events, emit } = recorder();
    const notes: string[] = [];
    const specs = [task("a", ["b"]), task("b", ["a"]), task("c", ["c", "a"], { worker: "writer" })];
    const adopted = adoptPlan(specs, "planner", emit, notes);
    const acyclic = [task("a", ["b"]), task("b", []), task("c", ["a"], { worker: "writer" })];
    expect(adopted).toEqual({
      tasks: acyclic,
      table: Object.fromEntries(toRecords(acyclic, "plan", 0).map((record) => [record.id, record])),
      dropped: [
        { task: "b", dependsOn: "a", cycle: ["a", "b", "a"] },
        { task: "c", dependsOn: "c", cycle: ["c", "c"] },
      ],
    });
    expect(notes).toEqual([
      "Dropped dependency b → a to break the cycle a → b → a.",
      "Dropped dependency c → c to break the cycle c → c.",
    ]);
    expect(events).toEqual([
      {
        type: "plan.created",
        source: "planner",
        tasks: [
          { id: "a", title: "Task a", worker: "echo", dependsOn: ["b"] },
          { id: "b", title: "Task b", worker: "echo", dependsOn: [] },
          { id: "c", title: "Task c", worker: "writer", dependsOn: ["a"] },
        ],
      },
    ]);
  });

  it("adopts an acyclic plan unchanged, without notes", () => {
    const { events, emit } = recorder();
    const notes: string[] = [];
    const adopted = adoptPlan([task("a"), task("b", ["a"])], "input", emit, notes);
    expect(adopted.tasks).toEqual([task("a"), task("b", ["a"])]);
    expect(adopted.dropped).toEqual([]);
    expect(Object.values(adopted.table).map((r) => [r.id, r.status, r.origin, r.order])).toEqual([
      ["a", "pending", "plan", 0],
      ["b", "pending", "plan", 1],
    ]);
    expect(notes).toEqual([]);
    expect(events.map((e) => e.type)).toEqual(["plan.created"]);
  });
});

describe("opening a round", () => {
  it("resolves the run's settings over the defaults, stamps events onto the stream and creates the planner once, on first use", () => {
    const written: unknown[] = [];
    const created: string[] = [];
    const models = scriptedProvider({ planner: () => "unused" });
    const counting = {
      configured: true,
      create: (request: Parameters<typeof models.create>[0]) => (
        created.push(`${request.role}:${request.model}`), models.create(request)
      ),
    };
    const round = openRound(
      roundOf().state,
      {
        context: { maxParallel: 3 },
        configurable: { plannerModel: "planner-x" },
        writer: (chunk: unknown) => written.push(chunk),
      },
      { registry: registryOf("echo"), models: counting, settings: { maxParallel: 5, maxTasks: 7 } },
    );
    expect([round.settings.maxParallel, round.settings.maxTasks, round.settings.plannerModel]).toEqual([
      3,
      7,
      "planner-x",
    ]);
    expect(created).toEqual([]);
    expect(round.planner()).toBe(round.planner());
    expect(created).toEqual(["planner:planner-x"]);
    round.emit({ type: "task.queued", taskId: "a", worker: "echo", rank: 1 });
    expect(written).toEqual([{ type: "task.queued", taskId: "a", worker: "echo", rank: 1, ts: expect.any(String) }]);
  });
});

describe("re-driving dead letters", () => {
  it("clears a budget's stop reason in a form that survives the server's JSON transport", () => {
    const [a, b] = records(task("a"), task("b", ["a"]));
    const state = stateOf({
      tasks: table(
        as(a, { status: "dead" }),
        as(b, { status: "skipped", blockedBy: "a", reason: 'dependency "a" is dead' }),
      ),
      deadLetters: [{ taskId: "a" } as DeadLetter],
      stopReason: "run budget reached: 2 model calls made of 2",
    });
    const { update, requeued } = redriveUpdate(state, ["a"]);
    expect(requeued).toEqual(["a", "b"]);
    expect(JSON.parse(JSON.stringify(update))).toMatchObject({
      stopReason: null,
      deadLetters: [],
      tasks: { a: { status: "pending" }, b: { status: "pending" } },
    });
  });
});
