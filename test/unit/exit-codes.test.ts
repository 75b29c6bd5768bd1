import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { usage } from "../../src/cli/args.js";
import { main as clientMain } from "../../src/cli/client.js";
import { executorMain } from "../../src/cli/executor.js";
import { EXIT, EXIT_MEANINGS, type ExitName } from "../../src/cli/exit-codes.js";
import { queueMain } from "../../src/cli/queue-status.js";
import { taskWorkerMain } from "../../src/cli/task-worker.js";
import { captureCli } from "../helpers/cli-io.js";

const README = readFileSync(new URL("../../docs/cli.md", import.meta.url), "utf8");

/** The rows of the exit-code table in docs/cli.md: [code, meaning]. */
function readmeRows(): [number, string][] {
  const table = README.slice(README.indexOf("| code | meaning |"));
  const rows = table.split("\n").slice(2);
  return rows
    .slice(
      0,
      rows.findIndex((row) => !row.startsWith("|")),
    )
    .map((row) => {
      const [, code, meaning] = row.split("|").map((cell) => cell.trim());
      return [Number(code), meaning!];
    });
}

/** A command's --help text, run in-process. */
async function helpOf(command: (argv: string[], io: ReturnType<typeof captureCli>["io"]) => Promise<number>) {
  const { out, io } = captureCli(process.cwd());
  expect(await command(["--help"], io)).toBe(EXIT.done);
  return out.stdout;
}

describe("the exit-code table", () => {
  it("gives every meaning its own code", () => {
    const codes = Object.values(EXIT);
    expect(new Set(codes).size).toBe(codes.length);
    expect(Object.keys(EXIT_MEANINGS).sort()).toEqual(Object.keys(EXIT).sort());
  });

  it("is the CLI docs page's table, row for row", () => {
    const table = (Object.keys(EXIT) as ExitName[]).map((name) => [EXIT[name], EXIT_MEANINGS[name]]);
    expect(readmeRows()).toEqual(table);
  });

  it.each([
    ["the CLI", async () => usage([]), ["done", "failed", "usage", "review", "partial", "busy", "stopped"]],
    ["the SDK client", () => helpOf(clientMain), ["done", "failed", "usage", "partial", "rejected"]],
    ["the executor", () => helpOf(executorMain), ["done", "failed", "usage", "stopped"]],
    ["the task worker", () => helpOf(taskWorkerMain), ["done", "failed", "usage", "stopped"]],
    ["the queue status command", () => helpOf(queueMain), ["done", "failed", "usage"]],
  ] as const)("is what %s prints under --help", async (_, help, names) => {
    const text = await help();
    const listed = text.slice(text.indexOf("Exit codes:")).split("\n").slice(1);
    expect(listed.filter((line) => /^ {2}\d/.test(line))).toEqual(
      names.map((name) => `  ${String(EXIT[name]).padEnd(4)} ${EXIT_MEANINGS[name]}`),
    );
  });
});
