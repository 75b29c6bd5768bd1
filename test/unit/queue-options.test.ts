import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ConfigError, QueueConnectionError, QueueDatabaseError, QueueUrlError } from "../../src/errors.js";
import { followRun, submitRun } from "../../src/queue/runs.js";
import { queueStatus } from "../../src/queue/status.js";
import { resolveQueueOptions } from "../../src/queue/connection.js";
import { executorMain } from "../../src/cli/executor.js";
import { main } from "../../src/cli/main.js";
import { taskWorkerMain } from "../../src/cli/task-worker.js";
import { parseServiceFlags, type ServiceFlags } from "../../src/cli/service.js";
import { readEnvironment } from "../../src/env.js";
import { EXAMPLES } from "../../src/examples/index.js";
import { defaultRegistry } from "../../src/workers/defaults.js";
import { taskJobId } from "../../src/queue/tasks.js";
import { task } from "../helpers/fixtures.js";
import { tempDirs } from "../helpers/temp-dirs.js";
import { REDIS_URL } from "../helpers/queue.js";

const tempDir = tempDirs("service-flags-");

describe("queue options", () => {
  it("take the key prefix from the URL's ?prefix= and connect without it", () => {
    expect(resolveQueueOptions({ url: "redis://127.0.0.1:6379/2?prefix=team-a" })).toEqual({
      url: "redis://127.0.0.1:6379/2",
      prefix: "team-a",
      maxQueued: 1000,
    });
  });

  it("default the prefix and the bound on queued runs", () => {
    expect(resolveQueueOptions({ url: "rediss://cache.example:6380" })).toMatchObject({
      prefix: "orchestrator",
      maxQueued: 1000,
    });
  });

  it("refuse a Postgres URL, saying why the queue is on Redis, without the password", () => {
    const error = (() => {
      try {
        resolveQueueOptions({ url: "postgres://app:secret@db/x" });
      } catch (caught) {
        return caught as Error;
      }
    })();
    expect(error).toBeInstanceOf(QueueUrlError);
    expect(error?.message).toContain("postgres://app:***@db/x");
    expect(error?.message).toContain("Node 22.12");
    expect(error?.message).not.toContain("secret");
  });

  it("refuse a URL that is not one, naming it", () => {
    expect(() => resolveQueueOptions({ url: "localhost:6379" })).toThrow(/Unknown job queue URL "localhost:6379"/);
  });

  it("name a bad prefix or bound with its value", () => {
    expect(() => resolveQueueOptions({ url: "redis://h?prefix=a:b" })).toThrow(ConfigError);
    expect(() => resolveQueueOptions({ url: "redis://h?prefix=a:b" })).toThrow('Invalid queue option prefix: "a:b"');
    expect(() => resolveQueueOptions({ url: "redis://h", maxQueued: 0 })).toThrow("Invalid queue option maxQueued: 0");
  });
});

describe("the queue entry point", () => {
  it("carries the queue API and none of its internals", async () => {
    const queue = await import("../../src/queue/index.js");
    expect(Object.keys(queue).sort()).toEqual(
      [
        "QueueOptionsSchema",
        "createExecutor",
        "createTaskQueue",
        "createTaskWorker",
        "followRun",
        "queueStatus",
        "recoverRuns",
        "submitRun",
      ].sort(),
    );
  });
});

describe("a task's job id", () => {
  const input = { goal: "g", runId: "run-1", fenceSeed: "seed", task: task("a"), dependencies: {}, dispatch: 1 };

  it("is the same for the same thread, run, task and dispatch, and differs when any of them does", () => {
    expect(taskJobId("t-1", input)).toBe(taskJobId("t-1", { ...input }));
    expect(taskJobId("t-1", input)).toMatch(/^a\.1\.[0-9a-f]{24}$/);
    for (const other of [
      taskJobId("t-2", input),
      taskJobId("t-1", { ...input, task: task("b") }),
      taskJobId("t-1", { ...input, dispatch: 2 }),
    ]) {
      expect(other).not.toBe(taskJobId("t-1", input));
    }
  });

  it("differs for another run on the thread even when its fence seed is the same", () => {
    expect(taskJobId("t-1", { ...input, runId: "run-2" })).not.toBe(taskJobId("t-1", input));
  });
});

describe("the CLI's queue flags", () => {
  const run = async (argv: string[], env: NodeJS.ProcessEnv = {}) => {
    let stderr = "";
    const code = await main(argv, { stdout: () => {}, stderr: (text) => void (stderr += text), env });
    return { code, stderr };
  };

  it("refuse --detach and --wait without a queue, saying how to give one", async () => {
    expect(await run(["--detach", "a goal"])).toEqual({
      code: 2,
      stderr: "--detach and --wait need --queue redis://host:port (or ORCHESTRATOR_QUEUE).\n",
    });
    expect((await run(["--wait", "t-1"])).code).toBe(2);
  });

  it("refuse to resume through the queue", async () => {
    const result = await run(["--queue", "redis://127.0.0.1:6379", "--resume", "--thread", "t-1"]);
    expect(result).toEqual({
      code: 2,
      stderr: "--queue runs a new goal or follows one (--wait); resume or answer a review without it.\n",
    });
  });

  it("name a queue URL that is not Redis before anything is queued", async () => {
    const result = await run(["--queue", "postgres://db/x", "--detach", "a goal"]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^Unknown job queue URL "postgres:\/\/db\/x": use redis:\/\/host:port/);
  });
});

describe("a queue that cannot be reached", () => {
  it("fails at once with QueueConnectionError naming the URL without its password, for submitters, followers and the status", async () => {
    const queue = { url: "redis://:secret@127.0.0.1:1" };
    for (const call of [() => submitRun(queue, "a goal"), () => followRun(queue, "t-1"), () => queueStatus(queue)]) {
      const error = await call().catch((caught: unknown) => caught as Error);
      expect(error).toBeInstanceOf(QueueConnectionError);
      expect((error as Error).message).toBe(
        "Cannot reach the job queue at redis://:***@127.0.0.1:1 (ECONNREFUSED): is Redis running there?",
      );
    }
  });
});

describe("a Redis database the URL names", () => {
  it("is refused before connecting when it is not a whole number", () => {
    expect(() => resolveQueueOptions({ url: "redis://127.0.0.1:6379/abc" })).toThrow(QueueDatabaseError);
    expect(() => resolveQueueOptions({ url: "redis://127.0.0.1:6379/abc" })).toThrow(
      'The job queue URL "redis://127.0.0.1:6379/abc" names Redis database "abc", which is not a whole number',
    );
  });

  it.runIf(REDIS_URL)("is refused, not silently database 0, when the server does not have it", async () => {
    const server = new URL(REDIS_URL!);
    server.search = "";
    server.pathname = "/99999";
    const queue = { url: server.href };
    for (const call of [() => submitRun(queue, "a goal"), () => followRun(queue, "t-1"), () => queueStatus(queue)]) {
      const error = await call().catch((caught: unknown) => caught as Error);
      expect(error).toBeInstanceOf(QueueDatabaseError);
      expect((error as Error).message).toBe(
        `The job queue URL "${server.href}" names Redis database "99999", which the server refuses (ERR DB index is out of range): a Redis server has databases 0 to its \`databases\` setting minus 1 (0-15 by default).`,
      );
    }
    let stderr = "";
    const code = await main(["--queue", server.href, "--detach", "a goal"], {
      stdout: () => {},
      stderr: (text) => void (stderr += text),
      env: {},
    });
    expect({ code, lines: stderr.trim().split("\n").length }).toEqual({ code: 2, lines: 1 });
    expect(stderr).toContain('names Redis database "99999"');
  });
});

describe("a run submission", () => {
  it("names an empty goal or a thread id the queue cannot use before connecting", async () => {
    const queue = { url: "redis://127.0.0.1:1" };
    await expect(submitRun(queue, "  ")).rejects.toThrow("A queued run needs a goal: the goal is empty.");
    await expect(submitRun(queue, "g", { threadId: "team:1" })).rejects.toThrow(
      'Thread id "team:1" cannot name a queued run',
    );
    await expect(submitRun(queue, "g", { threadId: "42" })).rejects.toBeInstanceOf(ConfigError);
  });
});

describe("the executor and task worker commands", () => {
  const run = async (command: typeof executorMain, argv: string[]) => {
    let stderr = "";
    const code = await command(argv, { stdout: () => {}, stderr: (text) => void (stderr += text), env: {} });
    return { code, stderr };
  };

  it("name a bad queue URL, a bad number and a missing shared checkpointer with exit code 2", async () => {
    expect(await run(taskWorkerMain, ["--queue", "localhost:6379"])).toEqual({
      code: 2,
      stderr:
        'Unknown job queue URL "localhost:6379": use redis://host:port (or rediss:// for TLS).\nRun with --help for usage.\n',
    });
    expect(await run(taskWorkerMain, ["--queue", "redis://h", "--concurrency", "0"])).toEqual({
      code: 2,
      stderr:
        'Invalid value for --concurrency: "0" (expected a whole number of at least 1)\nRun with --help for usage.\n',
    });
    expect(await run(executorMain, ["--queue", "redis://h"])).toEqual({
      code: 2,
      stderr:
        'An executor needs a checkpointer every executor shares: pass --checkpointer postgres://… (got "none").\nRun with --help for usage.\n',
    });
    for (const command of [executorMain, taskWorkerMain]) {
      expect(await run(command, ["--queue", "redis://h", "--checkpointer", "memory"])).toEqual({
        code: 2,
        stderr:
          'A queue service shares its checkpointer with other processes: pass --checkpointer postgres://… (got "memory", which no other process sees).\n' +
          "Run with --help for usage.\n",
      });
    }
  });
});

describe("an executor's or task worker's team", () => {
  const teamFile = (name: string) => {
    const path = join(tempDir(), `${name}.json`);
    writeFileSync(
      path,
      JSON.stringify({
        workers: [{ name, description: `The ${name} team's only worker.`, systemPrompt: "You work." }],
      }),
    );
    return path;
  };
  const team = (argv: string[], env: NodeJS.ProcessEnv = {}) =>
    (parseServiceFlags(["--queue", "redis://h", ...argv], readEnvironment(env), []) as ServiceFlags).registry.names;

  it("is the workers file --workers names, else ORCHESTRATOR_WORKERS's, else the defaults", () => {
    const flagged = teamFile("flagged");
    const fromEnv = teamFile("from_env");
    expect(team(["--workers", flagged])).toEqual(["flagged"]);
    expect(team(["--workers", flagged], { ORCHESTRATOR_WORKERS: fromEnv })).toEqual(["flagged"]);
    expect(team([], { ORCHESTRATOR_WORKERS: fromEnv })).toEqual(["from_env"]);
    expect(team([])).toEqual(defaultRegistry().names);
  });

  it("is an example's when --example names one, even with ORCHESTRATOR_WORKERS set, and refuses --workers beside it", () => {
    expect(team(["--example", "trip"], { ORCHESTRATOR_WORKERS: teamFile("from_env") })).toEqual(
      EXAMPLES.trip!.registry().names,
    );
    expect(() => team(["--example", "trip", "--workers", teamFile("flagged")])).toThrow(
      "Pass --workers or --example, not both",
    );
  });

  it("names a workers file that cannot be read", () => {
    expect(() => team(["--workers", "/nonexistent/team.json"])).toThrow(
      /^Cannot read the workers file \/nonexistent\/team.json/,
    );
  });
});
