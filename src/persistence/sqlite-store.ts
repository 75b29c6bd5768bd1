import {
  BaseStore,
  type GetOperation,
  type Item,
  type ListNamespacesOperation,
  type MatchCondition,
  type Operation,
  type OperationResults,
  type PutOperation,
  type SearchOperation,
} from "@langchain/langgraph";
import type { SqliteSaver } from "@langchain/langgraph-checkpoint-sqlite";

type Database = SqliteSaver["db"];
type Row = { namespace: string; key: string; value: string; created_at: string; updated_at: string };

/** Namespaces are stored as their labels joined by a separator no label contains (LangGraph forbids "." in labels too). */
const SEP = "\u001f";
const joinNs = (namespace: readonly string[]) => namespace.join(SEP);

const toItem = (row: Row): Item => ({
  namespace: row.namespace.split(SEP),
  key: row.key,
  value: JSON.parse(row.value),
  createdAt: new Date(row.created_at),
  updatedAt: new Date(row.updated_at),
});

/** Whether every filter field equals the value's field (LangGraph's exact-match filter). */
const matches = (value: Record<string, unknown>, filter: Record<string, unknown> = {}) =>
  Object.entries(filter).every(([field, wanted]) => JSON.stringify(value[field]) === JSON.stringify(wanted));

const pathMatches = (labels: readonly string[], path: readonly string[]) =>
  path.length <= labels.length && path.every((label, i) => label === "*" || label === labels[i]);

/** Whether a namespace meets a list-namespaces condition: a prefix or suffix path, "*" matching any label. */
function meets(namespace: readonly string[], condition: MatchCondition): boolean {
  const { path } = condition;
  return condition.matchType === "prefix"
    ? pathMatches(namespace, path)
    : pathMatches([...namespace].reverse(), [...path].reverse());
}

/**
 * LangGraph's key-value store in the SQLite file of the checkpoints (a `store` table): get, put, delete, filtered
 * search under a namespace prefix and namespace listing. No semantic (`query`) search: items come in update order.
 */
export class SqliteStore extends BaseStore {
  /** The statements, prepared once. */
  private readonly sql: Record<
    "get" | "delete" | "upsert" | "under" | "all" | "namespaces",
    ReturnType<Database["prepare"]>
  >;

  constructor(private readonly db: Database) {
    super();
    db.exec(`CREATE TABLE IF NOT EXISTS store (
      namespace TEXT NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL,
      created_at TEXT NOT NULL, updated_at TEXT NOT NULL, PRIMARY KEY (namespace, key))`);
    this.sql = {
      get: db.prepare("SELECT * FROM store WHERE namespace = ? AND key = ?"),
      delete: db.prepare("DELETE FROM store WHERE namespace = ? AND key = ?"),
      upsert: db.prepare(
        `INSERT INTO store (namespace, key, value, created_at, updated_at) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (namespace, key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`,
      ),
      under: db.prepare(
        "SELECT * FROM store WHERE namespace = ? OR substr(namespace, 1, ?) = ? ORDER BY updated_at DESC",
      ),
      all: db.prepare("SELECT * FROM store ORDER BY updated_at DESC"),
      namespaces: db.prepare("SELECT DISTINCT namespace FROM store ORDER BY namespace"),
    };
  }

  async batch<Op extends Operation[]>(operations: Op): Promise<OperationResults<Op>> {
    const run = this.db.transaction(() => operations.map((operation) => this.apply(operation)));
    return run() as OperationResults<Op>;
  }

  private apply(operation: Operation): unknown {
    if ("namespacePrefix" in operation) return this.searchItems(operation);
    if (!("key" in operation)) return this.listNamespaceRows(operation);
    if ("value" in operation) return this.putItem(operation);
    return this.getItem(operation);
  }

  private getItem({ namespace, key }: GetOperation): Item | null {
    const row = this.sql.get.get(joinNs(namespace), key) as Row | undefined;
    return row ? toItem(row) : null;
  }

  private putItem({ namespace, key, value }: PutOperation): void {
    if (value === null) {
      this.sql.delete.run(joinNs(namespace), key);
      return;
    }
    const now = new Date().toISOString();
    this.sql.upsert.run(joinNs(namespace), key, JSON.stringify(value), now, now);
  }

  private searchItems({ namespacePrefix, filter, limit = 10, offset = 0 }: SearchOperation): Item[] {
    const prefix = joinNs(namespacePrefix);
    const rows = (prefix ? this.sql.under.all(prefix, prefix.length + 1, prefix + SEP) : this.sql.all.all()) as Row[];
    return rows
      .map(toItem)
      .filter((item) => matches(item.value, filter))
      .slice(offset, offset + limit);
  }

  private listNamespaceRows({ matchConditions = [], maxDepth, limit, offset }: ListNamespacesOperation): string[][] {
    const rows = this.sql.namespaces.all() as { namespace: string }[];
    const found = new Map<string, string[]>();
    for (const { namespace } of rows) {
      const labels = namespace.split(SEP);
      if (!matchConditions.every((condition) => meets(labels, condition))) continue;
      const cut = maxDepth === undefined ? labels : labels.slice(0, maxDepth);
      found.set(joinNs(cut), cut);
    }
    return [...found.values()].slice(offset, offset + limit);
  }
}
