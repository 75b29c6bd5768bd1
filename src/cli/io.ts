import { pathToFileURL } from "node:url";
import type { ModelProvider } from "../index.js";

/** Where a command writes, and the environment it reads: injectable for tests. */
export interface TextIO {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  env: NodeJS.ProcessEnv;
}

/** Where the CLI writes: injectable for tests. */
export interface CliIO extends TextIO {
  /** Overrides the model provider (tests). */
  models?: ModelProvider;
  /** An interactive terminal: draw the live view on stderr instead of one line per event. */
  isTTY?: boolean;
  /** Terminal width and height for the live view (read at every frame). */
  columns?: number;
  rows?: number;
  /** Colours in the live view (default: what picocolors detects). */
  color?: boolean;
  /** Base directory of run logs when the checkpointer has no file (default: the working directory). */
  cwd?: string;
  /** Where SIGINT/SIGTERM come from (default: the process); none in tests that do not send them. */
  signals?: Pick<NodeJS.Process, "on" | "off">;
  /** Exits at once (a third signal, when cancelling did not end the process). */
  exit?: (code: number) => never;
}

/** The process's own stdout, stderr and environment. */
export function processIO(): TextIO {
  return {
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
    env: process.env,
  };
}

/** Whether the module at `moduleUrl` (its `import.meta.url`) is the script node was started with. */
export function isEntryPoint(moduleUrl: string): boolean {
  return Boolean(process.argv[1]) && moduleUrl === pathToFileURL(process.argv[1]!).href;
}
