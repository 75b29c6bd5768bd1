import { fileURLToPath } from "node:url";
import { AIMessage, HumanMessage } from "@langchain/core/messages";
import { END, MessagesValue, START, StateGraph, StateSchema, type LangGraphRunnableConfig } from "@langchain/langgraph";
import { textOf } from "../../models.js";
import type { McpServer } from "../../worker-contract.js";
import { memoryOf } from "../../workers/memory.js";
import { agentWorker, functionWorker, graphWorker, WorkerRegistry } from "../../workers/registry.js";
import { NOTES } from "./notes.js";

/** The bundled notes server (found from any working directory): compiled JavaScript, or the source through tsx. */
const notesServer = (): McpServer => {
  const fromSource = import.meta.url.endsWith(".ts");
  const script = fileURLToPath(new URL(fromSource ? "./notes-server.ts" : "./notes-server.js", import.meta.url));
  return { command: process.execPath, args: fromSource ? ["--import", import.meta.resolve("tsx"), script] : [script] };
};

/** Lists the library's sources and keeps them in the run's shared memory for the rest of the team. */
const catalogue = functionWorker({
  name: "catalogue",
  description:
    "Lists the library's sources (note ids and titles) and keeps them in the team's shared memory. Needs no model.",
  capabilities: ["sources"],
  run: async (_input, context) => {
    await context.memory?.put("sources", Object.fromEntries(NOTES.map((note) => [note.id, note.title])));
    return NOTES.map((note) => `${note.id}: ${note.title}`).join("\n");
  },
});

/** A createAgent agent with the notes server's tools. */
const researcher = agentWorker({
  name: "researcher",
  description:
    "Answers a question from the library's notes, which it searches and reads with its tools; cites note ids in [brackets].",
  capabilities: ["search"],
  systemPrompt:
    "You are a researcher with a small library. Search it with search_notes, read the relevant notes with read_note, " +
    "and answer only from what they say. Cite every fact with its note id in square brackets, e.g. [hp-cop].",
  mcpServers: { notes: notesServer() },
  maxToolRounds: 4,
});

const BriefState = new StateSchema({ messages: MessagesValue });

/** Note ids cited in [brackets] in a text, in order of first appearance. */
const citedIds = (text: string) => [...new Set([...text.matchAll(/\[([a-z0-9-]+)\]/g)].map((match) => match[1]!))];

/** An existing compiled graph: appends the list of cited sources, with titles from the team's memory. */
export const citationGraph = new StateGraph(BriefState)
  .addNode("collect", (state) => ({ messages: [new AIMessage(textOf(state.messages.at(-1)!))] }))
  .addNode("cite", async (state, config: LangGraphRunnableConfig) => {
    const draft = textOf(state.messages.at(-1)!);
    const titles = (await memoryOf(config)?.get<Record<string, string>>("sources")) ?? {};
    const sources = citedIds(draft).map((id) => `- [${id}] ${titles[id] ?? "(not in the catalogue)"}`);
    return { messages: [new AIMessage(`${draft}\n\nSources:\n${sources.join("\n") || "- none cited"}`)] };
  })
  .addEdge(START, "collect")
  .addEdge("collect", "cite")
  .addEdge("cite", END)
  .compile({ name: "citations" });

/** The citation graph as a worker: its input is its dependencies' results, not the task prompt. */
const editor = graphWorker({
  name: "editor",
  description:
    "Turns the research into a cited brief: keeps the text and lists every note it cites, with titles from the team's memory. Depends on the research and the catalogue. Needs no model.",
  capabilities: ["citations"],
  graph: citationGraph,
  input: (input) => ({
    messages: [
      new HumanMessage(
        Object.values(input.dependencies)
          .map((dependency) => dependency.output)
          .join("\n\n"),
      ),
    ],
  }),
});

/** The research team: an agent with MCP tools, a graph worker and a function worker, sharing memory. */
export const researchRegistry = () => new WorkerRegistry([researcher, catalogue, editor], "researcher");
