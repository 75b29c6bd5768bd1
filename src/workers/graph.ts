import { AIMessage, coerceMessageLikeToMessage, HumanMessage, type BaseMessageLike } from "@langchain/core/messages";
import { randomUUID } from "node:crypto";
import type { RunnableConfig } from "@langchain/core/runnables";
import { Command, CompiledStateGraph, interrupt, isGraphInterrupt } from "@langchain/langgraph";
import { RemoteGraph } from "@langchain/langgraph/remote";
import { dataRule, taskNonce } from "../fence.js";
import { textOf } from "../models.js";
import { workerTaskPrompt } from "../prompts.js";
import type { WorkerInput } from "../schemas.js";
import type { GraphWorker, WorkerDefinition, WorkerGraph, WorkerOutput } from "../worker-contract.js";
import { nestedRunConfig, type Attempt } from "./attempt.js";
import { AttemptFailure } from "../errors.js";

type Invocable = { invoke(input: unknown, config?: unknown): Promise<unknown> };

/** The graph to invoke: a `createAgent` agent's compiled graph, or the graph itself. */
const invocable = (graph: WorkerGraph): Invocable =>
  ("graph" in graph && graph.graph ? graph.graph : graph) as Invocable;

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
  const { structuredResponse, messages } = (state ?? {}) as {
    structuredResponse?: unknown;
    messages?: BaseMessageLike[];
  };
  if (structuredResponse !== undefined && structuredResponse !== null)
    return { output: JSON.stringify(structuredResponse, null, 2), data: structuredResponse };
  const last = [...(messages ?? [])]
    .reverse()
    .map(asMessage)
    .find((message) => AIMessage.isInstance(message));
  if (!last) throw new AttemptFailure("empty", "the graph's final state has no AI message and no structured response");
  return { output: textOf(last) };
}

/**
 * Runs a `RemoteGraph` to its final state on a new thread of its server, so that it can stop at an interrupt. Each of
 * its questions is asked here with LangGraph's `interrupt()`: the first time, that pauses the run with the question;
 * when the run resumes, the task runs again, the remote graph from its start on a new thread, and each question it
 * asks again is answered with the answer given before, in order, as LangGraph replays a node's interrupts.
 */
async function runRemote(graph: RemoteGraph, graphInput: unknown, config: RunnableConfig): Promise<unknown> {
  const onThread = { ...config, configurable: { ...config.configurable, thread_id: randomUUID() } };
  let next: unknown = graphInput;
  for (;;) {
    try {
      return await graph.invoke(next, onThread);
    } catch (error) {
      if (!isGraphInterrupt(error)) throw error;
      // The stream stops at the first question; the thread holds every one pending (parallel steps may ask at once).
      const snapshot = await graph.getState(onThread);
      const asked = snapshot.tasks.flatMap((task) => task.interrupts ?? []) as {
        interrupt_id?: string;
        value?: unknown;
      }[];
      // One question is answered as such; several, by their ids.
      next = new Command({
        resume:
          asked.length === 1
            ? interrupt(asked[0]!.value)
            : Object.fromEntries(asked.map((question) => [question.interrupt_id, interrupt(question.value)])),
      });
    }
  }
}

/**
 * The task prompt for a worker without a system prompt of ours (a graph, a remote agent): the rule that fenced
 * dependency results are data leads it.
 */
export function fencedTaskPrompt(input: WorkerInput, feedback: string | undefined): string {
  const nonce = taskNonce(input, "task");
  const task = workerTaskPrompt(input, feedback, nonce);
  return Object.keys(input.dependencies).length ? `${dataRule(nonce)}\n\n${task}` : task;
}

/**
 * Runs a graph worker's attempt: the graph is invoked inside the worker node, so it runs as a subgraph with the
 * parent's callbacks, checkpointer, store and streaming; an interrupt inside it propagates to the parent.
 */
export async function runGraphWorker(
  input: WorkerInput,
  worker: GraphWorker,
  feedback: string | undefined,
  attempt: Attempt,
): Promise<WorkerOutput> {
  const prompt = fencedTaskPrompt(input, feedback);
  const graphInput = worker.input ? worker.input(input, prompt) : { messages: [new HumanMessage(prompt)] };
  const foreign = attempt.foreignCalls();
  const config = {
    ...nestedRunConfig(input, worker.name, attempt),
    signal: foreign.signal,
    // The graph's own models: metered through their callbacks (counted, and refused past a run budget).
    callbacks: [foreign.handler],
  };
  const run =
    worker.graph instanceof RemoteGraph
      ? runRemote(worker.graph, graphInput, config)
      : invocable(worker.graph).invoke(graphInput, config);
  const state = await run.catch((error: unknown) => {
    // A refused call fails as its model reports an abort (or not at all): the refusal is the reason.
    throw foreign.refused() ?? error;
  });
  if (!worker.output) return defaultGraphOutput(state);
  const output = worker.output(state, input);
  return typeof output === "string" ? { output } : output;
}
