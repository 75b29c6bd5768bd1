import { afterAll, describe } from "vitest";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { crashMatrix } from "../helpers/crash-matrix.js";

const POSTGRES_URL = process.env.POSTGRES_URL;
const dir = mkdtempSync(join(tmpdir(), "orchestrator-crash-pg-"));
/** One schema per configuration: each has its own threads (a baseline of its own among them). */
const schema = (configuration: string) => `crash_${configuration}_${process.pid}_${Date.now()}`;
const schemas = { input: schema("input"), planner: schema("planner") };
const specIn = (name: string) => () => `${POSTGRES_URL}${POSTGRES_URL!.includes("?") ? "&" : "?"}schema=${name}`;

describe.runIf(POSTGRES_URL)("Postgres tier", () => {
  afterAll(async () => {
    rmSync(dir, { recursive: true, force: true });
    const pool = new pg.Pool({ connectionString: POSTGRES_URL });
    for (const name of Object.values(schemas)) await pool.query(`DROP SCHEMA IF EXISTS "${name}" CASCADE`);
    await pool.end();
  });
  crashMatrix("Postgres", specIn(schemas.input), () => dir);
  const planner = join(dir, "planner");
  mkdirSync(planner);
  crashMatrix("Postgres, with a planner model", specIn(schemas.planner), () => planner, { planner: true });
});
