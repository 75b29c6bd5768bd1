/**
 * A stdio MCP server for tests: `lookup_price` answers, `out_of_stock` returns an MCP tool error, and `crash`
 * says why on stderr and ends the process without answering (a server that dies mid-call). Run it as `node --import tsx <this file>`.
 * Any argument makes it fail at start as a server given a bad one does: 50 lines of start-up noise and then the
 * reason and a usage line on stderr, and exit code 2. PRICE_FIXTURE_PREFIX, when set, comes before each tool name.
 */
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { StdioServerTransport } from "@modelcontextprotocol/sdk/server/stdio.js";
import { z } from "zod";

const [bad] = process.argv.slice(2);
if (bad !== undefined) {
  for (let line = 1; line <= 50; line++) process.stderr.write(`price-fixture: starting (${line})\n`);
  process.stderr.write(`price-fixture: unknown option ${bad}\nusage: price-fixture\n`);
  process.exit(2);
}

const server = new McpServer({ name: "price-fixture", version: "1.0.0" });
const prefix = process.env.PRICE_FIXTURE_PREFIX ?? "";

server.registerTool(
  `${prefix}lookup_price`,
  {
    description: "Looks up the price of a quantity of an item.",
    inputSchema: { item: z.string().describe("What to price."), quantity: z.number().describe("How many.") },
  },
  async ({ item, quantity }) => ({ content: [{ type: "text", text: `${quantity} × ${item}: ${quantity * 3} EUR` }] }),
);

server.registerTool(
  `${prefix}out_of_stock`,
  { description: "Reports an item as out of stock.", inputSchema: { item: z.string() } },
  async ({ item }) => ({
    isError: true,
    content: [{ type: "text", text: `${item} is out of stock` }],
  }),
);

server.registerTool(
  `${prefix}crash`,
  { description: "Ends the server without answering." },
  () =>
    new Promise<never>(() => process.stderr.write("price-fixture: out of memory in crash\n", () => process.exit(3))),
);

await server.connect(new StdioServerTransport());
