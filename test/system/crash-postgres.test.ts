import { afterAll, describe } from "vitest";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { crashMatrix } from "../helpers/crash-matrix.js";
import { dropSchemas, POSTGRES_URL, schemaSpec } from "../helpers/postgres.js";

const dir = mkdtempSync(join(tmpdir(), "orchestrator-crash-pg-"));
/** One schema per configuration: each has its own threads (a baseline of its own among them). */
const schema = (configuration: string) => `crash_${configuration}_${process.pid}_${Date.now()}`;
const schemas = { input: schema("input"), planner: schema("planner") };
const specIn = (name: string) => () => schemaSpec(name);

describe.runIf(POSTGRES_URL)("Postgres tier", () => {
  afterAll(async () => {
    rmSync(dir, { recursive: true, force: true });
    await dropSchemas(...Object.values(schemas));
  });
  crashMatrix("Postgres", specIn(schemas.input), () => dir);
  const planner = join(dir, "planner");
  mkdirSync(planner);
  crashMatrix("Postgres, with a planner model", specIn(schemas.planner), () => planner, { planner: true });
});
