import type { SqliteSaver } from "@langchain/langgraph-checkpoint-sqlite";

interface Db {
  prepare(sql: string): { all(...args: unknown[]): Record<string, unknown>[] };
}

/** Bytes a thread holds in each table and column of a SQLite checkpointer (`checkpoints.checkpoint`, `writes.value`, …). */
export function bytesByColumn(saver: SqliteSaver, threadId: string): Record<string, number> {
  const db = saver.db as unknown as Db;
  const bytes: Record<string, number> = {};
  for (const { name } of db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as {
    name: string;
  }[]) {
    const columns = (db.prepare(`PRAGMA table_info(${name})`).all() as { name: string }[]).map((c) => c.name);
    if (!columns.includes("thread_id")) continue;
    const sums = columns.map((c) => `COALESCE(SUM(LENGTH(${c})), 0) AS "${c}"`).join(", ");
    const [row] = db.prepare(`SELECT ${sums}, COUNT(*) AS "rows" FROM ${name} WHERE thread_id = ?`).all(threadId);
    for (const [column, value] of Object.entries(row!)) bytes[`${name}.${column}`] = Number(value);
  }
  return bytes;
}

/** Bytes of a thread over every column (row counts left out). */
export const totalBytes = (byColumn: Record<string, number>): number =>
  Object.entries(byColumn).reduce((sum, [key, value]) => (key.endsWith(".rows") ? sum : sum + value), 0);

/**
 * Bytes per state channel for a thread: the channel's value in every stored checkpoint (JSON-serialised
 * checkpoints only) plus its pending writes. Shows which channel makes a goal's bytes grow.
 */
export function bytesByChannel(saver: SqliteSaver, threadId: string): Record<string, number> {
  const db = saver.db as unknown as Db;
  const bytes: Record<string, number> = {};
  const add = (channel: string, n: number) => (bytes[channel] = (bytes[channel] ?? 0) + n);
  for (const row of db.prepare("SELECT type, checkpoint FROM checkpoints WHERE thread_id = ?").all(threadId)) {
    if (row.type !== "json") continue;
    const checkpoint = JSON.parse(Buffer.from(row.checkpoint as Buffer).toString("utf8")) as {
      channel_values?: Record<string, unknown>;
    };
    for (const [channel, value] of Object.entries(checkpoint.channel_values ?? {}))
      add(channel, JSON.stringify(value)?.length ?? 0);
  }
  for (const row of db
    .prepare("SELECT channel, SUM(LENGTH(value)) AS b FROM writes WHERE thread_id = ? GROUP BY channel")
    .all(threadId)) {
    add(row.channel as string, Number(row.b));
  }
  return bytes;
}
