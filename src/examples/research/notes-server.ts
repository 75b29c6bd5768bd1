/** The research example's local MCP server (stdio): search and read the bundled notes. */
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { StdioServerTransport } from "@modelcontextprotocol/sdk/server/stdio.js";
import { z } from "zod";
import { NOTES, searchNotes } from "./notes.js";

const server = new McpServer({ name: "research-notes", version: "1.0.0" });

server.registerTool(
  "search_notes",
  {
    description: "Searches the library's notes; returns the ids and titles of matching notes, best first.",
    inputSchema: { query: z.string().describe("Words to look for.") },
  },
  async ({ query }) => {
    const found = searchNotes(query);
    const text = found.length
      ? found.map((note) => `${note.id}: ${note.title}`).join("\n")
      : "No note matches; try other words.";
    return { content: [{ type: "text", text }] };
  },
);

server.registerTool(
  "read_note",
  { description: "Reads one note in full, by its id.", inputSchema: { id: z.string().describe("The note's id.") } },
  async ({ id }) => {
    const note = NOTES.find((candidate) => candidate.id === id);
    if (!note) return { isError: true, content: [{ type: "text", text: `No note "${id}"; search first.` }] };
    return { content: [{ type: "text", text: `${note.title} [${note.id}]\n${note.text}` }] };
  },
);

await server.connect(new StdioServerTransport());
