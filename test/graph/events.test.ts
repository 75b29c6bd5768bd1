import { MemorySaver } from "@langchain/langgraph";
import { describe, expect, it } from "vitest";
import { NODES } from "../../nodes/names.js";
import { OrchestratorEventSchema, type OrchestratorEvent } from "../../src/events.js";
import { createOrchestrator, functionWorker } from "../../src/index.js";
import type { TaskResult } from "../../src/schemas.js";
import { echoWorker, harness, task, WorkLog } from "../helpers/fixtures.js";
import { scriptedProvider } from "../helpers/scripted-model.js";
import { deferred, within } from "../helpers/wait.js";

type Step = [OrchestratorEvent["type"], number?];

/** Each task's events in order, as [type, attempt] (`attempt` of started/failed/retrying, `attempts` of done/dead). */
function perTask(events: readonly OrchestratorEvent[]): Record<string, Step[]> {
  const steps: Record<string, Step[]> = {};
  for (const event of events) {
    if (!("taskId" in event)) continue;
    const attempt = "attempt" in event ? event.attempt : "attempts" in event ? event.attempts : undefined;
    (steps[event.taskId] ??= []).push(attempt === undefined ? [event.type] : [event.type, attempt]);
  }
  return steps;
}

function countTypes(events: readonly OrchestratorEvent[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const event of events) counts[event.type] = (counts[event.type] ?? 0) + 1;
  return counts;
}

/** An event without its time stamp, for comparing two runs. */
const untimed = (event: OrchestratorEvent) => {
  const { ts: _ts, ...rest } = event;
  if ("durationMs" in rest) return { ...rest, durationMs: "<ms>" };
  return rest;
};

/** A plan whose tasks retry, die and get skipped: a ok; b fails once; c always fails; d needs c; e needs a and b. */
const FAILURE_PLAN = {
  tasks: [
    task("a", [], { worker: "alpha" }),
    task("b", [], { worker: "beta" }),
    task("c", ["a"], { worker: "alpha" }),
    task("d", ["c"], { worker: "beta" }),
    task("e", ["a", "b"], { worker: "alpha" }),
  ],
};

const failureWorkers = (log: WorkLog) => [
  echoWorker(log, {
    name: "alpha",
    behaviour: (input) => {
      if (input.task.id === "c") throw new Error("boom");
      return undefined;
    },
  }),
  echoWorker(log, {
    name: "beta",
    behaviour: (input, attempt) => {
      if (input.task.id === "b" && attempt === 1) throw new Error("flaky");
      return undefined;
    },
  }),
];

describe("lifecycle events of a scripted run", () => {
  it("gives every task exactly its lifecycle, in order: retries, dead letters and skips included", async () => {
    const h = harness({ workers: failureWorkers });
    const summary = await h.run({ goal: "g", plan: FAILURE_PLAN });

    expect(summary.tasks.map((t) => [t.id, t.status])).toEqual([
      ["a", "done"],
      ["b", "done"],
      ["c", "dead"],
      ["d", "skipped"],
      ["e", "done"],
    ]);
    expect(perTask(h.events)).toEqual({
      a: [["task.queued"], ["task.started", 1], ["task.done", 1]],
      b: [
        ["task.queued"],
        ["task.started", 1],
        ["task.failed", 1],
        ["task.retrying", 2],
        ["task.started", 2],
        ["task.done", 2],
      ],
      c: [
        ["task.queued"],
        ["task.started", 1],
        ["task.failed", 1],
        ["task.retrying", 2],
        ["task.started", 2],
        ["task.failed", 2],
        ["task.retrying", 3],
        ["task.started", 3],
        ["task.failed", 3],
        ["task.dead", 3],
      ],
      d: [["task.skipped"]],
      e: [["task.queued"], ["task.started", 1], ["task.done", 1]],
    });
    expect(countTypes(h.events)).toEqual({
      "plan.created": 1,
      "task.queued": 4,
      "task.started": 7,
      "task.failed": 4,
      "task.retrying": 3,
      "task.done": 3,
      "task.dead": 1,
      "task.skipped": 1,
      "synthesis.started": 1,
      "synthesis.finished": 1,
    });
    expect(h.events[0]).toMatchObject({
      type: "plan.created",
      source: "input",
      tasks: FAILURE_PLAN.tasks.map(({ id, title, worker, dependsOn }) => ({ id, title, worker, dependsOn })),
    });
    expect(h.events.slice(-2)).toMatchObject([
      { type: "synthesis.started", tasks: 5 },
      { type: "synthesis.finished", mode: "template" },
    ]);
  });

  it("names the cause of every failure, dead letter and skip", async () => {
    const h = harness({ workers: failureWorkers });
    await h.run({ goal: "g", plan: FAILURE_PLAN });
    const of = (type: OrchestratorEvent["type"], id: string) =>
      h.events.filter((e) => e.type === type && "taskId" in e && e.taskId === id);

    expect(of("task.failed", "b")).toMatchObject([
      { worker: "beta", error: { kind: "worker", message: "flaky", retryable: true } },
    ]);
    expect(of("task.retrying", "b")).toMatchObject([{ worker: "beta", reason: "worker: flaky" }]);
    expect(of("task.dead", "c")).toMatchObject([
      { worker: "alpha", attempts: 3, error: { kind: "worker", message: "boom" } },
    ]);
    expect(of("task.skipped", "d")).toMatchObject([{ worker: "beta", reason: 'dependency "c" was dead-lettered' }]);
    const index = (type: OrchestratorEvent["type"], id: string) => h.events.indexOf(of(type, id)[0]!);
    expect(index("task.dead", "c")).toBeLessThan(index("task.skipped", "d"));
    expect(index("task.done", "b")).toBeLessThan(index("task.queued", "e"));
  });

  it("are valid against the exported schemas and stamped in order", async () => {
    const h = harness({ workers: failureWorkers });
    await h.run({ goal: "g", plan: FAILURE_PLAN });
    for (const event of h.events) expect(OrchestratorEventSchema.parse(event)).toEqual(event);
    const times = h.events.map((event) => Date.parse(event.ts));
    expect(times.every((time, i) => i === 0 || time >= times[i - 1]!)).toBe(true);
  });
});

describe("lifecycle events under parallel workers", () => {
  const WORKER_OF: Record<string, string> = {
    p1: "alpha",
    p2: "beta",
    p3: "gamma",
    p4: "alpha",
    p5: "beta",
    p6: "gamma",
  };
  /** The order the tests let the tasks finish in: not the plan's order, and the workers interleaved. */
  const FINISH_ORDER = ["p6", "p2", "p4", "p3", "p1", "p5"];
  const plan = { tasks: Object.keys(WORKER_OF).map((id) => task(id, [], { worker: WORKER_OF[id]! })) };

  /**
   * Three workers that hold every task until it is let go, and `observe`, which sees the lifecycle events as
   * the caller receives them: once all six tasks have started it lets the first of FINISH_ORDER finish, and each
   * task.done lets the next one go. So the run only ends if every task.done reaches the caller while the tasks
   * after it are still running (events are live, not delivered at the end of the superstep).
   */
  function gated() {
    const gates = new Map(FINISH_ORDER.map((id) => [id, deferred()]));
    const startedAt: Record<string, number> = {};
    const releasedAt: Record<string, number> = {};
    let next = 0;
    const release = () => {
      const id = FINISH_ORDER[next++];
      if (id === undefined) return;
      releasedAt[id] = performance.now();
      gates.get(id)!.resolve();
    };
    const observe = (event: OrchestratorEvent) => {
      if (event.type === "task.started") startedAt[event.taskId] = performance.now();
      if (event.type === "task.started" && Object.keys(startedAt).length === FINISH_ORDER.length) release();
      if (event.type === "task.done") release();
    };
    const workers = (log: WorkLog) =>
      ["alpha", "beta", "gamma"].map((name) =>
        functionWorker({
          name,
          description: "Holds its task until the test lets it finish.",
          async run(input) {
            const id = input.task.id;
            log.started.push(id);
            log.running++;
            log.maxRunning = Math.max(log.maxRunning, log.running);
            try {
              await gates.get(id)!.promise;
              return `${id}:`;
            } finally {
              log.running--;
            }
          },
        }),
      );
    /** How long the caller saw a task held: from its task.started to its release (a lower bound of its duration). */
    const heldMs = (id: string) => releasedAt[id]! - startedAt[id]!;
    return { workers, observe, heldMs };
  }
  const FINISHING = "the tasks to finish one by one, each let go after the previous task.done arrived";

  it("attribute every event to its own task and worker while six tasks run at once on three workers", async () => {
    const gate = gated();
    const h = harness({ workers: gate.workers });
    await within(h.run({ goal: "g", plan }, { onEvent: gate.observe }), 10_000, FINISHING);

    expect(h.log.maxRunning).toBe(6);
    const taskEvents = h.events.filter((event) => "taskId" in event);
    for (const event of taskEvents)
      expect([event.taskId, event.worker]).toEqual([event.taskId, WORKER_OF[event.taskId]]);
    const types = taskEvents.map((event) => event.type);
    expect(types.lastIndexOf("task.started")).toBeLessThan(types.indexOf("task.done"));
    const done = h.events.filter((event) => event.type === "task.done");
    expect(done.map((event) => event.taskId)).toEqual(FINISH_ORDER);
    for (const event of done) expect(event.durationMs).toBeGreaterThanOrEqual(gate.heldMs(event.taskId) - 1);
    for (const id of Object.keys(WORKER_OF))
      expect(perTask(h.events)[id]).toEqual([["task.queued"], ["task.started", 1], ["task.done", 1]]);
  });

  it("reach a plain graph.stream on the custom mode, matching the worker updates of the same tasks", async () => {
    const gate = gated();
    const h = harness({ workers: gate.workers });
    const stream = await h.graph.stream(
      { goal: "g", plan },
      { configurable: { thread_id: "stream-1" }, streamMode: ["custom", "updates"] },
    );
    const custom: OrchestratorEvent[] = [];
    const results: Record<string, TaskResult> = {};
    const consume = async () => {
      for await (const [mode, payload] of stream as AsyncIterable<[string, unknown]>) {
        if (mode === "custom") custom.push(OrchestratorEventSchema.parse(payload));
        if (mode === "custom") gate.observe(custom.at(-1)!);
        const update = (payload as Record<string, { results?: Record<string, TaskResult> }>)[NODES.worker];
        if (mode === "updates" && update?.results) Object.assign(results, update.results);
      }
    };
    await within(consume(), 10_000, FINISHING);
    const done = custom.filter((event) => event.type === "task.done");
    expect(done.map((event) => [event.taskId, event.worker])).toEqual(
      FINISH_ORDER.map((id) => [id, results[id]!.worker]),
    );
    expect(
      Object.values(results)
        .map((result) => [result.taskId, result.worker])
        .sort(),
    ).toEqual(Object.entries(WORKER_OF).sort());
    const runnerGate = gated();
    const viaRunner = harness({ workers: runnerGate.workers });
    await within(viaRunner.run({ goal: "g", plan }, { onEvent: runnerGate.observe }), 10_000, FINISHING);
    expect(custom.map(untimed)).toEqual(viaRunner.events.map(untimed));
  });
});

describe("the onEvent callback API", () => {
  const chain = { tasks: [task("a"), task("b", ["a"]), task("c", ["b"]), task("d", ["c"])] };

  it("gives the orchestrator's and the run's callbacks the same events as the custom stream", async () => {
    const log = new WorkLog();
    let cFails = true;
    const worker = echoWorker(log, {
      behaviour: (input) => {
        if (input.task.id === "c" && cFails) throw new Error("down");
        return undefined;
      },
    });
    const everyRun: OrchestratorEvent[] = [];
    const orchestrator = await createOrchestrator({
      checkpointer: new MemorySaver(),
      workers: [worker],
      models: scriptedProvider({}, { configured: false }),
      settings: { maxRetries: 0 },
      onEvent: (event) => everyRun.push(event),
    });
    const thisRun: OrchestratorEvent[] = [];
    const summary = await orchestrator.run("g", {
      threadId: "t1",
      plan: chain,
      onEvent: (event) => thisRun.push(event),
    });
    expect(summary.deadLetters.map((letter) => letter.taskId)).toEqual(["c"]);
    expect(everyRun).toEqual(thisRun);
    for (const [i, event] of everyRun.entries()) expect(event).toBe(thisRun[i]);

    const streamed: OrchestratorEvent[] = [];
    const stream = await orchestrator.graph.stream(
      { goal: "g", plan: chain },
      { configurable: { thread_id: "t2" }, streamMode: ["custom", "updates"] },
    );
    for await (const [mode, payload] of stream as AsyncIterable<[string, OrchestratorEvent]>)
      if (mode === "custom") streamed.push(payload);
    expect(streamed.map(untimed)).toEqual(thisRun.map(untimed));
    expect(thisRun.map((event) => ("taskId" in event ? `${event.type} ${event.taskId}` : event.type))).toEqual([
      "plan.created",
      "task.queued a",
      "task.started a",
      "task.done a",
      "task.queued b",
      "task.started b",
      "task.done b",
      "task.queued c",
      "task.started c",
      "task.failed c",
      "task.dead c",
      "task.skipped d",
      "synthesis.started",
      "synthesis.finished",
    ]);

    cFails = false;
    const redriven: OrchestratorEvent[] = [];
    everyRun.length = 0;
    await orchestrator.redrive("t1", ["c"], { onEvent: (event) => redriven.push(event) });
    expect(everyRun).toEqual(redriven);
    expect(redriven.map((event) => ("taskId" in event ? `${event.type} ${event.taskId}` : event.type))).toEqual([
      "task.queued c",
      "task.started c",
      "task.done c",
      "task.queued d",
      "task.started d",
      "task.done d",
      "synthesis.started",
      "synthesis.finished",
    ]);
    await orchestrator.close();
  });
});
