import { describe, expect, it } from "vitest";
import { Command, MessagesAnnotation, START, StateGraph } from "@langchain/langgraph";
import { z } from "zod";
import { agentWorker, createOrchestrator, functionWorker, graphWorker, llmReview } from "../../src/index.js";
import { retryLadder } from "../../src/workers/ladder.js";
import { parseSettings } from "../../src/settings.js";
import { echoWorker, harness, planReply, task, type WorkLog } from "../helpers/fixtures.js";
import { httpError, scriptedProvider } from "../helpers/scripted-model.js";

const agent = (name = "agent") =>
  agentWorker({ name, description: "An LLM worker.", systemPrompt: "You do tasks well." });

describe("retry ladder", () => {
  it("changes the temperature on attempt 2 and the model on attempt 3", () => {
    expect(retryLadder(agent(), parseSettings({}))).toEqual([
      { model: "gpt-4o-mini", temperature: 0.2 },
      { model: "gpt-4o-mini", temperature: 0.7, note: "changed temperature" },
      { model: "gpt-4o", temperature: 0.2, note: "fallback model" },
    ]);
  });

  it("follows maxRetries and a worker's own ladder", () => {
    expect(retryLadder(agent(), parseSettings({ maxRetries: 0 }))).toEqual([
      { model: "gpt-4o-mini", temperature: 0.2 },
    ]);
    const custom = { ...agent(), retryLadder: [{ model: "small" }, { model: "big", note: "bigger" }] };
    expect(retryLadder(custom, parseSettings({ maxRetries: 2 }))).toEqual([
      { model: "small" },
      { model: "big", note: "bigger" },
      { model: "big", note: "bigger" },
    ]);
  });

  it("changes no model settings of a graph worker, which brings its own models", () => {
    const graph = graphWorker({
      name: "graph",
      description: "A compiled graph.",
      graph: new StateGraph(MessagesAnnotation)
        .addNode("echo", () => ({}))
        .addEdge(START, "echo")
        .compile(),
    });
    expect(retryLadder(graph, parseSettings({ maxRetries: 2 }))).toEqual([{}, {}, {}]);
  });
});

describe("worker failures", () => {
  it("retries a failed attempt with the next rung's parameters and the previous error in the prompt", async () => {
    let calls = 0;
    const models = scriptedProvider({
      worker: () => {
        if (++calls === 1) throw httpError(500, "upstream exploded");
        return "second time lucky";
      },
    });
    const h = harness({ models, workers: () => [agent()] });
    const summary = await h.run({ goal: "g", plan: { tasks: [task("a", [], { worker: "agent" })] } });
    expect(summary.tasks[0]).toMatchObject({ status: "done", attempts: 2 });
    const state = await h.graph.getState({ configurable: { thread_id: "thread-1" } });
    const result = state.values.results.a;
    expect(
      result.attempts.map((a: { params: unknown; ok: boolean; error?: { kind: string } }) => [
        a.params,
        a.ok,
        a.error?.kind,
      ]),
    ).toEqual([
      [{ model: "gpt-4o-mini", temperature: 0.2 }, false, "server"],
      [{ model: "gpt-4o-mini", temperature: 0.7, note: "changed temperature" }, true, undefined],
    ]);
    const workerCalls = models.callsOf("worker");
    expect(workerCalls.map((c) => [c.model, c.temperature])).toEqual([
      ["gpt-4o-mini", 0.2],
      ["gpt-4o-mini", 0.7],
    ]);
    expect(workerCalls[1]!.prompt).toContain("Your previous attempt was not accepted: server: upstream exploded");
    expect(h.events.filter((e) => "taskId" in e && e.taskId === "a").map((e) => e.type)).toEqual([
      "task.queued",
      "task.started",
      "task.failed",
      "task.retrying",
      "task.started",
      "task.done",
    ]);
  });

  it("dead-letters a task that fails every attempt, skips its dependents and leaves siblings alone", async () => {
    const h = harness({
      workers: (log) => [
        echoWorker(log, {
          behaviour: (input) => {
            if (input.task.id === "a") throw new Error("always broken");
            return undefined;
          },
        }),
      ],
    });
    const summary = await h.run({
      goal: "g",
      plan: { tasks: [task("a"), task("b", ["a"]), task("c", ["b"]), task("sib")] },
    });
    expect(summary.tasks.map((t) => [t.id, t.status, t.reason])).toEqual([
      ["a", "dead", "worker: always broken"],
      ["b", "skipped", 'dependency "a" was dead-lettered'],
      ["c", "skipped", 'dependency "b" was skipped'],
      ["sib", "done", undefined],
    ]);
    expect(h.log.runsOf("a")).toBe(3);
    expect(h.log.runsOf("sib")).toBe(1);
    expect(summary.deadLetters).toHaveLength(1);
    const [letter] = summary.deadLetters;
    expect(letter).toMatchObject({
      taskId: "a",
      task: { id: "a", worker: "echo" },
      error: { kind: "worker", message: "always broken", retryable: true },
    });
    expect(letter!.attempts.map((a) => [a.attempt, a.ok, a.error?.message, a.params.note])).toEqual([
      [1, false, "always broken", undefined],
      [2, false, "always broken", "changed temperature"],
      [3, false, "always broken", "fallback model"],
    ]);
    expect(Date.parse(letter!.at)).not.toBeNaN();
    expect(summary.answer).toMatch(/## Gaps[\s\S]*\*\*a\*\* \(Task a\): dead[\s\S]*\*\*b\*\* \(Task b\): skipped/);
  });

  it("sends a non-retryable error straight to the dead-letter queue", async () => {
    const models = scriptedProvider({
      worker: () => {
        throw httpError(401, "bad key");
      },
    });
    const h = harness({ models, workers: () => [agent()] });
    const summary = await h.run({ goal: "g", plan: { tasks: [task("a", [], { worker: "agent" })] } });
    expect(summary.deadLetters[0]!.attempts).toHaveLength(1);
    expect(summary.deadLetters[0]!.error).toEqual({ kind: "auth", message: "bad key", retryable: false });
    expect(models.callsOf("worker")).toHaveLength(1);
  });

  it("cuts a hanging worker at its timeout and aborts its signal while siblings finish", async () => {
    const signals: AbortSignal[] = [];
    const hang = functionWorker({
      name: "hang",
      description: "Never answers.",
      timeoutMs: 80,
      run: (_input, context) => {
        signals.push(context.signal);
        return new Promise(() => {});
      },
    });
    const h = harness({
      settings: { maxRetries: 1, hungGraceMs: 100 },
      workers: (log) => [echoWorker(log, { delayMs: 20 }), hang],
    });
    const started = Date.now();
    const summary = await h.run({ goal: "g", plan: { tasks: [task("stuck", [], { worker: "hang" }), task("ok")] } });
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(summary.tasks.map((t) => [t.id, t.status])).toEqual([
      ["stuck", "dead"],
      ["ok", "done"],
    ]);
    // It never ends, so no retry starts on top of it: past the grace period it is given up as hung.
    expect(summary.deadLetters[0]!.attempts.map((a) => a.error?.kind)).toEqual(["hung"]);
    expect(signals.map((s) => s.aborted)).toEqual([true]);
  });

  it("cancels a hanging model call through the signal", async () => {
    const aborted: boolean[] = [];
    const models = scriptedProvider(
      { worker: () => "too late" },
      { latencyMs: (call) => (call.role === "worker" ? 10_000 : 0), onAbort: () => aborted.push(true) },
    );
    const h = harness({ models, settings: { maxRetries: 0, workerTimeoutMs: 100 }, workers: () => [agent()] });
    const started = Date.now();
    const summary = await h.run({ goal: "g", plan: { tasks: [task("a", [], { worker: "agent" })] } });
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(summary.deadLetters[0]!.error.kind).toBe("timeout");
    expect(aborted).toEqual([true]);
  });

  it("regenerates an empty result with a clarifying instruction", async () => {
    let calls = 0;
    const models = scriptedProvider({ worker: () => (++calls === 1 ? "   " : "a real answer") });
    const h = harness({ models, workers: () => [agent()] });
    const summary = await h.run({ goal: "g", plan: { tasks: [task("a", [], { worker: "agent" })] } });
    expect(summary.tasks[0]).toMatchObject({ status: "done", attempts: 2 });
    expect(models.callsOf("worker")[1]!.prompt).toContain(
      "empty: the result was empty; answer the task directly and completely",
    );
  });

  it("has the orchestrator's model rewrite a task the worker calls underspecified", async () => {
    const models = scriptedProvider({
      worker: (call) => (call.prompt.includes("Paris") ? "Three days in Paris." : "UNDERSPECIFIED: which city?"),
      planner: () => "Plan three days in Paris for two adults.",
    });
    const h = harness({ models, workers: () => [agent()] });
    const summary = await h.run({
      goal: "trip",
      plan: { tasks: [task("a", [], { worker: "agent", description: "Plan a trip" })] },
    });
    expect(summary.tasks[0]).toMatchObject({ status: "done", attempts: 2 });
    expect(models.callsOf("planner")[0]!.prompt).toContain("which city?");
    const state = await h.graph.getState({ configurable: { thread_id: "thread-1" } });
    expect(state.values.tasks.a.description).toBe("Plan three days in Paris for two adults.");
    expect(state.values.results.a.attempts[0].error).toEqual({
      kind: "underspecified",
      message: "which city?",
      retryable: true,
    });
  });

  it("treats a result that breaks the output schema as a failed attempt", async () => {
    const typed = functionWorker({
      name: "typed",
      description: "Returns a count.",
      outputSchema: z.object({ count: z.number() }),
      run: async (_input, context) =>
        context.attempt === 1 ? { output: "x", data: { count: "many" } } : JSON.stringify({ count: 3 }),
    });
    const h = harness({ workers: () => [typed] });
    const summary = await h.run({ goal: "g", plan: { tasks: [task("a", [], { worker: "typed" })] } });
    const state = await h.graph.getState({ configurable: { thread_id: "thread-1" } });
    expect(summary.tasks[0]!.status).toBe("done");
    expect(state.values.results.a.data).toEqual({ count: 3 });
    expect(state.values.results.a.attempts[0].error.kind).toBe("schema");
    expect(state.values.results.a.attempts[0].error.message).toContain(
      "count: Invalid input: expected number, received string",
    );
  });

  it("feeds a failed semantic check back into the next attempt", async () => {
    const checked = functionWorker({
      name: "checked",
      description: "Must mention a price.",
      check: (result) => (result.output.includes("$") ? undefined : "name a price in dollars"),
      run: async (_input, context) => (context.feedback ? "It costs $10." : "It is cheap."),
    });
    const h = harness({ workers: () => [checked] });
    const summary = await h.run({ goal: "g", plan: { tasks: [task("a", [], { worker: "checked" })] } });
    expect(summary.tasks[0]).toMatchObject({ status: "done", attempts: 2 });
  });

  it("lets the orchestrator's model review a result and request an improvement", async () => {
    let reviews = 0;
    const reviewed = agentWorker({
      name: "reviewed",
      description: "Writes a haiku.",
      systemPrompt: "Write haiku.",
      check: llmReview("Exactly three lines."),
    });
    const models = scriptedProvider({
      worker: (call) => (call.prompt.includes("three lines") ? "one\ntwo\nthree" : "one line"),
      planner: () => ({
        structured:
          ++reviews === 1 ? { accept: false, feedback: "make it three lines" } : { accept: true, feedback: "" },
      }),
    });
    const h = harness({ models, workers: () => [reviewed] });
    const summary = await h.run({ goal: "g", plan: { tasks: [task("a", [], { worker: "reviewed" })] } });
    expect(summary.tasks[0]).toMatchObject({ status: "done", attempts: 2 });
    expect(models.callsOf("planner")[0]!.prompt).toContain("Criteria: Exactly three lines.");
    expect(summary.usage.modelCalls).toBe(4);
  });

  it("truncates an oversized output with a note", async () => {
    const h = harness({
      settings: { maxOutputChars: 100 },
      workers: (log) => [echoWorker(log, { behaviour: () => "x".repeat(250) })],
    });
    await h.run({ goal: "g", plan: { tasks: [task("a")] } });
    const state = await h.graph.getState({ configurable: { thread_id: "thread-1" } });
    expect(state.values.results.a.output).toBe(`${"x".repeat(100)}\n\n[truncated: 150 more characters]`);
  });

  it("drops structured data whose JSON is over maxDataChars, says so in the result and the notes, and runs on", async () => {
    const blob = { rows: "y".repeat(5000) };
    const size = JSON.stringify(blob).length;
    const h = harness({
      settings: { maxOutputChars: 100, maxDataChars: 1000 },
      workers: (log) => [
        echoWorker(log, {
          behaviour: (input) =>
            input.task.id === "a" ? { output: "big", data: blob } : { output: "small", data: { ok: true } },
        }),
      ],
    });
    const summary = await h.run({ goal: "g", plan: { tasks: [task("a"), task("b", ["a"])] } });
    expect(summary.tasks.map((t) => [t.id, t.status])).toEqual([
      ["a", "done"],
      ["b", "done"],
    ]);
    const { results } = (await h.graph.getState({ configurable: { thread_id: "thread-1" } })).values;
    const note = `structured data dropped: its JSON is ${size} characters, over maxDataChars (1000)`;
    expect(results.a.data).toBeUndefined();
    expect(results.a.output).toBe(`big\n\n[${note}]`);
    expect(results.a.notes).toEqual([note]);
    expect(results.b.data).toEqual({ ok: true });
    expect(results.b.notes).toBeUndefined();
    expect(h.log.inputs.find((input) => input.task.id === "b")!.dependencies.a).toEqual({
      title: "Task a",
      worker: "echo",
      output: `big\n\n[${note}]`,
    });
    expect(summary.notes).toContain(`Task "a": ${note}.`);
  });
});

describe("re-driving dead letters", () => {
  it("re-runs only the dead task and the tasks it blocked, then answers again", async () => {
    let broken = true;
    let log!: WorkLog;
    const orchestrator = await createOrchestrator({
      checkpointer: "memory",
      models: scriptedProvider({}, { configured: false }),
      workers: [
        echoWorker((log = new (await import("../helpers/fixtures.js")).WorkLog()), {
          behaviour: (input) => {
            if (input.task.id === "a" && broken) throw new Error("flaky upstream");
            return undefined;
          },
        }),
      ],
    });
    const first = await orchestrator.run("g", {
      threadId: "t",
      plan: { tasks: [task("a"), task("b", ["a"]), task("sib")] },
    });
    expect(first.tasks.map((t) => t.status)).toEqual(["dead", "skipped", "done"]);
    broken = false;
    const second = await orchestrator.redrive("t", ["a"]);
    expect(second.tasks.map((t) => [t.id, t.status])).toEqual([
      ["a", "done"],
      ["b", "done"],
      ["sib", "done"],
    ]);
    expect(second.deadLetters).toEqual([]);
    expect(log.runsOf("a")).toBe(4);
    expect(log.runsOf("b")).toBe(1);
    expect(log.runsOf("sib")).toBe(1);
    expect(second.answer).not.toContain("## Gaps");
    expect(second.notes).toContain("Re-driven: a (and 1 dependent task(s)).");
    await expect(orchestrator.redrive("t", ["sib"])).rejects.toThrow(
      'Task "sib" is not in the dead-letter queue. Dead letters: none.',
    );
    await expect(orchestrator.redrive("t")).rejects.toThrow("The run has no dead letters to re-drive.");
  });
});

describe("run budgets", () => {
  it("stops dispatching when the model-call cap is reached and synthesizes what exists", async () => {
    const models = scriptedProvider({ worker: () => "done", synthesizer: () => "partial answer" });
    const h = harness({ models, settings: { maxModelCalls: 2 }, workers: () => [agent()] });
    const plan = {
      tasks: [
        task("a", [], { worker: "agent" }),
        task("b", ["a"], { worker: "agent" }),
        task("c", ["b"], { worker: "agent" }),
      ],
    };
    const summary = await h.run({ goal: "g", plan });
    expect(summary.tasks.map((t) => [t.id, t.status])).toEqual([
      ["a", "done"],
      ["b", "done"],
      ["c", "skipped"],
    ]);
    expect(summary.tasks[2]!.reason).toBe("run budget reached: 2 model calls made of 2");
    expect(summary.answer).toBe("partial answer");
    const state = await h.graph.getState({ configurable: { thread_id: "thread-1" } });
    expect(state.values.stopReason).toBe("run budget reached: 2 model calls made of 2");
  });

  it("stops at the wall-clock deadline, cancelling the task in flight", async () => {
    const h = harness({ settings: { deadlineMs: 50 }, workers: (log) => [echoWorker(log, { delayMs: 80 })] });
    const summary = await h.run({ goal: "g", plan: { tasks: [task("a"), task("b", ["a"])] } });
    expect(summary.tasks.map((t) => [t.status, t.reason?.replace(/\(\d+ ms\)/, "(… ms)")])).toEqual([
      ["skipped", "run budget reached: the deadline of 50 ms passed (… ms)"],
      ["skipped", 'dependency "a" was skipped'],
    ]);
    expect(summary.deadLetters).toEqual([]);
  });
});

describe("run outcome", () => {
  it("is done when every task is done, with no stop reason", async () => {
    const summary = await harness().run({ goal: "g", plan: { tasks: [task("a"), task("b", ["a"])] } });
    expect(summary.status).toBe("done");
    expect(summary).not.toHaveProperty("stopReason");
  });

  it("is partial when a task is dead-lettered and its dependents are skipped", async () => {
    const h = harness({
      settings: { maxRetries: 0 },
      workers: (log) => [
        echoWorker(log, { behaviour: (input) => (input.task.id === "a" ? { output: "" } : undefined) }),
      ],
    });
    const summary = await h.run({ goal: "g", plan: { tasks: [task("a"), task("b", ["a"]), task("sib")] } });
    expect(summary.tasks.map((t) => [t.id, t.status])).toEqual([
      ["a", "dead"],
      ["b", "skipped"],
      ["sib", "done"],
    ]);
    expect(summary.status).toBe("partial");
    expect(summary).not.toHaveProperty("stopReason");
  });

  it("is partial when a run budget stopped it, and says why in stopReason", async () => {
    const models = scriptedProvider({ worker: () => "done", synthesizer: () => "partial answer" });
    const h = harness({ models, settings: { maxModelCalls: 1 }, workers: () => [agent()] });
    const summary = await h.run({
      goal: "g",
      plan: { tasks: [task("a", [], { worker: "agent" }), task("b", ["a"], { worker: "agent" })] },
    });
    expect(summary.tasks.map((t) => [t.id, t.status])).toEqual([
      ["a", "done"],
      ["b", "skipped"],
    ]);
    expect(summary.status).toBe("partial");
    expect(summary.stopReason).toMatch(/^run budget reached: /);
    expect(summary.stopReason).toBe(
      (await h.graph.getState({ configurable: { thread_id: "thread-1" } })).values.stopReason,
    );
  });
});

describe("planning failures", () => {
  const good = planReply([task("a"), task("b", ["a"])]);

  it("sends validation errors back to the planner and accepts the repaired plan", async () => {
    let calls = 0;
    const models = scriptedProvider({
      planner: () => (++calls === 1 ? planReply([task("a", ["ghost"])]) : good),
      synthesizer: () => "answer",
    });
    const h = harness({ models });
    const summary = await h.run({ goal: "g" });
    expect(summary.planSource).toBe("planner");
    expect(summary.tasks.map((t) => t.id)).toEqual(["a", "b"]);
    expect(models.callsOf("planner")[1]!.prompt).toContain(
      'Task "a" depends on "ghost", which is not a task in the plan.',
    );
    expect(summary.notes).toContain("The plan was repaired 1 time(s) before it validated.");
  });

  it("repairs a malformed structured reply", async () => {
    let calls = 0;
    const models = scriptedProvider({
      planner: () => (++calls === 1 ? "Sure! Here is a plan: step 1…" : good),
      synthesizer: () => "answer",
    });
    const summary = await harness({ models }).run({ goal: "g" });
    expect(summary.planSource).toBe("planner");
    expect(models.callsOf("planner")[1]!.prompt).toContain("The plan could not be parsed");
  });

  const broken = () =>
    scriptedProvider({ planner: () => planReply([task("a", [], { worker: "nobody" })]), synthesizer: () => "answer" });

  it("falls back to the caller's fallback plan when repairs run out", async () => {
    const models = broken();
    const h = harness({ models, settings: { planRepairs: 1 } });
    const summary = await h.run({ goal: "g", fallbackPlan: { tasks: [task("manual")] } } as never);
    expect(models.callsOf("planner")).toHaveLength(2);
    expect(summary.planSource).toBe("caller-fallback");
    expect(summary.tasks.map((t) => [t.id, t.status])).toEqual([["manual", "done"]]);
  });

  it("asks a human for the breakdown when enabled, showing the draft and the errors", async () => {
    const h = harness({ models: broken(), settings: { planRepairs: 0, humanFallback: true } });
    const paused = await h.run({ goal: "g" });
    expect(paused.status).toBe("interrupted");
    expect(paused.review).toMatchObject({
      kind: "manual_breakdown",
      tasks: [{ id: "a", worker: "nobody" }],
      errors: ['Task "a" names unknown worker "nobody"; use one of: echo.'],
    });
    const done = await h.run(new Command({ resume: { tasks: [task("x"), task("y", ["x"])] } }));
    expect(done.planSource).toBe("human");
    expect(done.tasks.map((t) => [t.id, t.status])).toEqual([
      ["x", "done"],
      ["y", "done"],
    ]);
  });

  it("falls back to a single task for the default worker otherwise", async () => {
    const models = scriptedProvider({
      planner: () => {
        throw httpError(401, "bad key");
      },
      synthesizer: () => "answer",
    });
    const summary = await harness({ models }).run({ goal: "just do it" });
    expect(models.callsOf("planner")).toHaveLength(1);
    expect(summary.planSource).toBe("single-task");
    expect(summary.tasks.map((t) => [t.id, t.title, t.worker, t.status])).toEqual([
      ["goal", "just do it", "echo", "done"],
    ]);
    expect(summary.notes[0]).toMatch(/^Planning failed \(The planner call failed \(auth\): bad key\)/);
  });
});
