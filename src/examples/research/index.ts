import type { Example } from "../example.js";
import { researchRegistry } from "./workers.js";

/** The research example's goal: answered from the bundled library. */
export const RESEARCH_GOAL =
  "Should a family in a cold climate replace its gas boiler with a heat pump? Answer with sources from the library.";

/** The research example: a createAgent worker with a local MCP server's tools, a graph worker and a function worker. It needs a model. */
export const researchExample: Example = { goal: RESEARCH_GOAL, registry: researchRegistry };
