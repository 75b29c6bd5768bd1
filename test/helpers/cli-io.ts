import type { CliIO } from "../../src/cli/main.js";
import type { ModelProvider } from "../../src/models.js";

/** An in-process CLI environment without a terminal, writing into strings; `models` replaces the provider. */
export function captureCli(cwd: string, models?: ModelProvider): { out: { stdout: string; stderr: string }; io: CliIO } {
  const out = { stdout: "", stderr: "" };
  const io: CliIO = { stdout: (t) => void (out.stdout += t), stderr: (t) => void (out.stderr += t), env: {}, isTTY: false, cwd, ...(models ? { models } : {}) };
  return { out, io };
}
