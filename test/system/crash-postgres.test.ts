import { afterAll, describe } from "vitest";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { crashMatrix } from "../helpers/crash-matrix.js";

const POSTGRES_URL = process.env.POSTGRES_URL;
const dir = mkdtempSync(join(tmpdir(), "orchestrator-crash-pg-"));
const schema = `crash_${process.pid}_${Date.now()}`;

describe.runIf(POSTGRES_URL)("Postgres tier", () => {
  afterAll(async () => {
    rmSync(dir, { recursive: true, force: true });
    const pool = new pg.Pool({ connectionString: POSTGRES_URL });
    await pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await pool.end();
  });
  crashMatrix(
    "Postgres",
    () => `${POSTGRES_URL}${POSTGRES_URL!.includes("?") ? "&" : "?"}schema=${schema}`,
    () => dir,
  );
});
