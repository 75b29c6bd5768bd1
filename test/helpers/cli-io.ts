import { EventEmitter } from "node:events";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import type { CliIO } from "../../src/cli/main.js";
import type { ModelProvider } from "../../src/models.js";

/** An in-process CLI environment without a terminal, writing into strings; `models` replaces the provider. */
export function captureCli(
  cwd: string,
  models?: ModelProvider,
): { out: { stdout: string; stderr: string }; io: CliIO } {
  const out = { stdout: "", stderr: "" };
  const io: CliIO = {
    stdout: (t) => void (out.stdout += t),
    stderr: (t) => void (out.stderr += t),
    env: {},
    isTTY: false,
    cwd,
    ...(models ? { models } : {}),
  };
  return { out, io };
}

/**
 * An in-process CLI environment whose signals the test sends (`signals.emit("SIGINT")`) and whose calls of `exit`
 * it records; `onStderr` sees each write to stderr as it comes, `stderr()` all of them.
 */
export function signalledCli(cwd: string, models: ModelProvider, onStderr: (text: string) => void = () => {}) {
  const signals = new EventEmitter();
  const exits: number[] = [];
  let stderr = "";
  const io: CliIO = {
    stdout: () => {},
    stderr: (text) => {
      stderr += text;
      onStderr(text);
    },
    env: {},
    isTTY: false,
    cwd,
    models,
    signals: signals as unknown as CliIO["signals"],
    exit: ((code: number) => void exits.push(code)) as CliIO["exit"],
  };
  return { io, signals, exits, stderr: () => stderr };
}

/**
 * A trip plan file in `dir` whose flight task cannot run (its request says 0 travellers): flight is dead-lettered,
 * the hotel after it skipped, the attractions done.
 */
export function brokenTripPlan(dir: string): string {
  const file = join(dir, "broken.json");
  const tasks = [
    {
      id: "flight",
      title: "Choose the flight",
      description: '{"travellers": 0}',
      worker: "flight_agent",
      dependsOn: [],
    },
    { id: "attractions", title: "Choose the attractions", worker: "attractions_agent", dependsOn: [] },
    { id: "hotel", title: "Book the hotel", worker: "hotel_agent", dependsOn: ["flight"] },
  ];
  writeFileSync(file, JSON.stringify({ tasks }));
  return file;
}
