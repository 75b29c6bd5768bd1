import { Annotation, END, MemorySaver, START, StateGraph, task } from "@langchain/langgraph";
import { pathToSinkRanks } from "./dag.js";
import type { BenchTask } from "./plans.js";
import { sleep } from "./real.js";

/**
 * NOT the product: a bench-only prototype of barrier-free dispatch inside LangGraph, to price the candidate
 * change for real. One node runs the plan as a list scheduler: every subtask is a functional-API `task()`
 * (its result is saved as a pending write the moment it finishes), a free slot takes the ready task of highest
 * critical-path rank (by estimates) at once. No retries, replans or events: the dispatch cost only.
 */
const ExecutorState = Annotation.Root({
  plan: Annotation<BenchTask[]>,
  results: Annotation<Record<string, string>>({ reducer: (a, b) => ({ ...a, ...b }), default: () => ({}) }),
});

const runSubtask = task("subtask", async (subtask: BenchTask) => {
  await sleep(subtask.latencyMs);
  return `done ${subtask.id}`;
});

async function execute(state: typeof ExecutorState.State, cap: number) {
  const plan = state.plan;
  const ranks = pathToSinkRanks(plan, (t) => t.cost);
  const order = new Map(plan.map((t, i) => [t.id, i]));
  const results: Record<string, string> = {};
  const running = new Map<string, Promise<{ id: string; output: string }>>();
  const pending = new Set(plan.map((t) => t.id));
  while (pending.size || running.size) {
    const ready = plan
      .filter((t) => pending.has(t.id) && t.dependsOn.every((dep) => dep in results))
      .sort((a, b) => ranks.get(b.id)! - ranks.get(a.id)! || order.get(a.id)! - order.get(b.id)!);
    for (const next of ready.slice(0, cap - running.size)) {
      pending.delete(next.id);
      running.set(next.id, (async () => ({ id: next.id, output: String(await runSubtask(next)) }))());
    }
    const { id, output } = await Promise.race(running.values());
    running.delete(id);
    results[id] = output;
  }
  return { results };
}

/** Runs a plan through the prototype with a memory checkpointer and sync durability; wall-clock ms. */
export async function runAsyncPrototype(plan: readonly BenchTask[], cap: number, threadId: string): Promise<number> {
  const graph = new StateGraph(ExecutorState)
    .addNode("execute", (state: typeof ExecutorState.State) => execute(state, cap))
    .addEdge(START, "execute")
    .addEdge("execute", END)
    .compile({ checkpointer: new MemorySaver() });
  const started = performance.now();
  const out = await graph.invoke({ plan: [...plan] }, { configurable: { thread_id: threadId }, durability: "sync" });
  const elapsed = performance.now() - started;
  if (Object.keys(out.results).length !== plan.length) throw new Error("async prototype: not every subtask ran");
  return elapsed;
}
