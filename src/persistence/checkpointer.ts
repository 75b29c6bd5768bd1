import { mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { InMemoryStore, MemorySaver, type BaseCheckpointSaver, type BaseStore } from "@langchain/langgraph";
import { CheckpointerConnectionError, CheckpointerSpecError, ConfigError } from "../errors.js";
import { SqliteStore } from "./sqlite-store.js";
import { postgresLock } from "./postgres-lock.js";
import { fileLock, processLock, type ThreadLock } from "./thread-lock.js";

/** Where the CLI keeps checkpoints by default. */
export const DEFAULT_CHECKPOINTER = "sqlite:.orchestrator/checkpoints.db";

/** An open checkpointer, the store kept beside it, its thread lock, and how to release them. */
export interface CheckpointerHandle {
  saver: BaseCheckpointSaver;
  /** Workers' shared memory, persisted like the checkpoints: in memory, in the SQLite file, or in Postgres. */
  store: BaseStore;
  kind: "memory" | "sqlite" | "postgres";
  /** The SQLite file, when there is one (run logs go next to it). */
  path?: string;
  /** Keeps two runs off one thread: per process (memory), per machine (SQLite), per database (Postgres). */
  lock: ThreadLock;
  /** Every thread with a checkpoint. */
  threadIds(): Promise<string[]>;
  close(): Promise<void>;
}

/**
 * Connections a process opens to Postgres by default: one holds the thread's lock for the run, one serves the
 * checkpoints and the store. Low, so that many processes fit in one server's `max_connections` (100 by default:
 * forty CLI runs at once take 80).
 */
export const DEFAULT_POOL_SIZE = 2;

export interface CheckpointerOptions {
  /** Postgres schema for the checkpoint tables (default `public`); also `?schema=` in the URL. */
  schema?: string;
  /**
   * Connections of the process's one Postgres pool, shared by the checkpointer, the store and the thread locks
   * (default {@link DEFAULT_POOL_SIZE}; at least the runs held at once + 1); `?pool_size=` in the URL wins.
   */
  poolSize?: number;
}

/**
 * Opens a checkpointer from a spec: `memory`, `sqlite:PATH` (or `sqlite::memory:`), or
 * `postgres://…[?schema=NAME&pool_size=N]`.
 */
export async function openCheckpointer(spec: string, options: CheckpointerOptions = {}): Promise<CheckpointerHandle> {
  if (spec === "memory") {
    const saver = new MemorySaver();
    return {
      saver,
      store: new InMemoryStore(),
      kind: "memory",
      lock: processLock(),
      threadIds: async () => Object.keys(saver.storage),
      close: async () => {},
    };
  }
  if (spec.startsWith("sqlite:")) return openSqlite(spec);
  if (/^postgres(ql)?:\/\//.test(spec)) return openPostgres(spec, options);
  throw new CheckpointerSpecError(spec);
}

async function openSqlite(spec: string): Promise<CheckpointerHandle> {
  const path = spec.slice("sqlite:".length);
  if (!path) throw new CheckpointerSpecError(spec);
  const { SqliteSaver } = await import("@langchain/langgraph-checkpoint-sqlite");
  const inMemory = path === ":memory:";
  if (!inMemory) mkdirSync(dirname(path), { recursive: true });
  const saver = SqliteSaver.fromConnString(path);
  return {
    saver,
    store: new SqliteStore(saver.db),
    kind: "sqlite",
    ...(inMemory ? {} : { path }),
    lock: inMemory ? processLock() : fileLock(join(dirname(path), "locks")),
    threadIds: async () => {
      // The table appears with the first checkpoint.
      const table = saver.db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'checkpoints'").get();
      if (!table) return [];
      const rows = saver.db.prepare("SELECT DISTINCT thread_id FROM checkpoints").all() as { thread_id: string }[];
      return rows.map((row) => row.thread_id);
    },
    close: async () => {
      if (saver.db.open) saver.db.close();
    },
  };
}

/** Splits our options (`schema`, `pool_size`) off a Postgres URL; the rest goes to the driver. */
export function parsePostgresSpec(
  spec: string,
  options: CheckpointerOptions = {},
): { url: string; schema?: string; poolSize: number } {
  const url = new URL(spec);
  const schema = url.searchParams.get("schema") ?? options.schema;
  const rawPool = url.searchParams.get("pool_size");
  url.searchParams.delete("schema");
  url.searchParams.delete("pool_size");
  const poolSize = rawPool === null ? (options.poolSize ?? DEFAULT_POOL_SIZE) : Number(rawPool);
  if (!Number.isInteger(poolSize) || poolSize < 2) {
    throw new ConfigError(
      `Invalid pool_size ${JSON.stringify(rawPool ?? options.poolSize)}: use an integer of at least 2 (one connection holds the thread lock).`,
    );
  }
  if (schema !== undefined && schema !== null && !/^[A-Za-z_][A-Za-z0-9_]{0,62}$/.test(schema)) {
    throw new ConfigError(`Invalid Postgres schema ${JSON.stringify(schema)}: use letters, digits and underscores.`);
  }
  return { url: url.toString(), ...(schema ? { schema } : {}), poolSize };
}

async function openPostgres(spec: string, options: CheckpointerOptions): Promise<CheckpointerHandle> {
  const { url, schema, poolSize } = parsePostgresSpec(spec, options);
  const [{ PostgresSaver }, { PostgresStore }, { default: pg }] = await Promise.all([
    import("@langchain/langgraph-checkpoint-postgres"),
    import("@langchain/langgraph-checkpoint-postgres/store"),
    import("pg"),
  ]);
  // Connections are kept for the process's life (no idle timeout): a busy machine reconnecting on every step is
  // what made runs wait past the timeout, which bounds both a new connection and the wait for a pooled one.
  const pool = new pg.Pool({
    connectionString: url,
    max: poolSize,
    connectionTimeoutMillis: 30_000,
    idleTimeoutMillis: 0,
  });
  // An idle client losing its connection must not crash the process; the next query reports it.
  pool.on("error", () => {});
  const saver = new PostgresSaver(pool, undefined, schema ? { schema } : {});
  const store = onPool(new PostgresStore({ connectionOptions: { max: 1 }, ...(schema ? { schema } : {}) }), pool);
  try {
    await setUpOnce(pool, schema, async () => {
      await saver.setup();
      await store.setup();
    });
  } catch (error) {
    await pool.end().catch(() => {});
    throw connectionError(error, url, poolSize);
  }
  return {
    saver,
    store,
    kind: "postgres",
    lock: postgresLock(pool, schema),
    threadIds: async () => {
      const { rows } = await pool.query<{ thread_id: string }>(
        `SELECT DISTINCT thread_id FROM "${schema ?? "public"}".checkpoints`,
      );
      return rows.map((row) => row.thread_id);
    },
    // The pool is the store's too: ending it closes both (PostgresStore.stop would end it a second time).
    close: () => pool.end(),
  };
}

/**
 * The store on the process's pool: `PostgresStore` (1.0.5) always builds a pool of its own, from which nothing has
 * connected yet; it is swapped for `pool` before the store's first query.
 */
function onPool<T extends object>(store: T, pool: import("pg").Pool): T {
  const core = (store as unknown as { core: { pool: import("pg").Pool } }).core;
  void core.pool.end();
  core.pool = pool;
  return store;
}

/**
 * Creates the schema and the checkpoint tables holding an advisory lock: processes starting together on a fresh
 * schema (executors, say) would otherwise race on the migrations and fail with a duplicate key.
 */
async function setUpOnce(
  pool: import("pg").Pool,
  schema: string | undefined,
  setup: () => Promise<void>,
): Promise<void> {
  const client = await pool.connect();
  const key = `orchestrator:setup:${schema ?? "public"}`;
  try {
    await client.query("SELECT pg_advisory_lock(hashtextextended($1, 0))", [key]);
    if (schema) await client.query(`CREATE SCHEMA IF NOT EXISTS "${schema}"`);
    await setup();
  } finally {
    await client.query("SELECT pg_advisory_unlock(hashtextextended($1, 0))", [key]).catch(() => {});
    client.release();
  }
}

const CONNECTION_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ENOTFOUND",
  "ETIMEDOUT",
  "57P01",
  "57P02",
  "57P03",
  "08000",
  "08003",
  "08006",
]);

/**
 * Turns a lost or refused database connection into a clear error (a server out of connections names this process's
 * `pool_size`, when given); other errors pass through.
 */
export function connectionError(error: unknown, url?: string, poolSize?: number): unknown {
  if (error instanceof CheckpointerConnectionError) return error;
  const code = (error as { code?: string })?.code;
  const message = (error as Error)?.message ?? String(error);
  if (code === TOO_MANY_CONNECTIONS) return tooManyConnections(error, url, poolSize);
  if (
    !(code && CONNECTION_CODES.has(code)) &&
    !/Connection terminated|connect ECONNREFUSED|timeout expired|timeout exceeded when trying to connect/i.test(message)
  )
    return error;
  const where = url ? ` at ${redact(url)}` : "";
  return new CheckpointerConnectionError(
    `Lost the connection to the checkpoint database${where} (${code ?? message}). Finished work is checkpointed; ` +
      "resume the thread once the database is back.",
    { cause: error },
  );
}

/** Postgres's SQLSTATE for "sorry, too many clients already" (`max_connections` reached). */
const TOO_MANY_CONNECTIONS = "53300";

function tooManyConnections(error: unknown, url?: string, poolSize?: number): CheckpointerConnectionError {
  const where = url ? ` at ${redact(url)}` : "";
  const own = poolSize ? ` (this process opens up to ${poolSize}: pool_size)` : "";
  return new CheckpointerConnectionError(
    `The checkpoint database${where} has no free connection: too many clients already (${TOO_MANY_CONNECTIONS}). ` +
      `Run fewer processes at once, lower ?pool_size=${own}, or raise the server's max_connections.`,
    { cause: error },
  );
}

/** A connection string without its password. */
export function redact(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = "***";
    return parsed.toString();
  } catch {
    return "(unparsable URL)";
  }
}
