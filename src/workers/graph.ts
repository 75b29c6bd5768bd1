import { AIMessage, coerceMessageLikeToMessage, HumanMessage, type BaseMessageLike } from "@langchain/core/messages";
import { CompiledStateGraph, isGraphInterrupt, RemoteException } from "@langchain/langgraph";
import { dataRule, taskNonce } from "../fence.js";
import { textOf } from "../models.js";
import { workerTaskPrompt } from "../prompts.js";
import type { WorkerInput } from "../schemas.js";
import type { GraphWorker, WorkerDefinition, WorkerGraph, WorkerOutput } from "../worker-contract.js";
import { nestedRunConfig, type Attempt } from "./attempt.js";
import { AttemptFailure } from "./classify.js";

type Invocable = { invoke(input: unknown, config?: unknown): Promise<unknown> };

/** The graph to invoke: a `createAgent` agent's compiled graph, or the graph itself. */
const invocable = (graph: WorkerGraph): Invocable => ("graph" in graph && graph.graph ? graph.graph : graph) as Invocable;

/** The compiled graphs of the registry's graph workers: the worker node declares them so Studio's xray shows them. */
export function workerSubgraphs(workers: readonly WorkerDefinition[]): CompiledStateGraph<never, never>[] {
  return workers.flatMap((worker) => {
    const graph = worker.kind === "graph" ? invocable(worker.graph) : undefined;
    return graph instanceof CompiledStateGraph ? [graph as CompiledStateGraph<never, never>] : [];
  });
}

/** A message of a final state, as a message: a `RemoteGraph`'s state holds them as plain objects (`{ type: "ai", … }`). */
const asMessage = (message: BaseMessageLike) => {
  try {
    return coerceMessageLikeToMessage(message);
  } catch {
    return undefined;
  }
};

/** The default result of a graph's final state: its structured response, else its last AI message's text. */
export function defaultGraphOutput(state: unknown): WorkerOutput {
  const { structuredResponse, messages } = (state ?? {}) as { structuredResponse?: unknown; messages?: BaseMessageLike[] };
  if (structuredResponse !== undefined && structuredResponse !== null) return { output: JSON.stringify(structuredResponse, null, 2), data: structuredResponse };
  const last = [...(messages ?? [])]
    .reverse()
    .map(asMessage)
    .find((message) => AIMessage.isInstance(message));
  if (!last) throw new AttemptFailure("empty", "the graph's final state has no AI message and no structured response");
  return { output: textOf(last) };
}

/**
 * The failure of a `RemoteGraph` that stopped at an interrupt: its run on the server is stateless, so the server
 * refuses the interrupt ("No checkpointer set") and no answer could reach it anyway. Another attempt cannot help.
 */
async function remoteInterruptFailure(graph: WorkerGraph, error: unknown): Promise<AttemptFailure | undefined> {
  const stopped = isGraphInterrupt(error) || (error instanceof RemoteException && /No checkpointer set/.test(error.message));
  // Loaded only here: the SDK client behind RemoteGraph is not needed to run a graph of this process.
  if (!stopped || !(graph instanceof (await import("@langchain/langgraph/remote")).RemoteGraph)) return undefined;
  return new AttemptFailure(
    "worker",
    "The remote graph stopped at an interrupt, which its stateless run on the server cannot take an answer to: answer inside the remote graph, or run the graph here as a compiled graph.",
    false,
  );
}

/**
 * Runs a graph worker's attempt: the graph is invoked inside the worker node, so it runs as a subgraph with the
 * parent's callbacks, checkpointer, store and streaming; an interrupt inside it propagates to the parent.
 */
export async function runGraphWorker(input: WorkerInput, worker: GraphWorker, feedback: string | undefined, attempt: Attempt): Promise<WorkerOutput> {
  const nonce = taskNonce(input, "task");
  // A graph has no system prompt of ours: the rule that fenced dependency results are data leads the prompt.
  const task = workerTaskPrompt(input, feedback, nonce);
  const prompt = Object.keys(input.dependencies).length ? `${dataRule(nonce)}\n\n${task}` : task;
  const graphInput = worker.input ? worker.input(input, prompt) : { messages: [new HumanMessage(prompt)] };
  const foreign = attempt.foreignCalls();
  const state = await invocable(worker.graph)
    .invoke(graphInput, {
      ...nestedRunConfig(input, worker.name, attempt),
      signal: foreign.signal,
      // The graph's own models: metered through their callbacks (counted, and refused past a run budget).
      callbacks: [foreign.handler],
    })
    .catch(async (error: unknown) => {
      // A refused call fails as its model reports an abort (or not at all): the refusal is the reason.
      throw foreign.refused() ?? (await remoteInterruptFailure(worker.graph, error)) ?? error;
    });
  if (!worker.output) return defaultGraphOutput(state);
  const output = worker.output(state, input);
  return typeof output === "string" ? { output } : output;
}
