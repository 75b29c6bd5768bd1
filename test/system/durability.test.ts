import { afterAll, describe, expect, it } from "vitest";
import { join } from "node:path";
import { SqliteSaver } from "@langchain/langgraph-checkpoint-sqlite";
import { createOrchestrator, functionWorker, RunStoppedError, ThreadBusyError } from "../../src/index.js";
import { openCheckpointer, parsePostgresSpec } from "../../src/persistence/checkpointer.js";
import { CheckpointerConnectionError } from "../../src/errors.js";
import { fileLock } from "../../src/persistence/thread-lock.js";
import { echoWorker, harness, task, WorkLog } from "../helpers/fixtures.js";
import { scriptedProvider } from "../helpers/scripted-model.js";
import { storedBytes, storedText } from "../helpers/sqlite-bytes.js";
import { tempDirs } from "../helpers/temp-dirs.js";
import { deferred, within } from "../helpers/wait.js";
import { dropSchemas, POSTGRES_URL, schemaSpec } from "../helpers/postgres.js";

const tempDir = tempDirs("orchestrator-");

const chain = (n: number) => ({ tasks: Array.from({ length: n }, (_, i) => task(`t${i}`, i ? [`t${i - 1}`] : [])) });
const offline = () => scriptedProvider({}, { configured: false });

describe("checkpoint growth", () => {
  async function bytesFor(rounds: number): Promise<number> {
    const saver = SqliteSaver.fromConnString(join(tempDir(), "growth.db"));
    const h = harness({
      checkpointer: saver,
      workers: (log) => [echoWorker(log, { behaviour: () => "x".repeat(20_000) })],
    });
    await h.run({ goal: "g", plan: chain(rounds) });
    const bytes = storedBytes(saver, "thread-1");
    saver.db.close();
    return bytes;
  }

  it("grows linearly with the rounds of a run, not with their square", async () => {
    const [five, ten] = [await bytesFor(5), await bytesFor(10)];
    expect(ten / five).toBeLessThan(2.2);
    expect(ten / five).toBeGreaterThan(1.6);
  });
});

describe("secrets", () => {
  it("never writes a secret passed through config or the environment into checkpoints or events", async () => {
    const saver = SqliteSaver.fromConnString(":memory:");
    const h = harness({ checkpointer: saver, models: scriptedProvider({ synthesizer: () => "answer" }) });
    const secret = "sk-test-5ecret-do-not-store";
    const stream = await h.graph.stream(
      { goal: "g", plan: { tasks: [task("a")] } },
      {
        configurable: { thread_id: "t", openaiApiKey: secret, apiKey: secret },
        context: { plannerModel: "gpt-4o-mini", apiKey: secret } as never,
        metadata: { token: secret },
        streamMode: ["custom", "values"],
      },
    );
    const chunks: string[] = [];
    for await (const chunk of stream) chunks.push(JSON.stringify(chunk));
    expect(storedText(saver)).not.toContain(secret);
    expect(storedText(saver)).toContain("a:");
    expect(chunks.join("\n")).not.toContain(secret);
  });
});

describe("one run per thread", () => {
  it("refuses a second invocation on a thread that is running, in the same process", async () => {
    const gate = deferred();
    const running = deferred();
    const log = new WorkLog();
    const slow = functionWorker({
      name: "slow",
      description: "Waits for the gate.",
      run: async () => (running.resolve(), await gate.promise, "slow done"),
    });
    const orchestrator = await createOrchestrator({
      checkpointer: `sqlite:${join(tempDir(), "busy.db")}`,
      models: offline(),
      workers: [echoWorker(log), slow],
    });
    const first = orchestrator.run("g", { threadId: "same", plan: { tasks: [task("a", [], { worker: "slow" })] } });
    // The thread is held from before the plan until the run returns: its worker running proves the run holds it.
    await within(
      Promise.race([
        running.promise,
        first.then(() => Promise.reject(new Error("the first run ended before its worker ran"))),
      ]),
      10_000,
      "the first run's worker to start",
    );
    await expect(orchestrator.run("g", { threadId: "same", plan: { tasks: [task("b")] } })).rejects.toThrow(
      ThreadBusyError,
    );
    await expect(orchestrator.resume("same")).rejects.toThrow('Thread "same" is already running in this process.');
    const other = await orchestrator.run("g", { threadId: "other", plan: { tasks: [task("c")] } });
    expect(other.tasks[0]!.status).toBe("done");
    gate.resolve();
    expect((await first).tasks[0]!.status).toBe("done");
    expect((await orchestrator.resume("same")).tasks[0]!.status).toBe("done");
    await orchestrator.close();
  });

  it("refuses a thread whose lock file belongs to a live process and takes over one left by a dead process", async () => {
    const dir = tempDir();
    const { writeFileSync } = await import("node:fs");
    writeFileSync(join(dir, "t.lock"), String(process.ppid));
    await expect(fileLock(dir).acquire("t")).rejects.toThrow(
      `Thread "t" is already running in process ${process.ppid}.`,
    );
    writeFileSync(join(dir, "t.lock"), "999999999");
    const release = await fileLock(dir).acquire("t");
    await release();
  });
});

describe("graceful stop", () => {
  it("lets the current wave finish, stops with a resumable error, and resumes without repeating work", async () => {
    const log = new WorkLog();
    const orchestrator = await createOrchestrator({
      checkpointer: "memory",
      models: offline(),
      workers: [echoWorker(log, { delayMs: 80 })],
    });
    const drain = new AbortController();
    const run = orchestrator.run("g", {
      threadId: "stop",
      plan: { tasks: [task("t0"), task("t1", ["t0"]), task("t2", ["t0"])] },
      drain: drain.signal,
      onEvent: (event) => {
        if (event.type === "task.started" && event.taskId === "t0") drain.abort();
      },
    });
    await expect(run).rejects.toThrow(RunStoppedError);
    expect(log.started).toEqual(["t0"]);
    const state = await orchestrator.state("stop");
    expect(state.results.t0!.output).toBe("t0:");
    const resumed = await orchestrator.resume("stop");
    expect(resumed.tasks.map((t) => t.status)).toEqual(["done", "done", "done"]);
    expect(log.started).toEqual(["t0", "t1", "t2"]);
    expect(log.runsOf("t0")).toBe(1);
  });
});

describe("resuming", () => {
  it("says so when a thread has nothing to resume", async () => {
    const orchestrator = await createOrchestrator({
      checkpointer: "memory",
      models: offline(),
      workers: [echoWorker(new WorkLog())],
    });
    await expect(orchestrator.resume("never-ran")).rejects.toThrow(
      'Thread "never-ran" has no checkpoint to resume: start the run again with its goal.',
    );
    await expect(orchestrator.redrive("never-ran")).rejects.toThrow("has no checkpoint to resume");
  });
});

describe("postgres specs", () => {
  it("reads schema and pool size from the URL and passes the rest to the driver", () => {
    expect(parsePostgresSpec("postgres://u:p@h:5432/db?schema=orch&pool_size=4&sslmode=disable")).toEqual({
      url: "postgres://u:p@h:5432/db?sslmode=disable",
      schema: "orch",
      poolSize: 4,
    });
    expect(() => parsePostgresSpec("postgres://h/db?pool_size=1")).toThrow('Invalid pool_size "1"');
    expect(() => parsePostgresSpec("postgres://h/db?schema=drop;table")).toThrow(
      'Invalid Postgres schema "drop;table"',
    );
  });

  it("reports a database that cannot be reached clearly, without the password", async () => {
    const error = await openCheckpointer("postgres://user:hunter2@127.0.0.1:1/db").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CheckpointerConnectionError);
    expect((error as Error).message).toContain("postgres://user:***@127.0.0.1:1/db");
    expect((error as Error).message).not.toContain("hunter2");
  });
});

describe.runIf(POSTGRES_URL)("postgres for many processes", () => {
  const schema = `orch_test_${process.pid}_${Date.now()}`;
  const spec = () => schemaSpec(schema, "pool_size=3");
  // Thread locks are per database, not per schema: another run of this file at the same time must not share a thread id.
  const thread = (name: string) => `${name}-${schema}`;
  afterAll(async () => {
    await dropSchemas(schema);
  });

  it("runs two goals at once from two orchestrators, and resumes one's thread from the other", async () => {
    const logA = new WorkLog();
    const logB = new WorkLog();
    const a = await createOrchestrator({
      checkpointer: spec(),
      models: offline(),
      workers: [echoWorker(logA, { delayMs: 30 })],
    });
    const b = await createOrchestrator({
      checkpointer: spec(),
      models: offline(),
      workers: [echoWorker(logB, { delayMs: 30 })],
    });
    const [one, two] = await Promise.all([
      a.run("first", { threadId: thread("pg-1"), plan: chain(3) }),
      b.run("second", { threadId: thread("pg-2"), plan: { tasks: [task("x"), task("y")] } }),
    ]);
    expect(one.tasks.map((t) => t.status)).toEqual(["done", "done", "done"]);
    expect(two.tasks.map((t) => t.status)).toEqual(["done", "done"]);
    const seen = await b.state(thread("pg-1"));
    expect(seen.results.t2!.output).toBe("t2:t1");
    const resumed = await b.resume(thread("pg-1"));
    expect(resumed.answer).toBe(one.answer);
    expect(logB.started).toEqual(["x", "y"]);
    await Promise.all([a.close(), b.close()]);
  });

  it("refuses the same thread from a second orchestrator while the first runs it", async () => {
    const gate = deferred();
    const running = deferred();
    const slow = functionWorker({
      name: "echo",
      description: "Waits for the gate.",
      run: async () => (running.resolve(), await gate.promise, "done"),
    });
    const a = await createOrchestrator({ checkpointer: spec(), models: offline(), workers: [slow] });
    const b = await createOrchestrator({
      checkpointer: spec(),
      models: offline(),
      workers: [echoWorker(new WorkLog())],
    });
    const busy = thread("pg-busy");
    const first = a.run("g", { threadId: busy, plan: { tasks: [task("a")] } });
    // The first run has checkpointed its plan and holds the thread's lock once its worker runs.
    await within(
      Promise.race([
        running.promise,
        first.then(() => Promise.reject(new Error("the first run ended before its worker ran"))),
      ]),
      10_000,
      "the first orchestrator's worker to start",
    );
    await expect(b.resume(busy)).rejects.toThrow(
      `Thread "${busy}" is already running in another process on this database.`,
    );
    gate.resolve();
    await first;
    expect((await b.resume(busy)).status).toBe("done");
    await Promise.all([a.close(), b.close()]);
  });

  it("closes its pool on close", async () => {
    const handle = await openCheckpointer(spec());
    await handle.close();
    await expect(handle.saver.getTuple({ configurable: { thread_id: "x" } })).rejects.toThrow(
      /after calling end on the pool|Cannot use a pool after calling end/,
    );
  });
});
