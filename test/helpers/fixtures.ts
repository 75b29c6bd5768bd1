import { MemorySaver, type BaseCheckpointSaver, type BaseStore } from "@langchain/langgraph";
import { compileOrchestrator } from "../../graphs/orchestrator.js";
import type { SettingsInput } from "../../src/settings.js";
import type { ModelProvider } from "../../src/models.js";
import { functionWorker, WorkerRegistry } from "../../src/workers/registry.js";
import type { WorkerDefinition, WorkerOutput } from "../../src/worker-contract.js";
import { runGraph, type RunOptions } from "../../src/app/run.js";
import type { OrchestratorEvent } from "../../src/events.js";
import type { FollowUp, WorkerInput } from "../../src/schemas.js";
import { scriptedProvider } from "./scripted-model.js";

/** A task spec with defaults, for plans in tests (a follow-up when given `blocks` or `blocksWorkers`). */
export function task(id: string, dependsOn: string[] = [], overrides: Partial<FollowUp> = {}): FollowUp {
  return {
    id,
    title: `Task ${id}`,
    description: `Do ${id}`,
    worker: "echo",
    dependsOn,
    expectedOutput: "",
    estimatedCost: 1,
    complex: false,
    ...overrides,
  };
}

/** A planner reply (structured) for the given tasks. */
export const planReply = (tasks: FollowUp[]) => ({
  structured: { rationale: "test plan", tasks: tasks.map(({ blocks: _b, ...rest }) => rest) },
});

/** Records what function workers ran: inputs per call, the order, and the most that ran at once. */
export class WorkLog {
  readonly inputs: WorkerInput[] = [];
  readonly started: string[] = [];
  /** `start:<id>` and `end:<id>` in the order they happened. */
  readonly timeline: string[] = [];
  running = 0;
  maxRunning = 0;

  /** Counts runs of a task. */
  runsOf(id: string): number {
    return this.started.filter((started) => started === id).length;
  }
}

/**
 * A function worker that answers `<id>:<ids of its dependencies>` after `delayMs`, recording into `log`;
 * `behaviour` may replace the answer or throw.
 */
export function echoWorker(
  log: WorkLog,
  options: {
    name?: string;
    delayMs?: number | ((input: WorkerInput) => number);
    behaviour?: (input: WorkerInput, attempt: number) => WorkerOutput | string | undefined;
  } = {},
): WorkerDefinition {
  return functionWorker({
    name: options.name ?? "echo",
    description: "Echoes its task id and the ids of its dependencies.",
    async run(input, context) {
      log.inputs.push(input);
      log.started.push(input.task.id);
      log.timeline.push(`start:${input.task.id}`);
      log.running++;
      log.maxRunning = Math.max(log.maxRunning, log.running);
      try {
        const delay = typeof options.delayMs === "function" ? options.delayMs(input) : (options.delayMs ?? 0);
        if (delay > 0) await new Promise((resolve) => setTimeout(resolve, delay));
        const custom = options.behaviour?.(input, context.attempt);
        return custom ?? `${input.task.id}:${Object.keys(input.dependencies).sort().join(",")}`;
      } finally {
        log.timeline.push(`end:${input.task.id}`);
        log.running--;
      }
    },
  });
}

export interface Harness {
  graph: ReturnType<typeof compileOrchestrator>;
  log: WorkLog;
  events: OrchestratorEvent[];
  run(input: Parameters<typeof runGraph>[1], options?: Partial<RunOptions>): ReturnType<typeof runGraph>;
}

/** A compiled orchestrator over echo workers with a memory checkpointer, recording events and work. */
export function harness(
  options: {
    models?: ModelProvider;
    workers?: (log: WorkLog) => WorkerDefinition[];
    settings?: SettingsInput;
    checkpointer?: BaseCheckpointSaver;
    store?: BaseStore;
  } = {},
): Harness {
  const log = new WorkLog();
  const events: OrchestratorEvent[] = [];
  const registry = new WorkerRegistry(options.workers?.(log) ?? [echoWorker(log)]);
  const graph = compileOrchestrator(
    { registry, models: options.models ?? scriptedProvider({}, { configured: false }), settings: options.settings },
    { checkpointer: options.checkpointer ?? new MemorySaver(), ...(options.store ? { store: options.store } : {}) },
  );
  return {
    graph,
    log,
    events,
    run: (input, runOptions = {}) =>
      runGraph(graph, input, {
        threadId: "thread-1",
        ...runOptions,
        onEvent: (event) => {
          events.push(event);
          runOptions.onEvent?.(event);
        },
      }),
  };
}
