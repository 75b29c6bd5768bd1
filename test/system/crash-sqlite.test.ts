import { afterAll } from "vitest";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { crashMatrix } from "../helpers/crash-matrix.js";

const dir = mkdtempSync(join(tmpdir(), "orchestrator-crash-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

crashMatrix(
  "SQLite",
  (label) => `sqlite:${join(dir, `${label}.db`)}`,
  () => dir,
);
const continuous = join(dir, "continuous");
mkdirSync(continuous);
crashMatrix(
  "SQLite, continuous scheduling",
  (label) => `sqlite:${join(continuous, `${label}.db`)}`,
  () => continuous,
  { settings: { scheduling: "continuous" } },
);
const planner = join(dir, "planner");
mkdirSync(planner);
crashMatrix(
  "SQLite, with a planner model",
  (label) => `sqlite:${join(planner, `${label}.db`)}`,
  () => planner,
  { planner: true },
);
