import { afterAll } from "vitest";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { crashMatrix } from "../helpers/crash-matrix.js";

const dir = mkdtempSync(join(tmpdir(), "orchestrator-crash-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A configuration's matrix with its own folder of databases and execution logs. */
function sqliteMatrix(name: string, folder: string, options?: Parameters<typeof crashMatrix>[3]): void {
  const where = join(dir, folder);
  mkdirSync(where);
  crashMatrix(
    name,
    (label) => `sqlite:${join(where, `${label}.db`)}`,
    () => where,
    options,
  );
}

sqliteMatrix("SQLite", "input");
sqliteMatrix("SQLite, waves scheduling", "waves", { settings: { scheduling: "waves" } });
sqliteMatrix("SQLite, with a planner model", "planner", { planner: true });
