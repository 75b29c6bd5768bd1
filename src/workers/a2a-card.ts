/** What a remote A2A agent's card says about it, as a worker's description and capabilities. */
import type { AgentCard } from "@a2a-js/sdk";
import type { A2aWorker, WorkerDefinition } from "../worker-contract.js";
import { fetchAgentCard } from "./a2a.js";
import { a2aWorker, WorkerRegistry } from "./registry.js";

/** A skill id or tag as a capability tag: lowercase, words joined by `_` (`"Web Search"` -> `web_search`). */
const asCapability = (tag: string): string =>
  tag
    .toLowerCase()
    .replace(/[^a-z0-9_-]+/g, "_")
    .replace(/^[^a-z]+|_+$/g, "");

/** The worker as its card describes it: its description followed by the card's skills; the skills' ids and tags as capabilities. */
export function describedByCard(worker: A2aWorker, card: AgentCard): A2aWorker {
  const skills = card.skills.map((skill) => `${skill.name || skill.id}: ${skill.description}`.trim());
  const description = [
    worker.description.trim() || card.description,
    skills.length ? `Skills: ${skills.join("; ")}` : "",
  ]
    .filter(Boolean)
    .join("\n");
  const tags = card.skills.flatMap((skill) => [skill.id, ...skill.tags]).map(asCapability);
  const capabilities = [...new Set([...(worker.capabilities ?? []), ...tags])].filter(Boolean);
  return { ...worker, description, capabilities };
}

/** Declares an A2A worker from its agent card: the card's skills feed its description and capabilities. */
export async function discoverA2aWorker(
  definition: Omit<A2aWorker, "kind" | "description"> & { description?: string },
): Promise<A2aWorker> {
  const card = await fetchAgentCard(definition.url, definition.headers);
  return describedByCard(a2aWorker({ ...definition, description: definition.description ?? "" }), card);
}

/**
 * The registry with each A2A worker described by its agent card, fetched now. A card that cannot be read is an error,
 * or, with `unread`, is reported to it and the worker kept as declared (its calls then fail as any unreachable agent's).
 */
export async function withAgentCards(
  registry: WorkerRegistry,
  unread?: (worker: A2aWorker, error: unknown) => void,
): Promise<WorkerRegistry> {
  const describe = async (worker: A2aWorker): Promise<A2aWorker> => {
    try {
      return describedByCard(worker, await fetchAgentCard(worker.url, worker.headers));
    } catch (error) {
      if (!unread) throw error;
      unread(worker, error);
      return worker;
    }
  };
  if (!registry.list().some((worker) => worker.kind === "a2a")) return registry;
  const workers = await Promise.all(
    registry
      .list()
      .map((worker): Promise<WorkerDefinition> | WorkerDefinition =>
        worker.kind === "a2a" ? describe(worker) : worker,
      ),
  );
  return new WorkerRegistry(workers, registry.defaultWorker);
}
