import { EventEmitter } from "node:events";
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
