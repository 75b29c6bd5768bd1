/** The A2A agent mounted on the LangGraph server (`http.app`, under `/a2a`): its runs go through the server's API. */
import { Hono } from "hono";
import { readEnvironment } from "../env.js";
import { ConfigError } from "../errors.js";
import { serverRegistry } from "../workers/workers-file.js";
import { a2aAgentRoutes } from "./agent.js";
import { serverRuns } from "./server-runs.js";

/** Where the agent is mounted on the server. */
export const A2A_MOUNT = "/a2a";

let mounted: Hono | undefined;

/**
 * Answers an A2A request to the server (its path under `/a2a`): the agent is built on the first one, its card naming
 * that request's origin; it runs the server's `orchestrator` graph through the server's own API on loopback (at the
 * `PORT` the server exports), passing the caller's credentials on, so the server's auth decides what it may run.
 */
export function a2aOnServer(request: Request): Response | Promise<Response> {
  if (!mounted) {
    const { port } = readEnvironment();
    if (!port) throw new ConfigError("The A2A agent cannot reach this server's API: PORT is not set.");
    const origin = new URL(request.url).origin;
    const agent = a2aAgentRoutes(
      { runs: serverRuns(`http://localhost:${port}`), registry: serverRegistry() },
      `${origin}${A2A_MOUNT}`,
    );
    mounted = new Hono().route(A2A_MOUNT, agent.routes);
  }
  return mounted.fetch(request);
}
