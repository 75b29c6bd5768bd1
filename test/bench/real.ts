import { MemorySaver, type BaseCheckpointSaver } from "@langchain/langgraph";
import { compileOrchestrator } from "../../graphs/orchestrator.js";
import type { SettingsInput } from "../../src/settings.js";
import type { OrchestratorEvent } from "../../src/events.js";
import type { ModelProvider } from "../../src/models.js";
import { functionWorker, WorkerRegistry } from "../../src/workers/registry.js";
import type { WorkerDefinition } from "../../src/worker-contract.js";
import { runGraph, type RunSummary } from "../../src/app/run.js";
import type { PlanInput } from "../../src/schemas.js";
import { scriptedProvider } from "../helpers/scripted-model.js";
import { topologicalOrder } from "./dag.js";
import type { BenchTask, TaskShape } from "./plans.js";

export const sleep = (ms: number) =>
  new Promise<void>((resolve) => (ms > 0 ? setTimeout(resolve, ms) : setImmediate(resolve)));

/** The plan input for the graph: every task on one worker, the shape's cost as `estimatedCost`. */
export function planInput(tasks: readonly TaskShape[], worker = "sim"): PlanInput {
  return {
    tasks: tasks.map((task) => ({
      id: task.id,
      title: `Task ${task.id}`,
      description: `Do ${task.id}`,
      worker,
      dependsOn: task.dependsOn,
      estimatedCost: task.cost,
    })),
  };
}

export interface LatencyWorkerOptions {
  name?: string;
  /** Characters of the output (a fixed payload); default a short `done <id>`. */
  payloadChars?: number;
  /** Tasks whose first attempt fails, after this many ms instead of their latency. */
  failFirstAttempt?: ReadonlyMap<string, number>;
}

/** A function worker that takes each task's latency (by id, from `tasks`) and returns a fixed payload. */
export function latencyWorker(
  tasks: readonly Pick<BenchTask, "id" | "latencyMs">[],
  options: LatencyWorkerOptions = {},
): WorkerDefinition {
  const latencyMs = new Map(tasks.map((task) => [task.id, task.latencyMs]));
  return functionWorker({
    name: options.name ?? "sim",
    description: "Waits for the task's scripted latency, then answers with a fixed payload.",
    async run(input, context) {
      const failAfter = context.attempt === 1 ? options.failFirstAttempt?.get(input.task.id) : undefined;
      if (failAfter !== undefined) {
        await sleep(failAfter);
        throw new Error(`scripted failure of ${input.task.id} (attempt 1)`);
      }
      await sleep(latencyMs.get(input.task.id) ?? 0);
      return options.payloadChars ? "x".repeat(options.payloadChars) : `done ${input.task.id}`;
    },
  });
}

/** Models that no task reaches: function workers, template synthesis. */
export const offlineModels = (): ModelProvider => scriptedProvider({}, { configured: false });

/** The real orchestrator graph over the given workers. */
export function benchGraph(
  workers: WorkerDefinition[],
  options: { checkpointer?: BaseCheckpointSaver; models?: ModelProvider; settings?: SettingsInput } = {},
) {
  return compileOrchestrator(
    { registry: new WorkerRegistry(workers), models: options.models ?? offlineModels(), settings: options.settings },
    { checkpointer: options.checkpointer ?? new MemorySaver() },
  );
}

export type BenchGraph = ReturnType<typeof benchGraph>;

export interface RealRun {
  makespanMs: number;
  /** The tasks queued in each orchestrator round, in dispatch order. */
  waves: string[][];
  summary: RunSummary;
  events: OrchestratorEvent[];
}

/** Runs a plan through the graph with `runGraph` (as the CLI does) and times it end to end. */
export async function runPlan(
  graph: BenchGraph,
  tasks: readonly TaskShape[],
  options: { threadId: string; settings: SettingsInput; worker?: string; goal?: string; plan?: PlanInput },
): Promise<RealRun> {
  const events: OrchestratorEvent[] = [];
  const started = performance.now();
  const summary = await runGraph(
    graph,
    { goal: options.goal ?? `bench ${options.threadId}`, plan: options.plan ?? planInput(tasks, options.worker) },
    { threadId: options.threadId, settings: options.settings, onEvent: (event) => events.push(event) },
  );
  const makespanMs = performance.now() - started;
  const notDone = summary.tasks.filter((task) => task.status !== "done");
  if (notDone.length)
    throw new Error(
      `bench run ${options.threadId}: ${notDone.length} task(s) not done (${notDone[0]!.id}: ${notDone[0]!.status})`,
    );
  return { makespanMs, waves: wavesOf(events), summary, events };
}

/** Groups consecutive `task.queued` events: one group per orchestrator round. */
export function wavesOf(events: readonly OrchestratorEvent[]): string[][] {
  const waves: string[][] = [];
  let previous: string | undefined;
  for (const event of events) {
    if (event.type === "task.queued") {
      if (previous !== "task.queued") waves.push([]);
      waves[waves.length - 1]!.push(event.taskId);
    }
    previous = event.type;
  }
  return waves;
}

/** Settings every real run of "ours" uses on top of its own (the bench's `--scheduling`). */
export const oursSettings: SettingsInput = {};

/** Compiles a graph over a latency worker and runs one plan on it. */
export async function runOurs(
  tasks: readonly BenchTask[],
  options: { cap: number; threadId: string; checkpointer?: BaseCheckpointSaver; payloadChars?: number },
): Promise<RealRun> {
  const settings: SettingsInput = {
    maxParallel: options.cap,
    maxTasks: Math.max(30, tasks.length),
    replan: "never",
    ...oursSettings,
  };
  const graph = benchGraph([latencyWorker(tasks, { payloadChars: options.payloadChars })], {
    checkpointer: options.checkpointer,
    settings,
  });
  return runPlan(graph, tasks, { threadId: options.threadId, settings });
}

/** The seeds' sequential loop, for real: each task awaited after the one before, in dependency order. */
export async function runSequentialLoop(tasks: readonly BenchTask[]): Promise<number> {
  const started = performance.now();
  for (const task of topologicalOrder(tasks)) await sleep(task.latencyMs);
  return performance.now() - started;
}
