import type { StructuredToolInterface } from "@langchain/core/tools";
import { isGraphInterrupt } from "@langchain/langgraph";
import { loadMcpTools, MultiServerMCPClient } from "@langchain/mcp-adapters";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { createMiddleware, ToolInvocationError, ToolMessage } from "langchain";
import { McpServerError } from "../errors.js";
import { abortable } from "./abortable.js";
import type { McpServer } from "../worker-contract.js";

/** A tool error that means the server itself is gone (crashed, exited, disconnected), not that the tool failed. */
const SERVER_GONE = /Connection closed|Not connected|EPIPE|ECONNREFUSED|ECONNRESET|fetch failed/i;

/** How much of a stdio server's stderr a start failure quotes: its last lines, within a few thousand characters. */
const STDERR_TAIL_LINES = 20;
const STDERR_TAIL_CHARS = 2_000;

/** The last `lines` non-empty lines of `text`, at most `chars` characters of them. */
export function tailOf(text: string, lines = STDERR_TAIL_LINES, chars = STDERR_TAIL_CHARS): string {
  return text
    .split(/\r?\n/)
    .filter((line) => line.trim())
    .slice(-lines)
    .join("\n")
    .slice(-chars);
}

/** One connected server: its name, its tools, the last lines of its stderr (once it ended), and how to close it. */
interface OpenServer {
  name: string;
  tools: StructuredToolInterface[];
  stderrTail(): Promise<string>;
  close(): Promise<void>;
}

type StdioServer = Extract<McpServer, { command: string }>;

const messageOf = (error: unknown) => (error as Error)?.message ?? String(error);

/** An `McpServerError` naming `name`, quoting its stderr tail when there is one. */
const serverFailure = (name: string, reason: string, error: unknown, stderr = "") =>
  new McpServerError([name], `${reason}: ${messageOf(error)}${stderr ? `; its stderr ended with:\n${stderr}` : ""}`, {
    cause: error,
  });

/**
 * Starts a stdio server and loads its tools. Its stderr is read (so it never blocks on a full pipe) and its last
 * lines kept: a server that will not start, or dies later, fails with what it said, e.g. a missing module.
 */
async function openStdio(name: string, server: StdioServer, signal?: AbortSignal): Promise<OpenServer> {
  const transport = new StdioClientTransport({
    command: server.command,
    args: server.args ?? [],
    env: server.env,
    cwd: server.cwd,
    stderr: "pipe",
  });
  let stderr = "";
  const stream = transport.stderr!;
  const ended = new Promise<void>((done) => stream.once("end", done).once("close", done));
  // Once the server is stopped its stderr ends when the pipe is drained (bounded, in case a child of it holds the pipe).
  const stderrTail = async () => {
    await Promise.race([ended, new Promise((done) => setTimeout(done, 2_000).unref())]);
    return tailOf(stderr);
  };
  stream.on("data", (chunk: Buffer) => {
    stderr = (stderr + chunk.toString("utf8")).slice(-4 * STDERR_TAIL_CHARS);
  });
  const client = new Client({ name: "langgraph-orchestrator", version: "1" });
  try {
    await client.connect(transport, { signal });
    const tools = await abortable(
      loadMcpTools(name, client, { throwOnLoadError: true, prefixToolNameWithServerName: false }),
      signal,
    );
    return { name, tools, stderrTail, close: () => client.close() };
  } catch (error) {
    await client.close().catch(() => {});
    if (signal?.aborted) throw signal.reason;
    throw serverFailure(name, "could not be started or reached", error, await stderrTail());
  }
}

/** Connects to a streamable-HTTP or SSE server through the adapters' client and loads its tools. */
async function openUrl(
  name: string,
  server: Extract<McpServer, { url: string }>,
  signal?: AbortSignal,
): Promise<OpenServer> {
  const client = new MultiServerMCPClient({
    mcpServers: { [name]: { url: server.url, ...(server.headers ? { headers: server.headers } : {}) } },
    throwOnLoadError: true,
    onConnectionError: "throw",
    prefixToolNameWithServerName: false,
  });
  try {
    const tools = await abortable(client.getTools(), signal);
    return { name, tools, stderrTail: async () => "", close: () => client.close() };
  } catch (error) {
    await client.close().catch(() => {});
    if (signal?.aborted) throw signal.reason;
    throw serverFailure(name, "could not be started or reached", error);
  }
}

const openServer = (name: string, server: McpServer, signal?: AbortSignal) =>
  "url" in server ? openUrl(name, server, signal) : openStdio(name, server, signal);

/**
 * Tells whether a failed call of tool `toolName` means its MCP server went away: then an `McpServerError` naming
 * that server and quoting its stderr tail, else undefined (not an MCP tool, or the tool's own error).
 */
export type McpGone = (toolName: string, error: unknown) => Promise<McpServerError | undefined>;

/** The `McpGone` of `tools` from the open servers: a tool's server is the one that offered it. */
function goneOf(open: readonly OpenServer[], tools: readonly StructuredToolInterface[]): McpGone {
  const owners = new Map(
    open.flatMap((server) =>
      server.tools.filter((tool) => tools.includes(tool)).map((tool) => [tool.name, server] as const),
    ),
  );
  return async (toolName, error) => {
    const server = owners.get(toolName);
    if (!server || !SERVER_GONE.test(messageOf(error))) return undefined;
    return serverFailure(server.name, `went away during a call of "${toolName}"`, error, await server.stderrTail());
  };
}

/**
 * Runs `work` with the tools of `servers` (only `only`, when given) and their `McpGone`: the servers are opened for
 * the attempt and closed after it. A server that cannot be started or reached is an `McpServerError` naming it; one
 * still starting when `signal` (the attempt's) aborts is closed at once, and the open fails with the signal's reason.
 */
export async function withMcpTools<T>(
  servers: Record<string, McpServer>,
  only: readonly string[] | undefined,
  signal: AbortSignal | undefined,
  work: (tools: StructuredToolInterface[], gone: McpGone) => Promise<T>,
): Promise<T> {
  const names = Object.keys(servers);
  const opening = await Promise.allSettled(names.map((name) => openServer(name, servers[name]!, signal)));
  const open = opening.flatMap((outcome) => (outcome.status === "fulfilled" ? [outcome.value] : []));
  try {
    const failed = opening.find((outcome) => outcome.status === "rejected");
    if (failed) throw failed.reason;
    const tools = open.flatMap((server) => server.tools);
    const missing = only?.filter((name) => !tools.some((tool) => tool.name === name)) ?? [];
    if (missing.length)
      throw new McpServerError(
        names,
        `offers no tool ${missing.map((name) => `"${name}"`).join(", ")}; it offers: ${tools.map((tool) => tool.name).join(", ")}`,
      );
    const given = only ? tools.filter((tool) => only.includes(tool.name)) : tools;
    return await work(given, goneOf(open, given));
  } finally {
    await Promise.all(open.map((server) => server.close().catch(() => {})));
  }
}

/**
 * The agent middleware for MCP tools: a tool whose server went away fails the attempt with an `McpServerError`
 * (classified `mcp`, retried with a fresh server); any other tool error goes back to the model, as without it.
 */
export function mcpFailures(gone: McpGone) {
  return createMiddleware({
    name: "McpServerFailures",
    wrapToolCall: async (request, handler) => {
      try {
        return await handler(request);
      } catch (error) {
        if (isGraphInterrupt(error)) throw error;
        const failure = await gone(request.toolCall.name, error);
        if (failure) throw failure;
        const message = messageOf(error);
        const content = ToolInvocationError.isInstance(error) ? message : `${error}\n Please fix your mistakes.`;
        return new ToolMessage({
          content,
          tool_call_id: request.toolCall.id ?? "",
          name: request.toolCall.name,
          status: "error",
        });
      }
    },
  });
}
