/**
 * A stdio MCP server for tests: `lookup_price` answers, `out_of_stock` returns an MCP tool error, and `crash`
 * ends the process without answering (a server that dies mid-call). Run it as `node --import tsx <this file>`.
 */
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { StdioServerTransport } from "@modelcontextprotocol/sdk/server/stdio.js";
import { z } from "zod";

const server = new McpServer({ name: "price-fixture", version: "1.0.0" });

server.registerTool(
  "lookup_price",
  {
    description: "Looks up the price of a quantity of an item.",
    inputSchema: { item: z.string().describe("What to price."), quantity: z.number().describe("How many.") },
  },
  async ({ item, quantity }) => ({ content: [{ type: "text", text: `${quantity} × ${item}: ${quantity * 3} EUR` }] }),
);

server.registerTool("out_of_stock", { description: "Reports an item as out of stock.", inputSchema: { item: z.string() } }, async ({ item }) => ({
  isError: true,
  content: [{ type: "text", text: `${item} is out of stock` }],
}));

server.registerTool("crash", { description: "Ends the server without answering." }, async () => process.exit(3));

await server.connect(new StdioServerTransport());
