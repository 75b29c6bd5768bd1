import { spawn, type ChildProcess } from "node:child_process";
import { createServer } from "node:net";
import { resolve } from "node:path";

/** A LangGraph dev server (`langgraphjs dev`) running on the project, in its own process group. */
export interface DevServer {
  /** Base URL of the LangGraph API, e.g. `http://127.0.0.1:41234`. */
  readonly url: string;
  readonly port: number;
  /** Everything the server printed so far (stdout and stderr, capped). */
  output(): string;
  /** Stops the whole process group (CLI, `tsx watch`, server); SIGKILL if SIGTERM is not enough. */
  stop(): Promise<void>;
}

export interface DevServerOptions {
  /** The project root holding langgraph.json (default: the current directory). */
  cwd?: string;
  /** Environment of the server, over the inherited one. */
  env?: Record<string, string>;
  /** How long to wait for the server to answer `GET /info` (open under custom auth; default 45 s). */
  bootTimeoutMs?: number;
  /** More arguments for `langgraphjs dev`, e.g. `["--config", "test/fixtures/x/langgraph.json"]`. */
  args?: string[];
}

const MAX_OUTPUT_CHARS = 200_000;
const running = new Set<number>();

/** Last resort against orphans: if the test process exits with servers still running, kill their groups. */
process.once("exit", () => {
  for (const pid of running) killGroup(pid, "SIGKILL");
});

/** A TCP port that was free on 127.0.0.1 a moment ago. */
export function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolvePort(port));
    });
  });
}

/**
 * Starts the dev server the way `npm run dev` does (`tsx src/server/dev-server.ts`, which runs `langgraphjs dev
 * --no-browser` with analytics off) on a free port, tracing off, and waits until it answers.
 */
export async function startDevServer(options: DevServerOptions = {}): Promise<DevServer> {
  const cwd = options.cwd ?? process.cwd();
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const tsx = resolve(cwd, "node_modules/tsx/dist/cli.mjs");
  const env: NodeJS.ProcessEnv = {
    ...withoutTestRunnerVars(process.env),
    LANGSMITH_TRACING: "false",
    LANGCHAIN_TRACING_V2: "false",
    BROWSER: "none",
    ...options.env,
  };
  const child = spawn(
    process.execPath,
    [tsx, "src/server/dev-server.ts", "--port", String(port), "--host", "127.0.0.1", ...(options.args ?? [])],
    {
      cwd,
      env,
      detached: true,
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  const pid = child.pid!;
  running.add(pid);
  let output = "";
  const append = (chunk: Buffer) => {
    output = (output + chunk.toString("utf8")).slice(-MAX_OUTPUT_CHARS);
  };
  child.stdout!.on("data", append);
  child.stderr!.on("data", append);
  const exited = new Promise<void>((done) => child.once("exit", () => done()));

  const stop = async () => {
    if (!running.has(pid)) return;
    killGroup(pid, "SIGTERM");
    if (!(await groupGone(pid, exited, 5_000))) {
      killGroup(pid, "SIGKILL");
      await groupGone(pid, exited, 5_000);
    }
    running.delete(pid);
  };

  try {
    await waitUntilReady(url, child, () => output, options.bootTimeoutMs ?? 45_000);
  } catch (error) {
    await stop();
    throw error;
  }
  return { url, port, output: () => output, stop };
}

function withoutTestRunnerVars(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(env).filter(([key]) => !key.startsWith("VITEST")));
}

async function waitUntilReady(
  url: string,
  child: ChildProcess,
  output: () => string,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const tail = () => output().slice(-3_000);
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`the dev server exited (${child.exitCode ?? child.signalCode}) before answering:\n${tail()}`);
    }
    // `tsx watch` keeps the CLI alive after the server crashed, so look at what it printed too.
    if (/EADDRINUSE|Failed to launch server/.test(output()))
      throw new Error(`the dev server failed to start:\n${tail()}`);
    try {
      const response = await fetch(`${url}/info`, { signal: AbortSignal.timeout(1_000) });
      if (response.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((done) => setTimeout(done, 200));
  }
  throw new Error(`the dev server did not answer ${url}/info within ${timeoutMs} ms:\n${tail()}`);
}

function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // the group is gone already
  }
}

/** Resolves true once the direct child exited and no process of its group is left, false after `timeoutMs`. */
async function groupGone(pid: number, exited: Promise<void>, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  const childExit = await Promise.race([
    exited.then(() => true),
    new Promise<false>((done) => setTimeout(() => done(false), timeoutMs)),
  ]);
  if (!childExit) return false;
  while (Date.now() < deadline) {
    try {
      process.kill(-pid, 0);
    } catch {
      return true;
    }
    await new Promise((done) => setTimeout(done, 100));
  }
  return false;
}
