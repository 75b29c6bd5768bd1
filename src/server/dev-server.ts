/**
 * `npm run dev`: the LangGraph dev server (`langgraphjs dev`) on this project, with the port from `--port` or
 * `PORT` (default 2024), no browser, and CLI analytics off. Other flags (`--host`, `--tunnel`, …) pass through.
 */
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, resolve } from "node:path";
import { readEnvironment } from "../env.js";
import { isEntryPoint } from "../cli/io.js";

export const DEFAULT_PORT = 2024;

/** The command that starts the dev server: node, the CLI's script, its arguments, and its environment. */
export interface DevCommand {
  command: string;
  args: string[];
  env: NodeJS.ProcessEnv;
}

/** Builds the dev server command from the launcher's argv and environment. `--port` wins over `PORT`. */
export function devCommand(argv: readonly string[], env: NodeJS.ProcessEnv): DevCommand {
  const rest: string[] = [];
  let port: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === "--port" || arg === "-p") port = argv[++i];
    else if (arg.startsWith("--port=")) port = arg.slice("--port=".length);
    else if (arg !== "--no-browser") rest.push(arg);
  }
  port ??= readEnvironment(env).port ?? String(DEFAULT_PORT);
  if (!/^\d+$/.test(port) || Number(port) < 1 || Number(port) > 65_535) {
    throw new Error(`Invalid port ${JSON.stringify(port)}: use --port <1-65535> or PORT.`);
  }
  return {
    command: process.execPath,
    args: [langgraphCli(), "dev", "--no-browser", "--port", port, ...rest],
    env: { ...env, LANGGRAPH_CLI_NO_ANALYTICS: "1" },
  };
}

/** Path of the `langgraphjs` script of the installed @langchain/langgraph-cli. */
function langgraphCli(): string {
  const manifest = createRequire(import.meta.url).resolve("@langchain/langgraph-cli/package.json");
  const { bin } = JSON.parse(readFileSync(manifest, "utf8")) as { bin: Record<string, string> };
  return resolve(dirname(manifest), bin.langgraphjs!);
}

/** Runs the dev server in the foreground until it exits; SIGINT/SIGTERM are passed on. */
export function runDevServer(argv: readonly string[], env: NodeJS.ProcessEnv): Promise<number> {
  const { command, args, env: childEnv } = devCommand(argv, env);
  const child = spawn(command, args, { stdio: "inherit", env: childEnv });
  const forward = (signal: NodeJS.Signals) => () => child.kill(signal);
  process.on("SIGINT", forward("SIGINT"));
  process.on("SIGTERM", forward("SIGTERM"));
  return new Promise((done) => {
    child.once("exit", (code, signal) => done(code ?? (signal ? 1 : 0)));
  });
}

if (isEntryPoint(import.meta.url)) {
  try {
    process.exitCode = await runDevServer(process.argv.slice(2), process.env);
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n`);
    process.exitCode = 2;
  }
}
