import type { BaseStore, LangGraphRunnableConfig } from "@langchain/langgraph";
import { ConfigError } from "../errors.js";
import type { MemoryScope, WorkerMemory } from "../worker-contract.js";

/** The configurable key under which agent and graph workers find the run's memory namespaces. */
export const MEMORY_CONFIG_KEY = "orchestrator_memory";

/** The namespace of a run's shared memory. */
export const runNamespace = (runId: string): string[] => ["orchestrator", "runs", runId];

/** The shared memory of a run over `store`: its own namespace, and the caller's long-term one ("users/alice"). */
export function workerMemory(store: BaseStore, runId: string, longTerm = ""): WorkerMemory {
  const run = runNamespace(runId);
  const longTermNs = longTerm ? longTerm.split("/") : undefined;
  const namespace = (scope: MemoryScope) => {
    if (scope === "run") return run;
    if (!longTermNs)
      throw new ConfigError("No long-term memory namespace is set: set memoryNamespace (e.g. users/alice) to use it.");
    return longTermNs;
  };
  return {
    store,
    run,
    ...(longTermNs ? { longTerm: longTermNs } : {}),
    async get(key, scope = "run") {
      return ((await store.get(namespace(scope), key))?.value ?? undefined) as never;
    },
    async put(key, value, scope = "run") {
      await store.put(namespace(scope), key, value);
    },
  };
}

/** Keeps a task's whole result (output and data) in the run's memory; returns where. */
export async function keepFullResult(
  memory: WorkerMemory,
  taskId: string,
  result: { output: string; data?: unknown },
): Promise<{ namespace: string[]; key: string }> {
  const key = `result:${taskId}`;
  await memory.put(key, { output: result.output, ...(result.data === undefined ? {} : { data: result.data }) });
  return { namespace: memory.run, key };
}

/** The memory configurable of an agent's or graph's config: its tools find the run's namespaces there (see `memoryOf`). */
export const memoryConfigurable = (memory: WorkerMemory | undefined) =>
  memory
    ? { [MEMORY_CONFIG_KEY]: { run: memory.run, ...(memory.longTerm ? { longTerm: memory.longTerm.join("/") } : {}) } }
    : {};

/** The run's shared memory from inside a tool or node of an agent or graph worker (from its config); undefined without a store. */
export function memoryOf(config: LangGraphRunnableConfig | undefined): WorkerMemory | undefined {
  const namespaces = config?.configurable?.[MEMORY_CONFIG_KEY] as { run: string[]; longTerm?: string } | undefined;
  if (!config?.store || !namespaces) return undefined;
  return workerMemory(config.store, namespaces.run.at(-1)!, namespaces.longTerm);
}
