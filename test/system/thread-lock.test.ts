import { spawn } from "node:child_process";
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CheckpointerConnectionError, createOrchestrator, ThreadBusyError } from "../../src/index.js";
import { postgresLock } from "../../src/persistence/postgres-lock.js";
import { fileLock, takeOverPath } from "../../src/persistence/thread-lock.js";
import { LockFileError } from "../../src/errors.js";
import { usage } from "../../src/cli/args.js";
import { EXIT } from "../../src/cli/exit-codes.js";
import { runCli, spawnCli } from "../helpers/cli-process.js";
import type { RacerReply } from "../helpers/lock-racer.js";
import { describeRequest, startOpenAIServer, type OpenAIServer } from "../helpers/openai-server.js";
import { scriptedProvider } from "../helpers/scripted-model.js";
import { tempDirs } from "../helpers/temp-dirs.js";
import { deferred, within } from "../helpers/wait.js";
import { dropSchemas, POSTGRES_URL, schemaSpec } from "../helpers/postgres.js";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const RACER = fileURLToPath(new URL("../helpers/lock-racer.ts", import.meta.url));

const tempDir = tempDirs("orchestrator-locks-");

const busy = (thread: string, where: string) => new ThreadBusyError(thread, where).message;
/** A pid no process has: above Linux's largest pid_max. */
const DEAD_PID = 999_999_999;

describe("two CLI processes on one thread", () => {
  let server: OpenAIServer;
  /** While set, the held task's reply waits for it: the first run stays in flight until the test lets it go. */
  let hold: Promise<void> | undefined;
  beforeAll(async () => {
    server = await startOpenAIServer({
      handler: async (body) => {
        const { system, prompt } = describeRequest(body);
        if (system.includes("final answer"))
          return { content: `answer to ${["first goal", "second goal"].find((goal) => prompt.includes(goal))}` };
        if (prompt.includes("Held research")) await hold;
        return { content: prompt.includes("Held research") ? "held result" : "intruder result" };
      },
    });
  });
  const schema = `cli_busy_${process.pid}_${Date.now()}`;
  afterAll(async () => {
    await server.close();
    if (!POSTGRES_URL) return;
    await dropSchemas(schema);
  });

  const tiers = [
    {
      name: "SQLite",
      spec: (dir: string) => `sqlite:${join(dir, "cp.db")}`,
      logDir: (dir: string) => join(dir, "runs"),
      where: (pid: number) => `in process ${pid}`,
    },
    ...(POSTGRES_URL
      ? [
          {
            name: "Postgres",
            spec: () => schemaSpec(schema),
            logDir: (dir: string) => join(dir, ".orchestrator", "runs"),
            where: () => "in another process on this database",
          },
        ]
      : []),
  ];

  it("documents exit code 5 for a busy thread in --help", () => {
    expect(EXIT.busy).toBe(5);
    expect(usage([])).toMatch(/^ {2}5 +the thread is busy: another run is using it, and nothing was done$/m);
  });

  describe.each(tiers)("on $name", ({ spec, logDir, where }) => {
    it("refuses the second with exit code 5 naming the thread, and the first finishes its own goal untouched", async () => {
      const dir = tempDir();
      const checkpointer = spec(dir);
      writeFileSync(
        join(dir, "first.json"),
        JSON.stringify({ tasks: [{ id: "held", title: "Held research", worker: "researcher" }] }),
      );
      writeFileSync(
        join(dir, "second.json"),
        JSON.stringify({ tasks: [{ id: "intruder", title: "Intruder", worker: "researcher" }] }),
      );
      const args = (goal: string, plan: string) => [
        goal,
        "--plan",
        join(dir, plan),
        "--checkpointer",
        checkpointer,
        "--thread",
        "shared",
      ];
      // Generous deadlines: the first CLI outlives a second CLI's whole start-up, and a loaded machine starts each slowly.
      const options = { env: { OPENAI_BASE_URL: server.url, OPENAI_API_KEY: "test" }, cwd: dir, deadlineMs: 60_000 };
      const released = deferred();
      const started = deferred();
      hold = released.promise;
      const first = spawnCli(args("first goal", "first.json"), {
        ...options,
        onLine: (line) => line.startsWith("started   held") && started.resolve(),
      });
      try {
        await within(started.promise, 60_000, "the first CLI's task to start");
        const second = await runCli(args("second goal", "second.json"), options);
        expect(second).toEqual({ code: 5, stdout: "", stderr: `${busy("shared", where(first.pid))}\n` });
      } finally {
        released.resolve();
        hold = undefined;
      }
      const run = await first.exited;
      expect(run.code).toBe(0);
      expect(run.stdout).toContain("answer to first goal");
      expect(server.chatRequests().some((body) => describeRequest(body).prompt.includes("Intruder"))).toBe(false);
      const orchestrator = await createOrchestrator({
        checkpointer,
        models: scriptedProvider({}, { configured: false }),
      });
      const state = await orchestrator.state("shared");
      await orchestrator.close();
      expect({ goal: state.goal, answer: state.answer, tasks: Object.keys(state.tasks) }).toEqual({
        goal: "first goal",
        answer: "answer to first goal",
        tasks: ["held"],
      });
      const log = readFileSync(join(logDir(dir), "shared.log"), "utf8")
        .trimEnd()
        .split("\n")
        .map((line) => JSON.parse(line) as { event?: string; goal?: string });
      expect(log.filter((line) => line.event === "run.started").map((line) => line.goal)).toEqual(["first goal"]);
    }, 150_000);
  });
});

/** A child process taking file locks on command (test/helpers/lock-racer.ts). */
interface Racer {
  send(command: string): void;
  next(): Promise<RacerReply>;
  close(): Promise<void>;
}

function startRacer(dir: string): Racer {
  const child = spawn(process.execPath, ["--import", "tsx", RACER, dir], {
    cwd: ROOT,
    env: { ...process.env, LANGSMITH_TRACING: "false" },
    stdio: ["pipe", "pipe", "pipe"],
  });
  const replies: RacerReply[] = [];
  const waiting: { resolve: (reply: RacerReply) => void; reject: (error: Error) => void }[] = [];
  let stderr = "";
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  createInterface({ input: child.stdout }).on("line", (line) => {
    const reply = JSON.parse(line) as RacerReply;
    const waiter = waiting.shift();
    if (waiter) waiter.resolve(reply);
    else replies.push(reply);
  });
  const exited = new Promise<void>((resolve) =>
    child.on("exit", (code) => {
      for (const waiter of waiting.splice(0))
        waiter.reject(new Error(`racer ${child.pid} exited with ${code}: ${stderr}`));
      resolve();
    }),
  );
  return {
    send: (command) => child.stdin.write(`${command}\n`),
    next: () =>
      within(
        new Promise<RacerReply>((resolve, reject) => {
          const reply = replies.shift();
          if (reply) resolve(reply);
          else waiting.push({ resolve, reject });
        }),
        60_000,
        `racer ${child.pid}'s answer`,
      ),
    close: () => {
      child.stdin.end();
      return exited;
    },
  };
}

describe("the lock file", () => {
  it("lets exactly one of several racing processes take a fresh or a stale lock, and names the winner to the others", async () => {
    const dir = tempDir();
    const racers = Array.from({ length: 6 }, () => startRacer(dir));
    try {
      const pids = (await Promise.all(racers.map((racer) => racer.next()))).map(
        (reply) => (reply as { pid: number }).pid,
      );
      const rounds = 24;
      for (let round = 0; round < rounds; round++) {
        const thread = `t${round}`;
        const path = join(dir, `${thread}.lock`);
        // Odd rounds race to take over a lock left by a dead process; even rounds race for a lock nobody holds.
        if (round % 2) writeFileSync(path, String(DEAD_PID));
        for (const racer of racers) racer.send(`take ${thread}`);
        const replies = await Promise.all(racers.map((racer) => racer.next()));
        const winners = pids.filter((_, i) => (replies[i] as { won: boolean }).won);
        expect(winners, `the winners of round ${round}`).toHaveLength(1);
        const losers = replies.filter((reply) => !(reply as { won: boolean }).won);
        const refusal = {
          thread,
          won: false,
          error: "ThreadBusyError",
          message: busy(thread, `in process ${winners[0]}`),
        };
        expect(losers, `the losers of round ${round}`).toEqual(
          Array.from({ length: racers.length - 1 }, () => refusal),
        );
        expect(readFileSync(path, "utf8").split(" ")[0]).toBe(String(winners[0]));
      }
      for (const racer of racers) racer.send("release");
      const released = await Promise.all(racers.map((racer) => racer.next()));
      expect(released.reduce((sum, reply) => sum + (reply as { released: number }).released, 0)).toBe(rounds);
      expect(readdirSync(dir)).toEqual([]);
    } finally {
      await Promise.all(racers.map((racer) => racer.close()));
    }
  }, 120_000);

  it("reports a lock file that holds no process id, and leaves it alone", async () => {
    const dir = tempDir();
    const path = join(dir, "t.lock");
    writeFileSync(path, "");
    const error = await fileLock(dir)
      .acquire("t")
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LockFileError);
    expect((error as Error).message).toBe(
      `The lock file ${path} of thread "t" holds no process id (it holds ""). If no run is using the thread, delete the file.`,
    );
    expect(readFileSync(path, "utf8")).toBe("");
  });

  it("finishes a take-over of a stale lock that a process died in the middle of", async () => {
    const dir = tempDir();
    const path = join(dir, "t.lock");
    writeFileSync(path, String(DEAD_PID));
    writeFileSync(takeOverPath(path, String(DEAD_PID)), String(DEAD_PID - 1));
    const release = await fileLock(dir).acquire("t");
    expect(readdirSync(dir)).toEqual(["t.lock"]);
    expect(readFileSync(path, "utf8").split(" ")[0]).toBe(String(process.pid));
    await release();
    expect(readdirSync(dir)).toEqual([]);
  });
});

describe("the thread lock's errors in the library", () => {
  it("turns a lost database connection while taking the thread into a CheckpointerConnectionError", async () => {
    const lost = Object.assign(new Error("terminating connection due to administrator command"), { code: "57P01" });
    const orchestrator = await createOrchestrator({
      checkpointer: "memory",
      models: scriptedProvider({}, { configured: false }),
      lock: { acquire: () => Promise.reject(lost) },
    });
    const error = await orchestrator
      .run("g", { threadId: "t", plan: { tasks: [{ id: "a", title: "A", worker: "researcher" }] } })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CheckpointerConnectionError);
    expect((error as Error).cause).toBe(lost);
  });
});

describe.runIf(POSTGRES_URL)("the Postgres lock", () => {
  it("gives its connection back to the pool and frees the thread in this process when the lock query fails", async () => {
    const pool = new pg.Pool({ connectionString: POSTGRES_URL, max: 2 });
    pool.on("error", () => {});
    // The first lock query instead makes the server end this very connection (a real pg_terminate_backend).
    let terminate = true;
    pool.on("connect", (client) => {
      const query = client.query.bind(client) as (...args: unknown[]) => Promise<unknown>;
      client.query = ((text: unknown, ...rest: unknown[]) => {
        if (terminate && String(text).includes("pg_try_advisory_lock")) {
          terminate = false;
          return query("SELECT pg_terminate_backend(pg_backend_pid())");
        }
        return query(text, ...rest);
      }) as typeof client.query;
    });
    try {
      const lock = postgresLock(pool);
      await expect(lock.acquire("pg-broken")).rejects.toMatchObject({ code: "57P01" });
      expect({ total: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount }).toEqual({
        total: 0,
        idle: 0,
        waiting: 0,
      });
      const release = await lock.acquire("pg-broken");
      expect(pool.totalCount).toBe(1);
      await release();
      expect({ total: pool.totalCount, idle: pool.idleCount }).toEqual({ total: 1, idle: 1 });
    } finally {
      await pool.end();
    }
  });

  it("locks a thread per schema: another schema of the same database may run the same thread id, the same schema may not", async () => {
    const pool = new pg.Pool({ connectionString: POSTGRES_URL, max: 3 });
    try {
      const release = await postgresLock(pool, "tenant_a").acquire("pg-schemas");
      await expect(postgresLock(pool, "tenant_a").acquire("pg-schemas")).rejects.toBeInstanceOf(ThreadBusyError);
      const other = await postgresLock(pool, "tenant_b").acquire("pg-schemas");
      await other();
      await release();
    } finally {
      await pool.end();
    }
  });
});
