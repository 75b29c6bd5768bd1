/** Builders for orchestration unit tests: task records, boards, results, states and hand-built rounds. */
import type { EventInit } from "../../src/events.js";
import type { ModelProvider } from "../../src/models.js";
import type { Round } from "../../src/orchestration/round.js";
import { TaskBoard, toRecords, type TaskTable } from "../../src/orchestration/task-board.js";
import type { TaskRecord, TaskResult, TaskSpec } from "../../src/schemas.js";
import { parseSettings, type SettingsInput } from "../../src/settings.js";
import type { State } from "../../src/state.js";
import { ZERO_USAGE } from "../../src/budget/usage.js";
import { functionWorker, WorkerRegistry } from "../../src/workers/registry.js";

/** Pending plan records of the specs, in plan order (order 0, 1, …). */
export const records = (...specs: TaskSpec[]): TaskRecord[] => toRecords(specs, "plan", 0);

/** A task table of plan records, keyed by id. */
export const table = (...tasks: TaskRecord[]): TaskTable => Object.fromEntries(tasks.map((task) => [task.id, task]));

/** A board over the given records. */
export const boardOf = (...tasks: TaskRecord[]): TaskBoard => new TaskBoard(table(...tasks));

/** A record with some fields changed (status, dispatches, …). */
export const as = (record: TaskRecord | undefined, changes: Partial<TaskRecord>): TaskRecord => ({
  ...record!,
  ...changes,
});

/** A record sent to a worker, on its `dispatches`-th dispatch. */
export const running = (record: TaskRecord | undefined, dispatches = 1) =>
  as(record, { status: "running", dispatches });

/** A record whose task is done. */
export const done = (record: TaskRecord | undefined) => as(record, { status: "done" });

/** A usage of `totalTokens` input tokens over `modelCalls` calls. */
export const usage = (totalTokens: number, modelCalls: number) => ({
  inputTokens: totalTokens,
  outputTokens: 0,
  totalTokens,
  modelCalls,
});

/** One attempt record, for results. */
export const attempt = (n: number, ok: boolean) => ({
  attempt: n,
  params: {},
  ok,
  durationMs: 1,
  usage: { ...ZERO_USAGE },
});

/** A done result of the first dispatch; override anything. */
export function result(taskId: string, overrides: Partial<TaskResult> = {}): TaskResult {
  return {
    taskId,
    worker: "echo",
    dispatch: 1,
    status: "done",
    output: `${taskId} out`,
    attempts: [attempt(1, true)],
    startedAt: "2026-01-01T00:00:00.000Z",
    durationMs: 1,
    usage: { ...ZERO_USAGE },
    followUps: [],
    ...overrides,
  };
}

/** A failed result of the first dispatch with the given error. */
export const failed = (taskId: string, message = "boom", overrides: Partial<TaskResult> = {}): TaskResult =>
  result(taskId, {
    status: "failed",
    output: "",
    error: { kind: "worker", message, retryable: false },
    attempts: [attempt(1, false), attempt(2, false)],
    ...overrides,
  });

/** A graph state with every channel at its default; override anything. */
export function stateOf(overrides: Partial<State> = {}): State {
  return {
    goal: "the goal",
    tasks: {},
    results: {},
    dispatch: [],
    droppedEdges: [],
    deadLetters: [],
    replans: 0,
    pendingReview: null,
    notes: [],
    orchestrationUsage: { ...ZERO_USAGE },
    answer: "",
    ...overrides,
  } as State;
}

/** A registry of function workers with the given names (the first is the default worker). */
export function registryOf(...names: [string, ...string[]]): WorkerRegistry {
  return new WorkerRegistry(
    names.map((name) => functionWorker({ name, description: `The ${name} worker.`, run: async () => name })),
  );
}

/** A provider with no model configured: creating a model is a test failure. */
export const unconfigured: ModelProvider = {
  configured: false,
  create(request) {
    throw new Error(`no model may be created here (asked for the ${request.role} role)`);
  },
};

/** A provider that says it is configured but must not be asked for a model. */
export const configuredButUnused: ModelProvider = {
  configured: true,
  create(request) {
    throw new Error(`no model may be created here (asked for the ${request.role} role)`);
  },
};

/** A round built by hand, recording the events it emits (without timestamps). */
export interface TestRound extends Round {
  events: EventInit[];
}

export function roundOf(
  options: { state?: Partial<State>; settings?: SettingsInput; models?: ModelProvider; registry?: WorkerRegistry } = {},
): TestRound {
  const settings = parseSettings(options.settings ?? {});
  const models = options.models ?? unconfigured;
  const events: EventInit[] = [];
  return {
    state: stateOf(options.state),
    settings,
    deps: { registry: options.registry ?? registryOf("echo", "writer"), models },
    events,
    emit: (event) => events.push(event),
    notes: [],
    planner: () =>
      models.create({
        role: "planner",
        model: settings.plannerModel,
        temperature: 0,
        timeoutMs: settings.plannerTimeoutMs,
      }),
  };
}

/** An `emit` that records into an array. */
export function recorder(): { events: EventInit[]; emit: (event: EventInit) => void } {
  const events: EventInit[] = [];
  return { events, emit: (event) => events.push(event) };
}
