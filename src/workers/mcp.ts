import type { StructuredToolInterface } from "@langchain/core/tools";
import { isGraphInterrupt } from "@langchain/langgraph";
import { MultiServerMCPClient } from "@langchain/mcp-adapters";
import { createMiddleware, ToolInvocationError, ToolMessage } from "langchain";
import { McpServerError } from "../errors.js";
import type { McpServer } from "../worker-contract.js";

/** A tool error that means the server itself is gone (crashed, exited, disconnected), not that the tool failed. */
const SERVER_GONE = /Connection closed|Not connected|EPIPE|ECONNREFUSED|ECONNRESET|fetch failed/i;

/** The adapters' connection settings for a server: stdio servers keep their stderr off ours. */
const connectionOf = (server: McpServer) =>
  "url" in server
    ? { url: server.url, ...(server.headers ? { headers: server.headers } : {}) }
    : { transport: "stdio" as const, stderr: "ignore" as const, ...server, args: server.args ?? [] };

/**
 * Runs `work` with the tools of `servers` (only `only`, when given): one client for the attempt, closed after it.
 * A server that cannot be started or reached is an `McpServerError` naming it.
 */
export async function withMcpTools<T>(
  servers: Record<string, McpServer>,
  only: readonly string[] | undefined,
  work: (tools: StructuredToolInterface[]) => Promise<T>,
): Promise<T> {
  const names = Object.keys(servers);
  const client = new MultiServerMCPClient({
    mcpServers: Object.fromEntries(names.map((name) => [name, connectionOf(servers[name]!)])),
    throwOnLoadError: true,
    onConnectionError: "throw",
    prefixToolNameWithServerName: false,
  });
  try {
    let tools: StructuredToolInterface[];
    try {
      tools = await client.getTools();
    } catch (error) {
      throw new McpServerError(names, `could not be started or reached: ${(error as Error).message}`, { cause: error });
    }
    const missing = only?.filter((name) => !tools.some((tool) => tool.name === name)) ?? [];
    if (missing.length)
      throw new McpServerError(names, `offers no tool ${missing.map((name) => `"${name}"`).join(", ")}; it offers: ${tools.map((tool) => tool.name).join(", ")}`);
    return await work(only ? tools.filter((tool) => only.includes(tool.name)) : tools);
  } finally {
    await client.close().catch(() => {});
  }
}

/**
 * The agent middleware for MCP tools: a tool whose server went away fails the attempt with an `McpServerError`
 * (classified `mcp`, retried with a fresh server); any other tool error goes back to the model, as without it.
 */
export function mcpFailures(servers: readonly string[], toolNames: ReadonlySet<string>) {
  return createMiddleware({
    name: "McpServerFailures",
    wrapToolCall: async (request, handler) => {
      try {
        return await handler(request);
      } catch (error) {
        if (isGraphInterrupt(error)) throw error;
        const message = (error as Error)?.message ?? String(error);
        if (toolNames.has(request.toolCall.name) && SERVER_GONE.test(message)) {
          throw new McpServerError(servers, `went away during a call of "${request.toolCall.name}": ${message}`, { cause: error });
        }
        const content = ToolInvocationError.isInstance(error) ? message : `${error}\n Please fix your mistakes.`;
        return new ToolMessage({ content, tool_call_id: request.toolCall.id ?? "", name: request.toolCall.name, status: "error" });
      }
    },
  });
}
