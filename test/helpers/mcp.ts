import { fileURLToPath } from "node:url";
import type { McpServer } from "../../src/worker-contract.js";

/** The stdio MCP fixture server as a worker's MCP server: node running its TypeScript through tsx (found from any cwd); any argument makes it fail at start. */
export const fixtureMcpServer = (...serverArgs: string[]) =>
  ({
    command: process.execPath,
    args: [
      "--import",
      import.meta.resolve("tsx"),
      fileURLToPath(new URL("./mcp-fixture-server.ts", import.meta.url)),
      ...serverArgs,
    ],
  }) satisfies McpServer;

/** The fixture server with `prefix` before each of its tool names, to run beside another. */
export const prefixedFixtureMcpServer = (prefix: string): McpServer => ({
  ...fixtureMcpServer(),
  env: { PRICE_FIXTURE_PREFIX: prefix },
});
