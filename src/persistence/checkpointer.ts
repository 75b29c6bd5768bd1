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
  close(): Promise<void>;
}

export interface CheckpointerOptions {
  /** Postgres schema for the checkpoint tables (default `public`); also `?schema=` in the URL. */
  schema?: string;
  /** Postgres connection pool size (default 10); also `?pool_size=` in the URL. */
  poolSize?: number;
}

/**
 * Opens a checkpointer from a spec: `memory`, `sqlite:PATH` (or `sqlite::memory:`), or
 * `postgres://…[?schema=NAME&pool_size=N]`.
 */
export async function openCheckpointer(spec: string, options: CheckpointerOptions = {}): Promise<CheckpointerHandle> {
  if (spec === "memory")
    return {
      saver: new MemorySaver(),
      store: new InMemoryStore(),
      kind: "memory",
      lock: processLock(),
      close: async () => {},
    };
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
  const poolSize = rawPool === null ? (options.poolSize ?? 10) : Number(rawPool);
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
  const pool = new pg.Pool({ connectionString: url, max: poolSize, connectionTimeoutMillis: 10_000 });
  // An idle client losing its connection must not crash the process; the next query reports it.
  pool.on("error", () => {});
  const saver = new PostgresSaver(pool, undefined, schema ? { schema } : {});
  const store = new PostgresStore({
    connectionOptions: { connectionString: url, max: 2, connectionTimeoutMillis: 10_000 },
    ...(schema ? { schema } : {}),
  });
  try {
    await setUpOnce(pool, schema, async () => {
      await saver.setup();
      await store.setup();
    });
  } catch (error) {
    await Promise.all([pool.end().catch(() => {}), store.stop()]);
    throw connectionError(error, url);
  }
  return {
    saver,
    store,
    kind: "postgres",
    lock: postgresLock(pool, schema),
    close: async () => void (await Promise.all([pool.end(), store.stop()])),
  };
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

/** Turns a lost or refused database connection into a clear error; other errors pass through. */
export function connectionError(error: unknown, url?: string): unknown {
  const code = (error as { code?: string })?.code;
  const message = (error as Error)?.message ?? String(error);
  if (
    !(code && CONNECTION_CODES.has(code)) &&
    !/Connection terminated|connect ECONNREFUSED|timeout expired/i.test(message)
  )
    return error;
  const where = url ? ` at ${redact(url)}` : "";
  return new CheckpointerConnectionError(
    `Lost the connection to the checkpoint database${where} (${code ?? message}). Finished work is checkpointed; ` +
      "resume the thread once the database is back.",
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
