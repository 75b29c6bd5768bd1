import { RegistryError, UnknownWorkerError } from "../errors.js";
import { MAX_TIMER_MS } from "../settings.js";
import type {
  A2aWorker,
  AgentWorker,
  FunctionWorker,
  GraphWorker,
  WorkerCatalog,
  WorkerDefinition,
} from "../worker-contract.js";

/** Declares an LLM agent worker. */
export const agentWorker = (definition: Omit<AgentWorker, "kind">): AgentWorker => ({ kind: "agent", ...definition });

/** Declares a worker that runs a compiled graph, a `createAgent` agent or a `RemoteGraph` as a subgraph. */
export const graphWorker = (definition: Omit<GraphWorker, "kind">): GraphWorker => ({ kind: "graph", ...definition });

/** Declares a worker that hands its tasks to a remote agent over A2A (`discoverA2aWorker` reads its card too). */
export const a2aWorker = (definition: Omit<A2aWorker, "kind">): A2aWorker => ({ kind: "a2a", ...definition });

/** Declares a plain-function worker. */
export const functionWorker = (definition: Omit<FunctionWorker, "kind">): FunctionWorker => ({
  kind: "function",
  ...definition,
});

const NAME_PATTERN = /^[a-z][a-z0-9]*(_[a-z0-9]+)*$/;
const CAPABILITY_PATTERN = /^[a-z][a-z0-9_-]*$/;

/** A worker's own time limit is a whole number of ms that Node's timers can wait (at most `MAX_TIMER_MS`). */
function checkTimeout(worker: WorkerDefinition): void {
  const { timeoutMs } = worker;
  if (timeoutMs === undefined || (Number.isInteger(timeoutMs) && timeoutMs >= 1 && timeoutMs <= MAX_TIMER_MS)) return;
  throw new RegistryError(
    `Worker "${worker.name}" has timeoutMs ${timeoutMs}: a time limit is a whole number of ms from 1 to ${MAX_TIMER_MS} (about 24.8 days, the longest timer Node can set).`,
  );
}

/** The single source of truth about workers: validated once, read by the planner, the plan validator and the worker node. */
export class WorkerRegistry implements WorkerCatalog {
  readonly names: readonly [string, ...string[]];
  /** The worker of the single-task fallback plan. */
  readonly defaultWorker: string;
  private readonly byName: ReadonlyMap<string, WorkerDefinition>;

  constructor(workers: readonly WorkerDefinition[], defaultWorker?: string) {
    if (workers.length === 0) throw new RegistryError("A worker registry needs at least one worker.");
    const byName = new Map<string, WorkerDefinition>();
    for (const worker of workers) {
      if (!NAME_PATTERN.test(worker.name)) {
        throw new RegistryError(`Worker name "${worker.name}" is not snake_case (e.g. "web_researcher").`);
      }
      if (byName.has(worker.name)) throw new RegistryError(`Worker "${worker.name}" is registered twice.`);
      if (!worker.description?.trim()) throw new RegistryError(`Worker "${worker.name}" has no description.`);
      if (worker.kind === "agent" && !worker.systemPrompt?.trim()) {
        throw new RegistryError(`Agent worker "${worker.name}" has no system prompt.`);
      }
      const badCapability = worker.capabilities?.find((capability) => !CAPABILITY_PATTERN.test(capability));
      if (badCapability !== undefined) {
        throw new RegistryError(
          `Worker "${worker.name}" has capability "${badCapability}": capabilities are lowercase words (e.g. "web_search").`,
        );
      }
      checkTimeout(worker);
      byName.set(worker.name, worker);
    }
    if (defaultWorker !== undefined && !byName.has(defaultWorker)) {
      throw new RegistryError(`Default worker "${defaultWorker}" is not registered.`);
    }
    this.byName = byName;
    this.names = [...byName.keys()] as [string, ...string[]];
    this.defaultWorker = defaultWorker ?? this.names[0];
  }

  has(name: string): boolean {
    return this.byName.has(name);
  }

  get(name: string): WorkerDefinition {
    const worker = this.byName.get(name);
    if (!worker) throw new UnknownWorkerError(name, this.names);
    return worker;
  }

  list(): WorkerDefinition[] {
    return [...this.byName.values()];
  }
}
