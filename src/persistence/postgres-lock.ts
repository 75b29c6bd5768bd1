import type pg from "pg";
import { ThreadBusyError } from "../errors.js";
import { processLock, type ThreadLock } from "./thread-lock.js";

/** A lock across every process sharing one Postgres: a session advisory lock held for the run. */
export function postgresLock(pool: pg.Pool, schema = "public"): ThreadLock {
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
      // pg-pool listens for errors only on idle clients: without this, losing the connection while the lock
      // holds it would be an uncaught error. A broken client is not given back to the pool.
      let broken: Error | undefined;
      const onError = (error: Error) => void (broken ??= error);
      client.on("error", onError);
      const giveBack = async () => {
        client.off("error", onError);
        client.release(broken);
        await releaseLocal();
      };
      // Advisory locks are per database: the key names the schema, so runs on other schemas are never blocked.
      const key = `orchestrator:${schema}:thread:${threadId}`;
      let locked: boolean;
      try {
        const { rows } = await client.query<{ locked: boolean }>(
          "SELECT pg_try_advisory_lock(hashtextextended($1, 0)) AS locked",
          [key],
        );
        locked = rows[0]?.locked === true;
      } catch (error) {
        broken ??= error as Error;
        await giveBack();
        throw error;
      }
      if (!locked) {
        await giveBack();
        throw new ThreadBusyError(threadId, "in another process on this database");
      }
      return async () => {
        try {
          await client.query("SELECT pg_advisory_unlock(hashtextextended($1, 0))", [key]);
        } catch (error) {
          // The session is gone, and its advisory lock with it.
          broken ??= error as Error;
        } finally {
          await giveBack();
        }
      };
    },
  };
}
