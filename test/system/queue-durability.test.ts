import { afterAll, describe, expect, it } from "vitest";
import { connect } from "../../src/queue/connection.js";
import { durabilityProblems } from "../../src/queue/durability.js";
import { ENTRIES, spawnCli } from "../helpers/cli-process.js";
import { dropSchemas, POSTGRES_URL, schemaSpec } from "../helpers/postgres.js";
import { startOwnRedis } from "../helpers/redis-server.js";

/** The problems a Redis started with `args` has as a queue. */
async function problemsOf(args: string[]): Promise<string[]> {
  const redis = await startOwnRedis(args);
  const connection = await connect(redis.url);
  try {
    return await durabilityProblems(connection);
  } finally {
    connection.disconnect();
    await redis.stop();
  }
}

describe("a Redis checked as a job queue", () => {
  const schema = `queue_durability_${process.pid}_${Date.now()}`;
  afterAll(() => (POSTGRES_URL ? dropSchemas(schema) : undefined));

  it("is fit when it persists (AOF) and never evicts", async () => {
    expect(await problemsOf(["--appendonly", "yes", "--maxmemory-policy", "noeviction"])).toEqual([]);
    expect(await problemsOf(["--appendonly", "no", "--save", "60 1", "--maxmemory-policy", "noeviction"])).toEqual([]);
  });

  it("is not when it keeps nothing across a restart, or may evict keys", async () => {
    expect(await problemsOf(["--appendonly", "no", "--save", "", "--maxmemory-policy", "allkeys-lru"])).toEqual([
      "it does not persist (appendonly no, no RDB save points): a restart loses every queued job",
      "its maxmemory-policy is allkeys-lru: under memory pressure it may evict the queue's keys",
    ]);
  });

  it.runIf(POSTGRES_URL)("makes an executor warn at start, naming what to change", { timeout: 90_000 }, async () => {
    const redis = await startOwnRedis(["--appendonly", "no", "--save", ""]);
    try {
      const executor = spawnCli(["--queue", redis.url, "--checkpointer", schemaSpec(schema)], {
        entry: ENTRIES.executor,
        onLine: (line, kill) => line.startsWith("Warning: the job queue's Redis") && kill("SIGTERM"),
      });
      const { stderr } = await executor.exited;
      expect(stderr).toContain(
        `Warning: the job queue's Redis at ${redis.url} may lose runs: it does not persist (appendonly no, no RDB save points): a restart loses every queued job. Run it with appendonly yes (or RDB save points) and maxmemory-policy noeviction, as BullMQ requires;`,
      );
    } finally {
      await redis.stop();
    }
  });
});
