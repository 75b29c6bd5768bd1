import { closeSync, mkdirSync, openSync, readFileSync, unlinkSync, writeSync } from "node:fs";
import { join } from "node:path";
import type pg from "pg";
import { OrchestratorError } from "../errors.js";

/** Another invocation is running on the same thread. */
export class ThreadBusyError extends OrchestratorError {
  constructor(
    readonly threadId: string,
    where: string,
  ) {
    super(
      `Thread "${threadId}" is already running ${where}. Two runs on one thread would interleave their writes; ` +
        "wait for the other run to finish, or use another thread.",
    );
  }
}

/** Releases a held lock. */
export type Release = () => Promise<void>;

/** Keeps two invocations off one thread at the same time. */
export interface ThreadLock {
  /** Takes the thread or throws `ThreadBusyError` at once. */
  acquire(threadId: string): Promise<Release>;
}

/** A lock within this process. */
export function processLock(): ThreadLock {
  const held = new Set<string>();
  return {
    async acquire(threadId) {
      if (held.has(threadId)) throw new ThreadBusyError(threadId, "in this process");
      held.add(threadId);
      return async () => void held.delete(threadId);
    },
  };
}

/** Lock files this process holds, whichever orchestrator took them. */
const heldFiles = processLock();

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
};

/**
 * A lock across processes on one machine: an exclusive lock file per thread holding the owner's pid. A file
 * left by a process that died (SIGKILL, crash) is stale and taken over.
 */
export function fileLock(directory: string): ThreadLock {
  mkdirSync(directory, { recursive: true });
  return {
    async acquire(threadId) {
      const path = join(directory, `${encodeURIComponent(threadId)}.lock`);
      const releaseLocal = await heldFiles.acquire(path).catch(() => {
        throw new ThreadBusyError(threadId, "in this process");
      });
      for (let tries = 0; ; tries++) {
        try {
          const fd = openSync(path, "wx");
          writeSync(fd, String(process.pid));
          closeSync(fd);
          break;
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code !== "EEXIST" || tries > 0) {
            await releaseLocal();
            throw error;
          }
          const owner = Number(readFileSync(path, "utf8"));
          if (owner && owner !== process.pid && alive(owner)) {
            await releaseLocal();
            throw new ThreadBusyError(threadId, `in process ${owner}`);
          }
          unlinkSync(path);
        }
      }
      return async () => {
        try {
          unlinkSync(path);
        } finally {
          await releaseLocal();
        }
      };
    },
  };
}

/** A lock across every process sharing one Postgres: a session advisory lock held for the run. */
export function postgresLock(pool: pg.Pool): ThreadLock {
  const inProcess = processLock();
  return {
    async acquire(threadId) {
      const releaseLocal = await inProcess.acquire(threadId);
      let client: pg.PoolClient;
      try {
        client = await pool.connect();
      } catch (error) {
        await releaseLocal();
        throw error;
      }
      const key = `orchestrator:thread:${threadId}`;
      const { rows } = await client.query<{ locked: boolean }>("SELECT pg_try_advisory_lock(hashtextextended($1, 0)) AS locked", [key]);
      if (!rows[0]?.locked) {
        client.release();
        await releaseLocal();
        throw new ThreadBusyError(threadId, "in another process on this database");
      }
      return async () => {
        try {
          await client.query("SELECT pg_advisory_unlock(hashtextextended($1, 0))", [key]);
          client.release();
        } catch (error) {
          client.release(error as Error);
        } finally {
          await releaseLocal();
        }
      };
    },
  };
}
