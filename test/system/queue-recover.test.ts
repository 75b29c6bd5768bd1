import { afterAll, describe, expect, it } from "vitest";
import { queueMain } from "../../src/cli/queue-status.js";
import { createOrchestrator, openCheckpointer } from "../../src/index.js";
import { connect, resolveQueueOptions } from "../../src/queue/connection.js";
import { createExecutor, type Executor } from "../../src/queue/executor.js";
import { recoverRuns } from "../../src/queue/recover.js";
import { followRun, runQueue, submitRun } from "../../src/queue/runs.js";
import { queueStatus } from "../../src/queue/status.js";
import { functionWorker } from "../../src/workers/registry.js";
import { task } from "../helpers/fixtures.js";
import { dropSchemas, POSTGRES_URL, schemaSpec } from "../helpers/postgres.js";
import { queuePrefixes, REDIS_URL } from "../helpers/queue.js";
import { startOwnRedis } from "../helpers/redis-server.js";
import { scriptedProvider } from "../helpers/scripted-model.js";
import { deferred } from "../helpers/wait.js";

describe.runIf(POSTGRES_URL)("a run whose job a restarted Redis lost", () => {
  const schema = `queue_recover_${process.pid}_${Date.now()}`;
  afterAll(() => dropSchemas(schema));

  /** `npm run queue -- recover --json` in process: its exit code and what it printed. */
  const recover = async (url: string) => {
    let stdout = "";
    const code = await queueMain(["recover", "--queue", url, "--checkpointer", schemaSpec(schema), "--json"], {
      stdout: (text) => void (stdout += text),
      stderr: () => {},
      env: {},
    });
    return { code, stdout };
  };

  it("is re-enqueued from the shared checkpointer by queue recover, and an executor completes it without redoing a step", {
    timeout: 90_000,
  }, async () => {
    const redis = await startOwnRedis();
    const queue = { url: redis.url };
    const ran: string[] = [];
    const gate = deferred();
    const aStarted = deferred();
    const worker = functionWorker({
      name: "echo",
      description: "Waits at the gate in task a.",
      run: async (input) => {
        ran.push(input.task.id);
        if (input.task.id === "a") {
          aStarted.resolve();
          await gate.promise;
        }
        return `${input.task.id} done`;
      },
    });
    const executor = (name: string): Promise<Executor> =>
      createExecutor({
        queue,
        checkpointer: schemaSpec(schema),
        models: scriptedProvider({}, { configured: false }),
        workers: [worker],
        name,
      });
    try {
      const first = await executor("first");
      // The run's own settings travel in its job, which Redis loses: its state keeps them for recover.
      const settings = { workerTimeoutMs: 123_456, maxRetries: 1 };
      const plan = { tasks: [task("a"), task("b", ["a"])] };
      const { threadId } = await submitRun(queue, "recover me", { plan, settings });
      await aStarted.promise;
      // The executor stops after task a, checkpointed, and hands the job back to the queue...
      const closed = first.close();
      gate.resolve();
      await closed;
      // ...which a Redis without persistence loses when it restarts.
      await redis.kill();
      await redis.start();
      expect((await queueStatus(queue)).waiting).toBe(0);

      expect(await recover(redis.url)).toEqual({ code: 0, stdout: `${JSON.stringify({ recovered: [threadId] })}\n` });
      expect((await queueStatus(queue)).waiting).toBe(1);
      const connection = await connect(redis.url);
      const jobs = runQueue(resolveQueueOptions(queue), connection);
      expect((await jobs.getJob(threadId))?.data.settings).toMatchObject(settings);
      await jobs.close();
      connection.disconnect();
      // Once its job is back, there is nothing more to recover.
      expect((await recover(redis.url)).stdout).toBe(`${JSON.stringify({ recovered: [] })}\n`);

      const second = await executor("second");
      const { summary } = await followRun(queue, threadId);
      await second.close();
      expect(summary.status).toBe("done");
      expect(summary.tasks.map((t) => [t.id, t.status])).toEqual([
        ["a", "done"],
        ["b", "done"],
      ]);
      expect(ran).toEqual(["a", "b"]);
    } finally {
      await redis.stop();
    }
  });
});

describe.runIf(REDIS_URL)("recoverRuns' sources", () => {
  const prefixes = queuePrefixes("recover-sources");
  afterAll(() => prefixes.cleanUp());

  it("finds the same unfinished runs from a checkpointer's handle (latest checkpoint of each thread) and from its bare saver (every checkpoint)", async () => {
    const handle = await openCheckpointer("memory");
    const started = deferred();
    const release = deferred();
    const orchestrator = await createOrchestrator({
      checkpointer: handle.saver,
      workers: [
        functionWorker({
          name: "echo",
          description: 'Echoes; task a of the thread "stopped" waits to be let go.',
          run: async (input) => {
            if (input.goal === "stopped" && input.task.id === "a") started.resolve(), await release.promise;
            return input.task.id;
          },
        }),
      ],
      models: scriptedProvider({}, { configured: false }),
    });
    const plan = { tasks: [task("a"), task("b", ["a"])] };
    await orchestrator.run("finished", { threadId: "finished", plan });
    await orchestrator.run("reviewed", { threadId: "reviewed", plan, settings: { reviewPlan: true } });
    // A run stopped after its first step: its run id is checkpointed, its answer is not.
    const drain = new AbortController();
    const stopping = orchestrator.run("stopped", { threadId: "stopped", plan, drain: drain.signal });
    await started.promise;
    drain.abort();
    release.resolve();
    await stopping.catch(() => undefined);
    expect((await orchestrator.state("stopped")).answer).toBe("");
    expect(await recoverRuns({ url: prefixes.url() }, handle)).toEqual(["stopped"]);
    expect(await recoverRuns({ url: prefixes.url() }, handle.saver)).toEqual(["stopped"]);
    await orchestrator.close();
  });
});
