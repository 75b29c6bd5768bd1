import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Redis } from "ioredis";
import { freePort } from "./dev-server.js";
import { waitFor } from "./wait.js";

/** A `redis-server` of a test's own, on a free port, that the test may kill and start again. */
export interface OwnRedis {
  readonly url: string;
  /** Kills the server at once (SIGKILL): what it held in memory is gone. */
  kill(): Promise<void>;
  /** Starts it again on the same port, empty unless it persists. */
  start(): Promise<void>;
  /** Kills it and removes its directory. */
  stop(): Promise<void>;
}

/** Starts `redis-server` on 127.0.0.1 and a free port with `args` (e.g. `["--appendonly", "yes"]`); answers once it pings. */
export async function startOwnRedis(args: readonly string[] = ["--save", "", "--appendonly", "no"]): Promise<OwnRedis> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), "own-redis-"));
  const url = `redis://127.0.0.1:${port}`;
  let child: ChildProcess | undefined;
  const start = async () => {
    child = spawn("redis-server", ["--port", String(port), "--bind", "127.0.0.1", "--dir", dir, ...args], {
      stdio: "ignore",
    });
    await waitFor(
      async () => {
        const probe = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
        probe.on("error", () => {});
        const pong = await probe
          .connect()
          .then(() => probe.ping())
          .catch(() => undefined);
        probe.disconnect();
        return pong === "PONG";
      },
      { timeoutMs: 20_000, intervalMs: 50, what: `redis-server on port ${port} to answer` },
    );
  };
  const kill = async () => {
    const running = child;
    child = undefined;
    if (!running || running.exitCode !== null) return;
    const exited = new Promise((resolve) => running.once("exit", resolve));
    running.kill("SIGKILL");
    await exited;
  };
  await start();
  return {
    url,
    kill,
    start,
    stop: async () => {
      await kill();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
