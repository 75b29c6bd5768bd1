import { Worker } from "bullmq";
import { Redis } from "ioredis";
import { afterAll, describe, expect, it } from "vitest";
import { createOrchestrator } from "../../src/index.js";
import { createTaskQueue, type TaskJobData } from "../../src/queue/tasks.js";
import { queuePrefixes, REDIS_URL } from "../helpers/queue.js";
import { scriptedProvider } from "../helpers/scripted-model.js";

describe.runIf(REDIS_URL)("a task worker's result", () => {
  const queues = queuePrefixes("results");
  afterAll(() => queues.cleanUp());

  /** Runs one task through the task queue, answered by a task worker of another version that returns `reply`. */
  const runWithRogueWorker = async (reply: (data: TaskJobData) => unknown) => {
    const url = queues.url();
    const connection = new Redis(REDIS_URL!, { maxRetriesPerRequest: null });
    const rogue = new Worker<TaskJobData>("tasks", async (job) => reply(job.data), {
      connection,
      prefix: queues.prefixOf(url),
    });
    const tasks = await createTaskQueue({ url });
    try {
      const orchestrator = await createOrchestrator({
        checkpointer: "memory",
        models: scriptedProvider({}, { configured: false }),
        taskRunner: tasks.runner,
      });
      const plan = { tasks: [{ id: "a", title: "Collect", worker: "researcher" }] };
      return await orchestrator.run("a goal", { plan, settings: { replan: "never" } });
    } finally {
      await tasks.close();
      await rogue.close();
      connection.disconnect();
    }
  };

  it("that does not fit the result schema fails its task as a schema error naming what was wrong", async () => {
    const summary = await runWithRogueWorker(({ input }) => ({
      taskId: input.task.id,
      worker: input.task.worker,
      status: "finished",
      output: 42,
    }));
    expect(summary.tasks.map((task) => [task.id, task.status])).toEqual([["a", "dead"]]);
    const { error } = summary.deadLetters[0]!;
    expect(error.kind).toBe("schema");
    expect(error.retryable).toBe(false);
    expect(error.message).toMatch(/^The task worker's result for task "a" is malformed: /);
    for (const field of ["dispatch", "status", "output", "attempts", "startedAt", "durationMs", "usage"])
      expect(error.message).toContain(`${field}: `);
    expect(summary.answer).not.toContain("42");
  });

  it("that answers another task is refused the same way", async () => {
    const summary = await runWithRogueWorker(({ input }) => ({
      taskId: "other",
      worker: input.task.worker,
      dispatch: input.dispatch,
      status: "done",
      output: "not this task's",
      attempts: [],
      startedAt: new Date().toISOString(),
      durationMs: 1,
      usage: { inputTokens: 0, outputTokens: 0, totalTokens: 0, modelCalls: 0 },
    }));
    expect(summary.deadLetters[0]?.error).toMatchObject({
      kind: "schema",
      message: `The task worker's result for task "a" is malformed: taskId: "other" answers another task`,
    });
  });
});
