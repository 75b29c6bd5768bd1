import { randomUUID } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Queue } from "bullmq";
import { Redis } from "ioredis";
import { afterAll, describe, expect, it } from "vitest";
import { createOrchestrator } from "../../src/index.js";
import { followRun, submitRun } from "../../src/queue/runs.js";
import { SharedMeter } from "../../src/queue/budget.js";
import { createTaskQueue } from "../../src/queue/tasks.js";
import { ZERO_USAGE, type Usage } from "../../src/budget/usage.js";
import type { BudgetShare, RunBudgets } from "../../src/budget/budgets.js";
import { openCheckpointer } from "../../src/persistence/checkpointer.js";
import { ENTRIES, spawnCli, runCli, type CliProcess } from "../helpers/cli-process.js";
import { loopbackServers } from "../helpers/loopback.js";
import { HeldCall } from "../helpers/openai-server.js";
import { countingHandler, queuePrefixes, REDIS_URL } from "../helpers/queue.js";
import { scriptedProvider } from "../helpers/scripted-model.js";
import { deferred } from "../helpers/wait.js";
import { dropSchemas, POSTGRES_URL, schemaSpec } from "../helpers/postgres.js";

const SCHEMA = `queue_tasks_${process.pid}_${Date.now()}`;
const checkpointer = () => schemaSpec(SCHEMA);

describe.runIf(REDIS_URL)("task worker processes on one Redis queue", () => {
  const serve = loopbackServers();
  const queues = queuePrefixes("tasks");
  const dir = mkdtempSync(join(tmpdir(), "orchestrator-tasks-"));
  const running: CliProcess[] = [];
  const startTaskWorker = (queue: string, name: string, modelUrl: string, extra: string[] = []) => {
    const worker = spawnCli(["--queue", queue, "--name", name, "--lock-ms", "2000", ...extra], {
      entry: ENTRIES.taskWorker,
      cwd: dir,
      env: { OPENAI_BASE_URL: modelUrl, OPENAI_API_KEY: "test" },
      deadlineMs: 180_000,
    });
    running.push(worker);
    return worker;
  };

  afterAll(async () => {
    for (const worker of running) worker.kill("SIGKILL");
    await Promise.allSettled(running.map((worker) => worker.exited));
    if (POSTGRES_URL) {
      await dropSchemas(SCHEMA);
    }
    await queues.cleanUp();
    rmSync(dir, { recursive: true, force: true });
  });

  it("retries a task on the other worker when the worker running it is SIGKILLed", async () => {
    const queue = queues.url();
    const counts = new Map<string, number>();
    const held = new HeldCall();
    const server = await serve(
      countingHandler(counts, (marker, request) =>
        marker === "0/a" && counts.get(marker) === 1 ? held.serve(request, { content: "lost" }) : undefined,
      ),
    );
    const workers = ["tw-0", "tw-1"].map((name) => ({ name, process: startTaskWorker(queue, name, server.url) }));
    const tasks = await createTaskQueue({ url: queue });
    const orchestrator = await createOrchestrator({
      checkpointer: "memory",
      models: scriptedProvider({}, { configured: false }),
      taskRunner: tasks.runner,
    });
    const plan = { tasks: [{ id: "a", title: "Collect", description: "Collect the facts.", worker: "researcher" }] };
    const run = orchestrator.run("queued run 0", { plan, settings: { replan: "never" } });

    await held.arrived.promise;
    const connection = new Redis(REDIS_URL!);
    const taskJobs = new Queue("tasks", { connection, prefix: queues.prefixOf(queue) });
    const victim = (await taskJobs.getActive())[0]!.processedBy!;
    await taskJobs.close();
    connection.disconnect();
    workers.find((worker) => worker.name === victim)!.process.kill("SIGKILL");

    const summary = await run;
    await tasks.close();
    expect(summary.status).toBe("done");
    expect(summary.tasks.map((task) => [task.id, task.output, task.attempts])).toEqual([["a", "result of 0/a", 1]]);
    expect(counts.get("0/a")).toBe(2);
    expect((await workers.find((worker) => worker.name === victim)!.process.exited).code).toBeNull();
  }, 120_000);

  it("warns that no task worker is connected to --task-queue, and the run waits for one instead of failing", async () => {
    const queue = queues.url();
    const counts = new Map<string, number>();
    const server = await serve(countingHandler(counts));
    const warned = deferred();
    const planFile = join(dir, "plan-wait.json");
    writeFileSync(
      planFile,
      JSON.stringify({
        tasks: [{ id: "a", title: "Collect", description: "Collect the facts.", worker: "researcher" }],
      }),
    );
    const cli = spawnCli(["--task-queue", queue, "--plan", planFile, "--replan", "never", "--json", "queued run 8"], {
      cwd: dir,
      deadlineMs: 120_000,
      onLine: (line) => line.startsWith("No task worker is connected to ") && warned.resolve(),
    });
    await warned.promise;
    startTaskWorker(queue, "tw-late", server.url);
    const result = await cli.exited;
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toContain(`No task worker is connected to ${queue} yet: its tasks wait until one starts`);
    expect(
      JSON.parse(result.stdout).tasks.map((task: { id: string; output: string }) => [task.id, task.output]),
    ).toEqual([["a", "result of 8/a"]]);
  }, 120_000);

  it("keeps a run's model-call cap exact across task workers: every call asks one ledger in Redis", async () => {
    const queue = queues.url();
    const counts = new Map<string, number>();
    const server = await serve(countingHandler(counts));
    for (const name of ["tw-budget-0", "tw-budget-1"]) startTaskWorker(queue, name, server.url);
    const tasks = await createTaskQueue({ url: queue });
    // No model here: the tasks can only run on the task workers.
    const orchestrator = await createOrchestrator({
      checkpointer: "memory",
      models: scriptedProvider({}, { configured: false }),
      taskRunner: tasks.runner,
    });
    const plan = {
      tasks: ["a", "b", "c", "d", "e"].map((id) => ({
        id,
        title: `Task ${id}`,
        description: `Find ${id}.`,
        worker: "researcher",
      })),
    };
    const summary = await orchestrator.run("queued run 5", { plan, settings: { replan: "never", maxModelCalls: 3 } });
    await tasks.close();

    expect([...counts.values()].reduce((sum, n) => sum + n, 0)).toBe(3);
    expect(summary.tasks.filter((task) => task.status === "done")).toHaveLength(3);
    for (const task of summary.tasks.filter((t) => t.status !== "done"))
      expect(task.reason).toBe("run budget reached: 3 model calls made of 3");
    expect(summary.stopReason).toBe("run budget reached: 3 model calls made of 3");
    expect(summary.usage.modelCalls).toBe(3);
  }, 120_000);

  it.runIf(POSTGRES_URL)(
    "resumes a SIGKILLed orchestrator without running any task again: finished tasks come back from their jobs, a task in flight is awaited",
    async () => {
      const queue = queues.url();
      const counts = new Map<string, number>();
      const gate = deferred();
      const bArrived = deferred();
      const server = await serve(
        countingHandler(counts, (marker) => {
          if (marker !== "0/b") return undefined;
          bArrived.resolve();
          return gate.promise.then(() => ({ content: "b's result" }));
        }),
      );
      startTaskWorker(queue, "tw", server.url);
      const planFile = join(dir, "plan.json");
      writeFileSync(
        planFile,
        JSON.stringify({
          tasks: [
            { id: "a", title: "Collect", description: "Collect the facts.", worker: "researcher" },
            { id: "b", title: "Compare", description: "Compare the options.", worker: "analyst" },
            { id: "c", title: "Write", description: "Write it up.", worker: "writer", dependsOn: ["a", "b"] },
          ],
        }),
      );
      const thread = `tasks-${randomUUID()}`;
      const common = ["--task-queue", queue, "--checkpointer", checkpointer(), "--thread", thread, "--json"];
      const first = spawnCli([...common, "--plan", planFile, "--replan", "never", "queued run 0"], { cwd: dir });
      await bArrived.promise;
      first.kill("SIGKILL");
      expect((await first.exited).code).toBeNull();

      const resumed = runCli([...common, "--resume"], { cwd: dir, deadlineMs: 120_000 });
      gate.resolve();
      const result = await resumed;
      expect(result.code, result.stderr).toBe(0);
      const summary = JSON.parse(result.stdout) as { status: string; tasks: { id: string; output: string }[] };
      expect(summary.status).toBe("done");
      expect(summary.tasks.map((task) => [task.id, task.output])).toEqual([
        ["a", "result of 0/a"],
        ["b", "b's result"],
        ["c", "result of 0/c"],
      ]);
      expect(Object.fromEntries(counts)).toEqual({ "0/a": 1, "0/b": 1, "0/c": 1 });
    },
    120_000,
  );

  it.runIf(POSTGRES_URL)(
    "runs a queued run's tasks on the task workers when the executor has --task-queue, and the run log names the executor on every line",
    async () => {
      const queue = queues.url();
      const counts = new Map<string, number>();
      const server = await serve(countingHandler(counts));
      startTaskWorker(queue, "tw", server.url);
      // The executor has no model: its tasks can only succeed on the task worker (the synthesizer writes the template).
      const executor = spawnCli(
        ["--queue", queue, "--task-queue", queue, "--checkpointer", checkpointer(), "--name", "ex-remote"],
        {
          entry: ENTRIES.executor,
          cwd: dir,
          deadlineMs: 120_000,
        },
      );
      running.push(executor);
      const plan = { tasks: [{ id: "a", title: "Collect", description: "Collect the facts.", worker: "researcher" }] };
      const { threadId } = await submitRun({ url: queue }, "queued run 7", { plan, settings: { replan: "never" } });
      const { summary } = await followRun({ url: queue }, threadId);
      expect(summary.tasks.map((task) => [task.id, task.status, task.output])).toEqual([
        ["a", "done", "result of 7/a"],
      ]);
      expect(Object.fromEntries(counts)).toEqual({ "7/a": 1 });
      executor.kill("SIGTERM");
      expect((await executor.exited).code).toBe(0);
      const lines = readFileSync(join(dir, ".orchestrator", "runs", `${threadId}.log`), "utf8")
        .trim()
        .split("\n")
        .map((line) => JSON.parse(line) as { executor?: string; event?: string });
      expect(lines.map((line) => line.event)).toEqual(
        expect.arrayContaining(["run.started", "task.started", "task.done", "run.finished"]),
      );
      expect(new Set(lines.map((line) => line.executor))).toEqual(new Set(["ex-remote"]));
    },
    120_000,
  );

  it.runIf(POSTGRES_URL)(
    "keeps a result too long for state in the shared checkpointer's store, whether a task worker or the executor ran the task",
    async () => {
      // Set up the schema before the processes start; the test reads the store through it at the end.
      const handle = await openCheckpointer(checkpointer());
      const [remoteRuns, localRuns, taskQueue] = [queues.url(), queues.url(), queues.url()];
      const long = (marker: string) => `long result of ${marker} ${"x".repeat(300)}`;
      const server = await serve(
        countingHandler(new Map(), (marker) => (marker.endsWith("/a") ? { content: long(marker) } : undefined)),
      );
      startTaskWorker(taskQueue, "tw-store", server.url, ["--checkpointer", checkpointer()]);
      const executors = [
        ["ex-remote-store", remoteRuns, "--task-queue", taskQueue],
        ["ex-local-store", localRuns],
      ].map(([name, queue, ...extra]) => {
        const executor = spawnCli(["--queue", queue!, ...extra, "--checkpointer", checkpointer(), "--name", name!], {
          entry: ENTRIES.executor,
          cwd: dir,
          env: { OPENAI_BASE_URL: server.url, OPENAI_API_KEY: "test" },
          deadlineMs: 120_000,
        });
        running.push(executor);
        return executor;
      });
      const plan = { tasks: [{ id: "a", title: "Collect", description: "Collect the facts.", worker: "researcher" }] };
      const settings = { replan: "never" as const, maxOutputChars: 100 };
      const kept = async (queue: string, run: number) => {
        const { threadId } = await submitRun({ url: queue }, `queued run ${run}`, { plan, settings });
        const { summary } = await followRun({ url: queue }, threadId);
        const output = summary.tasks[0]!.output;
        const where = /the full result is in the store at (\S+) "result:a"/.exec(output)?.[1];
        expect(where, output).toBeDefined();
        return (await handle.store.get(where!.split("/"), "result:a"))?.value;
      };
      try {
        expect(await kept(remoteRuns, 8)).toEqual({ output: long("8/a") });
        expect(await kept(localRuns, 9)).toEqual({ output: long("9/a") });
      } finally {
        await handle.close();
      }
      for (const executor of executors) executor.kill("SIGTERM");
      expect((await Promise.all(executors.map((executor) => executor.exited))).map((exit) => exit.code)).toEqual([
        0, 0,
      ]);
    },
    120_000,
  );
});

describe.runIf(REDIS_URL)("a wave's budget shared between processes (SharedMeter on Redis)", () => {
  const prefix = `i15-budget-${process.pid}-${randomUUID().slice(0, 8)}`;
  const connections = [new Redis(REDIS_URL!), new Redis(REDIS_URL!)];
  afterAll(async () => {
    const keys = await connections[0]!.keys(`${prefix}:*`);
    if (keys.length) await connections[0]!.del(...keys);
    for (const connection of connections) connection.disconnect();
  });
  const share = (
    ledger: string,
    budgets: Partial<RunBudgets>,
    base: Partial<Usage> = {},
    startedAt = new Date().toISOString(),
  ): BudgetShare => ({
    ledger,
    budgets: { deadlineMs: 0, maxTokens: 0, maxModelCalls: 0, ...budgets },
    base: { ...ZERO_USAGE, ...base },
    startedAt,
  });
  const outcomes = (admissions: Promise<void>[]) =>
    Promise.allSettled(admissions).then((all) =>
      all.map((one) => (one.status === "fulfilled" ? "admitted" : (one.reason as Error).message)),
    );

  it("admits exactly the calls left under the cap, whichever process asks, all at once", async () => {
    const wave = share("cap", { maxModelCalls: 5 }, { modelCalls: 1 });
    const meters = connections.map((connection) => new SharedMeter(connection, prefix, wave));
    const results = await outcomes(Array.from({ length: 10 }, (_, i) => meters[i % 2]!.admit()));
    expect(results.filter((r) => r === "admitted")).toHaveLength(4);
    expect(results.filter((r) => r !== "admitted")).toEqual(
      Array(6).fill("run budget reached: 5 model calls made of 5"),
    );
  });

  it("counts one process's tokens in the other's admission, and refuses a wave past its deadline", async () => {
    const wave = share("tokens", { maxTokens: 100 });
    const [first, second] = connections.map((connection) => new SharedMeter(connection, prefix, wave));
    await first!.admit();
    first!.settle({ totalTokens: 60 });
    await second!.admit();
    second!.settle({ totalTokens: 50 });
    await expect(first!.admit()).rejects.toThrow("run budget reached: 110 tokens used of 100");
    const late = new SharedMeter(
      connections[0]!,
      prefix,
      share("late", { deadlineMs: 1_000 }, {}, new Date(Date.now() - 5_000).toISOString()),
    );
    await expect(late.admit()).rejects.toThrow(/^run budget reached: the deadline of 1000 ms passed/);
  });
});
