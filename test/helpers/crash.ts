import { spawn } from "node:child_process";
import { readFileSync, existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { CrashChildOptions } from "./crash-child.js";

const CHILD = fileURLToPath(new URL("./crash-child.ts", import.meta.url));
const ROOT = fileURLToPath(new URL("../..", import.meta.url));

/** How long a crash child may run: seconds normally, but a loaded machine can take many to start one. */
export const CHILD_DEADLINE_MS = 60_000;

export interface ChildRun {
  lines: string[];
  summary?: { status: string; answer: string; statuses: Record<string, string>; outputs: Record<string, string> };
  killed: boolean;
}

/**
 * Runs the crash child; SIGKILLs it as soon as `killWhen` matches a stdout line, or resolves when it is a promise
 * (a signal from outside the child, such as the loopback model holding a call). A child still running after
 * `deadlineMs` is killed and the run rejected, naming the lines it printed.
 */
export function runChild(
  options: CrashChildOptions,
  killWhen?: ((line: string) => boolean) | Promise<unknown>,
  deadlineMs = CHILD_DEADLINE_MS,
): Promise<ChildRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", CHILD, JSON.stringify(options)], {
      cwd: ROOT,
      env: { ...process.env, LANGSMITH_TRACING: "false" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    const lines: string[] = [];
    let stderr = "";
    let buffer = "";
    let killing = false;
    let overdue = false;
    const kill = () => {
      if (killing) return;
      killing = true;
      child.kill("SIGKILL");
    };
    if (killWhen instanceof Promise) void killWhen.then(kill);
    const killAt = typeof killWhen === "function" ? killWhen : undefined;
    const deadline = setTimeout(() => {
      overdue = true;
      child.kill("SIGKILL");
    }, deadlineMs);
    child.stdout.on("data", (chunk: Buffer) => {
      buffer += chunk.toString();
      const parts = buffer.split("\n");
      buffer = parts.pop()!;
      for (const line of parts) {
        lines.push(line);
        if (killAt?.(line)) kill();
      }
    });
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    child.on("error", (error) => (clearTimeout(deadline), reject(error)));
    child.on("exit", (code, signal) => {
      clearTimeout(deadline);
      if (buffer) lines.push(buffer);
      if (overdue) {
        const awaited = killWhen ? "the moment to kill it" : "the end of the run";
        return reject(
          new Error(
            `crash child still running after ${deadlineMs} ms, waiting for ${awaited}; it printed:\n${lines.join("\n")}\n${stderr}`,
          ),
        );
      }
      const killed = signal === "SIGKILL";
      if (!killed && code !== 0) return reject(new Error(`child exited with ${code}: ${stderr}`));
      const summaryLine = lines.find((line) => line.startsWith("SUMMARY "));
      resolve({ lines, killed, ...(summaryLine ? { summary: JSON.parse(summaryLine.slice(8)) } : {}) });
    });
  });
}

/** How many times each task's worker started and finished, from the child's execution log. */
export function executions(execLog: string): { starts: Record<string, number>; ends: Record<string, number> } {
  const starts: Record<string, number> = {};
  const ends: Record<string, number> = {};
  const text = existsSync(execLog) ? readFileSync(execLog, "utf8") : "";
  for (const line of text.split("\n").filter(Boolean)) {
    const [kind, id] = line.split(" ") as ["start" | "end", string];
    const counts = kind === "start" ? starts : ends;
    counts[id] = (counts[id] ?? 0) + 1;
  }
  return { starts, ends };
}
