import pg from "pg";

/** The Postgres of the tests that need one (`.ci/run` sets it to a fresh database when a server answers). */
export const POSTGRES_URL = process.env.POSTGRES_URL;
if (!POSTGRES_URL) console.warn("The Postgres tier is skipped: POSTGRES_URL is not set (.ci/run sets it).");

/** The checkpointer spec of `schema` in the test database (`extra`: more URL parameters, e.g. `pool_size=3`). */
export const schemaSpec = (schema: string, extra = ""): string =>
  `${POSTGRES_URL}${POSTGRES_URL!.includes("?") ? "&" : "?"}schema=${schema}${extra ? `&${extra}` : ""}`;

/** Drops schemas of the test database, with everything in them. */
export async function dropSchemas(...schemas: string[]): Promise<void> {
  const pool = new pg.Pool({ connectionString: POSTGRES_URL });
  try {
    for (const schema of schemas) await pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  } finally {
    await pool.end();
  }
}
