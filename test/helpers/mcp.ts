import { fileURLToPath } from "node:url";
import type { McpServer } from "../../src/worker-contract.js";

/** The stdio MCP fixture server as a worker's MCP server: node running its TypeScript through tsx (found from any cwd); any argument makes it fail at start. */
export const fixtureMcpServer = (...serverArgs: string[]): McpServer => ({
  command: process.execPath,
  args: ["--import", import.meta.resolve("tsx"), fileURLToPath(new URL("./mcp-fixture-server.ts", import.meta.url)), ...serverArgs],
});
