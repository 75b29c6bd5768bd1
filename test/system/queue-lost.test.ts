import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { submitRun } from "../../src/queue/runs.js";
import { spawnCli } from "../helpers/cli-process.js";
import { startOwnRedis, type OwnRedis } from "../helpers/redis-server.js";
import { waitFor } from "../helpers/wait.js";

describe("a job queue whose Redis dies", () => {
  let redis: OwnRedis;
  beforeAll(async () => {
    redis = await startOwnRedis();
  });
  afterAll(() => redis.stop());

  it("ends --wait with exit 1 and one clear line, not a hang with raw ECONNREFUSED stacks", {
    timeout: 90_000,
  }, async () => {
    const { threadId } = await submitRun({ url: redis.url }, "a goal no executor takes");
    const admin = new Redis(redis.url);
    admin.on("error", () => {});
    const follower = spawnCli(["--queue", redis.url, "--wait", threadId], { deadlineMs: 60_000 });
    // The follower is following once a client of Redis blocks reading the run's events.
    await waitFor(async () => String(await admin.client("LIST")).includes("cmd=xread"), {
      timeoutMs: 45_000,
      what: "the CLI to follow the run",
    });
    admin.disconnect();
    await redis.kill();
    const { code, stderr, stdout } = await follower.exited;
    expect(code).toBe(1);
    expect(stdout).toBe("");
    expect(stderr.split("\n")).toEqual([
      expect.stringMatching(
        /^Lost the job queue at redis:\/\/127\.0\.0\.1:\d+ \((ECONNREFUSED|ECONNRESET)\) while following/,
      ),
      "",
    ]);
    expect(stderr).toContain(
      `following thread ${threadId}: once Redis is back, follow it again with --wait ${threadId}; a run whose job Redis lost is re-enqueued by npm run queue -- recover.`,
    );
  });
});
