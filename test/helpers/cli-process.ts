import { spawn } from "node:child_process";
import { resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
/** tsx's loader, for `node --import` (how the CLI's own tests start it). */
export const TSX = pathToFileURL(resolve(ROOT, "node_modules/tsx/dist/loader.mjs")).href;
const MAIN = resolve(ROOT, "src/cli/main.ts");
/** The other commands' entry points, for {@link CliProcessOptions.entry}. */
export const ENTRIES = {
  main: MAIN,
  executor: resolve(ROOT, "src/cli/executor.ts"),
  queue: resolve(ROOT, "src/cli/queue-status.ts"),
  taskWorker: resolve(ROOT, "src/cli/task-worker.ts"),
  prune: resolve(ROOT, "src/cli/prune.ts"),
} as const;
/** How long one CLI run may take by default. */
export const CLI_DEADLINE_MS = 60_000;

/** How a CLI process ended and what it printed. */
export interface CliRun {
  code: number | null;
  stderr: string;
  stdout: string;
}

/** A running CLI process. */
export interface CliProcess {
  pid: number;
  /** Sends the process a signal. */
  kill(signal: NodeJS.Signals): void;
  /** Settles when the process exits; rejects when it outlives its deadline (it is then killed). */
  exited: Promise<CliRun>;
}

export interface CliProcessOptions {
  /** Added to the test's environment (tracing is always off). */
  env?: Record<string, string>;
  /** Working directory (default: the repository root). Run logs of Postgres and memory runs go under it. */
  cwd?: string;
  /** Sees each stderr line and may signal the process. */
  onLine?: (line: string, kill: (signal: NodeJS.Signals) => void) => void;
  /** The command to run (default: the CLI, src/cli/main.ts). */
  entry?: string;
  /** A CLI still running after this is killed and the run rejected (default 60 s: a loaded machine can take many seconds to start one). */
  deadlineMs?: number;
}

/** Starts the real CLI (`src/cli/main.ts` under tsx) in its own process. */
export function spawnCli(args: readonly string[], options: CliProcessOptions = {}): CliProcess {
  const { env = {}, cwd = ROOT, onLine = () => {}, deadlineMs = CLI_DEADLINE_MS, entry = MAIN } = options;
  const child = spawn(process.execPath, ["--import", TSX, entry, ...args], {
    cwd,
    env: { ...process.env, LANGSMITH_TRACING: "false", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const exited = new Promise<CliRun>((resolveRun, reject) => {
    const deadline = setTimeout(() => {
      child.kill("SIGKILL");
      reject(
        new Error(
          `the CLI was still running after ${deadlineMs} ms; stderr so far:\n${stderr}\nstdout so far:\n${stdout}`,
        ),
      );
    }, deadlineMs);
    let stderr = "";
    let stdout = "";
    let pending = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
      pending += chunk.toString();
      const lines = pending.split("\n");
      pending = lines.pop()!;
      for (const line of lines) onLine(line, (signal) => child.kill(signal));
    });
    child.on("error", (error) => (clearTimeout(deadline), reject(error)));
    child.on("close", (code) => (clearTimeout(deadline), resolveRun({ code, stderr, stdout })));
  });
  return { pid: child.pid!, kill: (signal) => void child.kill(signal), exited };
}

/** Runs the real CLI to its exit. */
export const runCli = (args: readonly string[], options: CliProcessOptions = {}): Promise<CliRun> =>
  spawnCli(args, options).exited;
