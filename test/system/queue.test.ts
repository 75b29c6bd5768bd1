import { InMemoryStore, MemorySaver } from "@langchain/langgraph";
import { Queue, QueueEvents } from "bullmq";
import { Redis } from "ioredis";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { QueuedRunFailedError, QueueFullError, ThreadBusyError } from "../../src/errors.js";
import { queueMain } from "../../src/cli/queue-status.js";
import { queueStatus } from "../../src/queue/status.js";
import { createExecutor, type Executor, type ExecutorOptions } from "../../src/queue/executor.js";
import { followRun, submitRun, type RunEntry } from "../../src/queue/runs.js";
import { createOrchestrator } from "../../src/index.js";
import { createTaskQueue, createTaskWorker, taskJobId } from "../../src/queue/tasks.js";
import { resolveSettings } from "../../src/settings.js";
import { HANDOFF_VERSION } from "../../src/worker-contract.js";
import { QUEUES, resolveQueueOptions } from "../../src/queue/connection.js";
import { functionWorker, WorkerRegistry } from "../../src/workers/registry.js";
import { task, WorkLog, echoWorker } from "../helpers/fixtures.js";
import { scriptedProvider } from "../helpers/scripted-model.js";
import { queuePrefixes, REDIS_URL } from "../helpers/queue.js";
import { deferred } from "../helpers/wait.js";

/** A fresh key prefix per test: queues under different prefixes never see each other's jobs. */
const queues = queuePrefixes("test");
const url = queues.url;
afterAll(() => (REDIS_URL ? queues.cleanUp() : undefined));

describe.runIf(REDIS_URL)("runs on the job queue (in-process executors)", () => {
  const executors: Executor[] = [];
  const start = async (options: Partial<ExecutorOptions> & Pick<ExecutorOptions, "queue">) => {
    const executor = await createExecutor({
      checkpointer: "memory",
      models: scriptedProvider({}, { configured: false }),
      ...options,
    });
    executors.push(executor);
    return executor;
  };
  afterEach(async () => {
    await Promise.all(executors.splice(0).map((executor) => executor.close()));
  });

  it("runs a submitted goal on an executor and follows it to the same summary a local run gives", async () => {
    const queue = { url: url() };
    const log = new WorkLog();
    await start({ queue, workers: [echoWorker(log)], name: "ex-a" });
    const plan = { tasks: [task("a"), task("b", ["a"])] };
    const { threadId } = await submitRun(queue, "two steps", { plan });
    const entries: RunEntry[] = [];
    const { summary, goal } = await followRun(queue, threadId, { onEntry: (entry) => entries.push(entry) });
    expect(goal).toBe("two steps");
    expect(summary.status).toBe("done");
    expect(summary.threadId).toBe(threadId);
    expect(summary.tasks.map((t) => [t.id, t.status, t.output])).toEqual([
      ["a", "done", "a:"],
      ["b", "done", "b:a"],
    ]);
    expect(log.started).toEqual(["a", "b"]);
    expect(entries[0]).toEqual({ executor: "ex-a", kind: "started", resumed: false });
    expect(entries.filter((entry) => entry.kind === "event").map((entry) => entry.event.type)).toContain("task.done");
    expect(new Set(entries.map((entry) => entry.executor))).toEqual(new Set(["ex-a"]));
  });

  it("refuses a run when maxQueued runs are waiting, naming the count and the bound", async () => {
    const queue = { url: url(), maxQueued: 2 };
    await submitRun(queue, "one");
    await submitRun(queue, "two");
    const refused = submitRun(queue, "three");
    await expect(refused).rejects.toBeInstanceOf(QueueFullError);
    await expect(refused).rejects.toThrow("The run queue is full: 2 runs are waiting (maxQueued 2)");
  });

  it("refuses a second run on a thread whose run is still queued", async () => {
    const queue = { url: url() };
    const { threadId } = await submitRun(queue, "first");
    const again = submitRun(queue, "second", { threadId });
    await expect(again).rejects.toBeInstanceOf(ThreadBusyError);
    await expect(again).rejects.toThrow(`Thread "${threadId}" is already running on the queue (its job is waiting)`);
  });

  it("lets exactly one of several submissions racing on one thread queue its run; the others get ThreadBusyError", async () => {
    const queue = { url: url() };
    const outcomes = await Promise.allSettled(
      Array.from({ length: 5 }, (_, i) => submitRun(queue, `racer ${i}`, { threadId: "contested" })),
    );
    expect(outcomes.filter((outcome) => outcome.status === "fulfilled")).toHaveLength(1);
    for (const outcome of outcomes.filter((outcome) => outcome.status === "rejected"))
      expect(outcome.reason).toBeInstanceOf(ThreadBusyError);
  });

  it("keeps a run whose checkpoint database is unreachable: the job waits and is tried again, and the follower sees why", async () => {
    const queue = { url: url() };
    let outage = true;
    class FlakySaver extends MemorySaver {
      override async getTuple(config: Parameters<MemorySaver["getTuple"]>[0]) {
        if (outage) {
          outage = false;
          throw Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:5432"), { code: "ECONNREFUSED" });
        }
        return super.getTuple(config);
      }
    }
    await start({
      queue,
      workers: [echoWorker(new WorkLog())],
      checkpointer: new FlakySaver(),
      busyRetryMs: 20,
      name: "ex-db",
    });
    const { threadId } = await submitRun(queue, "database away", { plan: { tasks: [task("a")] } });
    const entries: RunEntry[] = [];
    const { summary } = await followRun(queue, threadId, { onEntry: (entry) => entries.push(entry) });
    expect(summary.status).toBe("done");
    expect(entries[0]).toMatchObject({ executor: "ex-db", kind: "released" });
    expect(entries[0]!.kind === "released" && entries[0]!.reason).toMatch(
      /^Lost the connection to the checkpoint database \(ECONNREFUSED\)/,
    );
    expect(entries.filter((entry) => entry.kind === "started")).toEqual([
      { executor: "ex-db", kind: "started", resumed: false },
    ]);
  });

  it("drains on close: the current step finishes and is checkpointed, the run goes back to the queue, and another executor finishes it without redoing that step", async () => {
    const queue = { url: url() };
    const ran: string[] = [];
    const gate = deferred();
    const blocking = functionWorker({
      name: "echo",
      description: "Waits at the gate in task a.",
      run: async (input) => {
        ran.push(input.task.id);
        if (input.task.id === "a") await gate.promise;
        return `${input.task.id} done`;
      },
    });
    // Both executors share one checkpointer, as executors on one Postgres do.
    const saver = new MemorySaver();
    const first = await start({ queue, workers: [blocking], checkpointer: saver, name: "first" });
    const { threadId } = await submitRun(queue, "drain me", { plan: { tasks: [task("a"), task("b", ["a"])] } });
    const entries: RunEntry[] = [];
    const aStarted = deferred();
    const followed = followRun(queue, threadId, {
      onEntry: (entry) => entries.push(entry),
      onEvent: (event) => event.type === "task.started" && aStarted.resolve(),
    });
    // The executor published a's start: the signal comes while that step is in flight.
    await aStarted.promise;
    const closed = first.close();
    gate.resolve();
    await closed;
    expect(entries.at(-1)).toEqual({ executor: "first", kind: "released", reason: "executor draining" });
    await start({ queue, workers: [blocking], checkpointer: saver, name: "second" });
    const { summary } = await followed;
    expect(summary.status).toBe("done");
    expect(ran).toEqual(["a", "b"]);
    expect(entries.filter((entry) => entry.kind === "started")).toEqual([
      { executor: "first", kind: "started", resumed: false },
      { executor: "second", kind: "started", resumed: true },
    ]);
  });

  it("reports the queue's depth, running and failed runs and the counts per executor, and a failed run to its follower", async () => {
    const queue = { url: url() };
    const gate = deferred();
    const started = deferred();
    const slow = functionWorker({
      name: "echo",
      description: "Waits at the gate.",
      run: async (input) => {
        started.resolve();
        await gate.promise;
        return `${input.task.id} done`;
      },
    });
    await start({ queue, workers: [slow], name: "ex-s" });
    const first = await submitRun(queue, "first", { plan: { tasks: [task("a")] } });
    const second = await submitRun(queue, "second", { plan: { tasks: [task("a")] } });
    const broken = await submitRun(queue, "broken", { plan: { tasks: [task("a", [], { worker: "nobody" })] } });
    await started.promise;
    expect(await queueStatus(queue)).toMatchObject({
      waiting: 2,
      running: 1,
      failed: 0,
      executors: [{ name: "ex-s", online: true, running: 1, completed: 0, failed: 0, released: 0 }],
    });
    gate.resolve();
    await followRun(queue, first.threadId);
    await followRun(queue, second.threadId);
    const failed = followRun(queue, broken.threadId);
    await expect(failed).rejects.toBeInstanceOf(QueuedRunFailedError);
    await expect(failed).rejects.toThrow(`The queued run on thread "${broken.threadId}" failed: PlanValidationError`);
    const lines: string[] = [];
    const code = await queueMain(["status", "--queue", queue.url], {
      stdout: (text) => lines.push(text),
      stderr: (text) => lines.push(text),
      env: {},
    });
    expect(code).toBe(0);
    const prefix = queues.prefixOf(queue.url);
    expect(lines.join("").split("\n")).toEqual([
      `Queue ${prefix}: 0 waiting, 0 running, 1 failed, 2 completed`,
      "ex-s      online    0 running    2 completed    1 failed    0 released",
      "",
    ]);
  });
});

describe.runIf(REDIS_URL)("tasks on the job queue (in-process task workers)", () => {
  const closers: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const close of closers.splice(0).reverse()) await close();
  });

  it("runs every task on the task workers, relays their events to the run, and gives the result a local run gives", async () => {
    const queue = { url: url() };
    const ran: string[] = [];
    const remote = functionWorker({
      name: "echo",
      description: "Echoes its task and dependencies.",
      run: async (input) => {
        ran.push(input.task.id);
        return `${input.task.id}(${Object.keys(input.dependencies).join(",")})`;
      },
    });
    const models = scriptedProvider({}, { configured: false });
    for (const name of ["tw-1", "tw-2"]) {
      const worker = await createTaskWorker({ queue, registry: new WorkerRegistry([remote]), models, name });
      closers.push(() => worker.close());
    }
    const tasks = await createTaskQueue(queue);
    closers.push(() => tasks.close());
    const local = functionWorker({
      name: "echo",
      description: "Must not run here.",
      run: async () => {
        throw new Error("ran in the orchestrator's process");
      },
    });
    const orchestrator = await createOrchestrator({
      checkpointer: "memory",
      workers: [local],
      models,
      taskRunner: tasks.runner,
    });
    const events: string[] = [];
    const summary = await orchestrator.run("remote goal", {
      plan: { tasks: [task("a"), task("b"), task("c", ["a", "b"])] },
      onEvent: (event) => events.push(`${event.type}${"taskId" in event ? ` ${event.taskId}` : ""}`),
    });
    expect(summary.tasks.map((t) => [t.id, t.status, t.output])).toEqual([
      ["a", "done", "a()"],
      ["b", "done", "b()"],
      ["c", "done", "c(a,b)"],
    ]);
    expect(ran.sort()).toEqual(["a", "b", "c"]);
    for (const id of ["a", "b", "c"])
      expect(events).toEqual(expect.arrayContaining([`task.started ${id}`, `task.done ${id}`]));
  });

  it("gives tasks on a task worker with the orchestrator's store the run's shared memory: what one writes, the next reads and the run's store holds", async () => {
    const queue = { url: url() };
    const store = new InMemoryStore();
    const writer = functionWorker({
      name: "writer",
      description: "Writes a finding.",
      run: async (_input, context) => (await context.memory!.put("finding", { boats: 42 }), "wrote it"),
    });
    const reader = functionWorker({
      name: "reader",
      description: "Reads the finding.",
      run: async (_input, context) => `boats: ${(await context.memory!.get<{ boats: number }>("finding"))?.boats}`,
    });
    const models = scriptedProvider({}, { configured: false });
    const worker = await createTaskWorker({ queue, registry: new WorkerRegistry([writer, reader]), models, store });
    closers.push(() => worker.close());
    const tasks = await createTaskQueue(queue);
    closers.push(() => tasks.close());
    const local = (name: string) =>
      functionWorker({
        name,
        description: "Must not run here.",
        run: async () => {
          throw new Error("ran in the orchestrator's process");
        },
      });
    const orchestrator = await createOrchestrator({
      checkpointer: "memory",
      store,
      workers: [local("writer"), local("reader")],
      models,
      taskRunner: tasks.runner,
    });
    const summary = await orchestrator.run("remote memory", {
      plan: { tasks: [task("a", [], { worker: "writer" }), task("b", ["a"], { worker: "reader" })] },
      settings: { replan: "never" },
    });
    expect(summary.tasks.map((t) => [t.id, t.status, t.output])).toEqual([
      ["a", "done", "wrote it"],
      ["b", "done", "boats: 42"],
    ]);
    const kept = await store.search(["orchestrator", "runs"]);
    expect(kept.map((item) => [item.namespace.length, item.key, item.value])).toEqual([[3, "finding", { boats: 42 }]]);
  });

  /** A task worker on the queue whose one worker, `echo`, answers `run N` and counts its runs. */
  async function countingTaskWorker(queue: { url: string }) {
    const counted = { runs: 0 };
    const echo = functionWorker({
      name: "echo",
      description: "Counts its runs.",
      run: async () => `run ${++counted.runs}`,
    });
    const worker = await createTaskWorker({
      queue,
      registry: new WorkerRegistry([echo]),
      models: scriptedProvider({}, { configured: false }),
    });
    closers.push(() => worker.close());
    return counted;
  }

  it("gives a task dispatched again with the same job id (a resumed run) the finished job's result without running it again", async () => {
    const queue = { url: url() };
    const counted = await countingTaskWorker(queue);
    const tasks = await createTaskQueue(queue);
    closers.push(() => tasks.close());
    const input = { goal: "g", fenceSeed: "seed", task: task("a"), dependencies: {}, dispatch: 1 };
    const context = { threadId: "t-1", settings: resolveSettings(), emit: () => {} };
    const first = await tasks.runner(input, context);
    const again = await tasks.runner(input, context);
    expect(first.output).toBe("run 1");
    expect(again).toEqual(first);
    expect(counted.runs).toBe(1);
    const retry = await tasks.runner({ ...input, dispatch: 2 }, context);
    expect(retry.output).toBe("run 2");
    expect(taskJobId("t-1", input)).not.toBe(taskJobId("t-1", { ...input, fenceSeed: "another run" }));
  });

  it("refuses a task job of a handoff contract version it does not speak, naming the version, and runs none of it", async () => {
    const queue = { url: url() };
    const counted = await countingTaskWorker(queue);
    const { prefix } = resolveQueueOptions(queue);
    const connection = new Redis(REDIS_URL!, { maxRetriesPerRequest: null });
    const jobs = new Queue(QUEUES.tasks, { connection, prefix });
    const events = new QueueEvents(QUEUES.tasks, { connection: connection.duplicate(), prefix });
    closers.push(async () => (await jobs.close(), await events.close(), connection.disconnect()));
    await events.waitUntilReady();
    const input = { goal: "g", task: task("a"), dependencies: {}, dispatch: 1 };
    const data = { threadId: "t-v", input, settings: resolveSettings() };
    const future = await jobs.add("task", { ...data, contractVersion: "9.0" });
    await expect(future.waitUntilFinished(events)).rejects.toThrow(
      'Handoff contract version "9.0" is not spoken here (this build speaks 1.0)',
    );
    const unversioned = await jobs.add("task", data);
    await expect(unversioned.waitUntilFinished(events)).rejects.toThrow(
      "Handoff contract version (none) is not spoken",
    );
    const current = await jobs.add("task", { ...data, contractVersion: HANDOFF_VERSION });
    expect(((await current.waitUntilFinished(events)) as { output: string }).output).toBe("run 1");
    expect(counted.runs).toBe(1);
  });
});
