/** The orchestrator's agent card: who it is, where it is served, and its workers as skills. */
import { A2A_PROTOCOL_VERSION, type AgentCard, type AgentSkill } from "@a2a-js/sdk";
import { A2A_LEGACY_PROTOCOL_VERSION } from "@a2a-js/sdk/compat/v0_3";
import type { WorkerCatalog } from "../index.js";

/** What a card says besides its transport. */
export interface CardFields {
  name: string;
  description: string;
  version?: string;
  skills: Pick<AgentSkill, "id" | "name" | "description" | "tags">[];
}

/** An agent card served over JSON-RPC at `url` in A2A 1.0 and, for older clients, 0.3; streaming. */
export function agentCard(fields: CardFields, url: string): AgentCard {
  return {
    name: fields.name,
    description: fields.description,
    supportedInterfaces: [A2A_PROTOCOL_VERSION, A2A_LEGACY_PROTOCOL_VERSION].map((protocolVersion) => ({
      url,
      protocolBinding: "JSONRPC",
      protocolVersion,
      tenant: "",
    })),
    provider: undefined,
    version: fields.version ?? "0.1.0",
    capabilities: { streaming: true, pushNotifications: false, extensions: [] },
    securitySchemes: {},
    securityRequirements: [],
    defaultInputModes: ["text/plain", "application/json"],
    defaultOutputModes: ["text/plain", "application/json"],
    skills: fields.skills.map((skill) => ({
      ...skill,
      examples: [],
      inputModes: [],
      outputModes: [],
      securityRequirements: [],
    })),
    signatures: [],
  };
}

/** The orchestrator's card fields: each worker of its registry is a skill (its capabilities as tags). */
export const orchestratorCard = (registry: WorkerCatalog, name = "langgraph-orchestrator"): CardFields => ({
  name,
  description:
    "Plans a goal into subtasks, runs them on its workers (retries, dead letters, budgets) and answers with one " +
    "synthesized result. Send the goal as text; a data part may carry a plan ({ plan: { tasks } }).",
  skills: registry.list().map((worker) => ({
    id: worker.name,
    name: worker.name,
    description: worker.description,
    tags: [...(worker.capabilities ?? [])],
  })),
});
