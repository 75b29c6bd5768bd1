/** The orchestrator served as an A2A agent: its card, the SDK's request handler and task store, and the HTTP routes. */
import { AGENT_CARD_PATH } from "@a2a-js/sdk";
import { DefaultRequestHandler, InMemoryTaskStore } from "@a2a-js/sdk/server";
import type { WorkerCatalog } from "../index.js";
import { agentCard, orchestratorCard } from "./card.js";
import { type A2aRuns, OrchestratorExecutor } from "./executor.js";
import { foreignHostResponse, isLoopbackAddress, isLoopbackHost } from "../web/host.js";
import { a2aRoutes, type CallerOf, listen } from "./http.js";

/** What the agent serves: the runs, and the registry its card lists as skills. */
export interface A2aAgentOptions {
  runs: A2aRuns;
  registry: WorkerCatalog;
  /** The agent's name on its card. */
  name?: string;
  /** Who each request comes from: the SDK keeps tasks per caller (default: one unauthenticated caller). */
  callerOf?: CallerOf;
}

/** The agent's routes (card and JSON-RPC) for `url`, the address its card gives (where the routes are mounted). */
export function a2aAgentRoutes(options: A2aAgentOptions, url: string) {
  const card = agentCard(orchestratorCard(options.registry, options.name), url);
  const executor = new OrchestratorExecutor(options.runs);
  const handler = new DefaultRequestHandler(card, new InMemoryTaskStore(), executor);
  return {
    routes: a2aRoutes(handler, options.callerOf),
    setUrl: (served: string) => {
      for (const face of card.supportedInterfaces) face.url = served;
    },
    stop: () => executor.stopAll(),
  };
}

/** A served agent: its URL, its card's URL, and how to stop it. */
export interface ServedAgent {
  url: string;
  cardUrl: string;
  close(): Promise<void>;
}

/**
 * Serves the agent on `port` (0: any free one) of `host`; its card names `publicUrl`, else the address it listens on.
 * On a loopback address it answers only requests naming a loopback host with its port (or `publicUrl`'s host), so
 * that a web page cannot reach it by DNS rebinding.
 */
export async function serveA2aAgent(
  options: A2aAgentOptions & { port?: number; host?: string; publicUrl?: string },
): Promise<ServedAgent> {
  const host = options.host ?? "127.0.0.1";
  const agent = a2aAgentRoutes(options, options.publicUrl ?? "");
  const publicHost = options.publicUrl ? new URL(options.publicUrl).host : undefined;
  let port = 0;
  const guarded = (request: Request) => {
    const named = request.headers.get("host");
    return isLoopbackHost(named, port) || named === publicHost
      ? agent.routes.fetch(request)
      : foreignHostResponse(named, port, "the A2A agent");
  };
  const server = await listen(isLoopbackAddress(host) ? guarded : agent.routes.fetch, options.port ?? 0, host);
  port = server.port;
  const url = (options.publicUrl ?? `http://${host}:${server.port}`).replace(/\/$/, "");
  agent.setUrl(url);
  const close = async () => (agent.stop(), await server.close());
  return { url, cardUrl: `${url}/${AGENT_CARD_PATH}`, close };
}
