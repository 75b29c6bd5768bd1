import { writeFileSync } from "node:fs";
import { resolve } from "node:path";
import { HANDOFF_SCHEMA_PATH, handoffSchemaText } from "../worker-contract.js";
import { isEntryPoint } from "./io.js";

/** Writes the handoff contract's JSON Schema (generated from the zod schemas) to `schemas/` under `root`. */
export function writeHandoffSchema(root: string): string {
  const path = resolve(root, HANDOFF_SCHEMA_PATH);
  writeFileSync(path, handoffSchemaText());
  return path;
}

if (isEntryPoint(import.meta.url)) {
  process.stdout.write(`Wrote ${writeHandoffSchema(process.cwd())}\n`);
}
