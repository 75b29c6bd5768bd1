/** The A2A agent mounted on the LangGraph server (`http.app`, under `/a2a`): its runs go through the server's API. */
import { AGENT_CARD_PATH, type AgentCard } from "@a2a-js/sdk";
import { Hono } from "hono";
import { readEnvironment } from "../env.js";
import { serverRegistry } from "../workers/workers-file.js";
import { a2aAgentRoutes } from "./agent.js";
import { credentialsCaller, serverRuns } from "./server-runs.js";

/** Where the agent is mounted on the server. */
export const A2A_MOUNT = "/a2a";

let mounted: Hono | undefined;

/**
 * Answers an A2A request to the server (its path under `/a2a`). The agent runs the server's `orchestrator` graph
 * through the server's own API on loopback (at the `PORT` the server exports), passing the caller's credentials on,
 * so the server's auth decides what it may run; a task is seen only by the credentials that started it. The card
 * names the origin each request was made to (only that caller sees it). A 503 says why when the server's API cannot
 * be reached.
 */
export async function a2aOnServer(request: Request): Promise<Response> {
  const { port } = readEnvironment();
  if (!port)
    return Response.json({ error: "The A2A agent cannot reach this server's API: PORT is not set." }, { status: 503 });
  const own = `http://localhost:${port}`;
  mounted ??= new Hono().route(
    A2A_MOUNT,
    a2aAgentRoutes(
      { runs: serverRuns(own), registry: serverRegistry(), callerOf: credentialsCaller },
      `${own}${A2A_MOUNT}`,
    ).routes,
  );
  const url = new URL(request.url);
  if (request.method !== "GET" || url.pathname !== `${A2A_MOUNT}/${AGENT_CARD_PATH}`) return mounted.fetch(request);
  const card = (await (await mounted.fetch(request)).json()) as AgentCard;
  const served = `${url.origin}${A2A_MOUNT}`;
  return Response.json({
    ...card,
    supportedInterfaces: card.supportedInterfaces.map((face) => ({ ...face, url: served })),
  });
}
