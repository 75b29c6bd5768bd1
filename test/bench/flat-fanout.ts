import { EventEmitter } from "node:events";
import { Annotation, END, Send, START, StateGraph } from "@langchain/langgraph";
import type { BenchTask } from "./plans.js";
import { sleep } from "./real.js";

const FlatState = Annotation.Root({
  tasks: Annotation<BenchTask[]>,
  completed: Annotation<string[]>({ reducer: (a, b) => a.concat(b), default: () => [] }),
  answer: Annotation<string>,
});

const WorkerState = Annotation.Root({
  task: Annotation<BenchTask>,
  completed: Annotation<string[]>({ reducer: (a, b) => a.concat(b), default: () => [] }),
});

/** What the tutorial's nodes do: plan (its orchestrator's model call) and work one task; by default only the task's latency. */
export interface FlatFanOutSteps {
  plan?: () => Promise<unknown>;
  work?: (task: BenchTask) => Promise<unknown>;
}

/**
 * The orchestrator-worker graph of LangGraph's tutorial: the orchestrator sends every task to a worker in one
 * superstep (no cap, dependencies ignored), then a synthesizer joins the results. No checkpointer, as there.
 */
export function flatFanOutGraph({ plan, work = (task) => sleep(task.latencyMs) }: FlatFanOutSteps = {}) {
  return new StateGraph(FlatState)
    .addNode("orchestrator", async (state: typeof FlatState.State) => {
      await plan?.();
      return { tasks: state.tasks };
    })
    .addNode("worker", async (state: typeof WorkerState.State) => {
      await work(state.task);
      return { completed: [`done ${state.task.id}`] };
    })
    .addNode("synthesizer", (state: typeof FlatState.State) => ({ answer: state.completed.join("\n") }))
    .addEdge(START, "orchestrator")
    .addConditionalEdges(
      "orchestrator",
      (state: typeof FlatState.State) => state.tasks.map((task) => new Send("worker", { task })),
      ["worker"],
    )
    .addEdge("worker", "synthesizer")
    .addEdge("synthesizer", END)
    .compile();
}

/** Runs the flat fan-out over the tasks and times it. */
export async function runFlatFanOut(tasks: readonly BenchTask[], steps?: FlatFanOutSteps): Promise<number> {
  const graph = flatFanOutGraph(steps);
  // LangGraph adds one abort listener per Send to a signal it creates; over 10 Node prints a leak warning.
  // The tutorial does not raise the limit; the bench does, for this run only, to keep its output clean.
  const previous = EventEmitter.defaultMaxListeners;
  EventEmitter.defaultMaxListeners = Math.max(previous, 4 * tasks.length + 10);
  try {
    const started = performance.now();
    await graph.invoke({ tasks: [...tasks] }, { recursionLimit: 10 });
    return performance.now() - started;
  } finally {
    EventEmitter.defaultMaxListeners = previous;
  }
}
