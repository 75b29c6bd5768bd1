import type { SqliteSaver } from "@langchain/langgraph-checkpoint-sqlite";

interface Db {
  prepare(sql: string): {
    all(...args: unknown[]): Record<string, unknown>[];
    get(...args: unknown[]): Record<string, unknown>;
  };
}

/** Total bytes stored in every column of every table of a SQLite checkpointer (optionally for one thread). */
export function storedBytes(saver: SqliteSaver, threadId?: string): number {
  const db = saver.db as unknown as Db;
  let bytes = 0;
  for (const { name } of db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as {
    name: string;
  }[]) {
    const columns = (db.prepare(`PRAGMA table_info(${name})`).all() as { name: string }[]).map((c) => c.name);
    const where = threadId && columns.includes("thread_id") ? "WHERE thread_id = ?" : "";
    const sum = columns.map((c) => `COALESCE(SUM(LENGTH(${c})), 0)`).join(" + ");
    bytes += Number(db.prepare(`SELECT ${sum} AS b FROM ${name} ${where}`).get(...(where ? [threadId] : [])).b);
  }
  return bytes;
}

/** Every text and blob stored by a SQLite checkpointer, concatenated (to search for leaks). */
export function storedText(saver: SqliteSaver): string {
  const db = saver.db as unknown as Db;
  const chunks: string[] = [];
  for (const { name } of db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as {
    name: string;
  }[]) {
    for (const row of db.prepare(`SELECT * FROM ${name}`).all()) {
      for (const value of Object.values(row))
        chunks.push(Buffer.isBuffer(value) ? value.toString("utf8") : String(value));
    }
  }
  return chunks.join("\n");
}
