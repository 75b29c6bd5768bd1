import { expandTask } from "../plan/planner.js";
import type { TaskRecord } from "../schemas.js";
import type { Settings } from "../settings.js";
import { addUsage, ZERO_USAGE, type Usage } from "../budget/usage.js";
import type { Round } from "./round.js";
import { readyTasks, toRecords, type TaskBoard } from "./task-board.js";

/** True for a task the top-down strategy breaks into subtasks before it runs (only a planner model can). */
export const awaitsExpansion = (
  task: Pick<TaskRecord, "complex" | "depth" | "children">,
  settings: Pick<Settings, "strategy" | "maxDepth">,
  modelConfigured: boolean,
): boolean =>
  modelConfigured &&
  settings.strategy === "top-down" &&
  task.complex &&
  task.depth < settings.maxDepth &&
  !task.children;

/**
 * Top-down strategy: breaks ready complex tasks into subtasks, generation by generation, so that no ready task
 * still awaits expansion when dispatch runs; a task that cannot be expanded runs as it is.
 */
export async function expandComplexTasks(round: Round, board: TaskBoard): Promise<Usage> {
  let usage = ZERO_USAGE;
  for (;;) {
    const candidates = readyTasks(board.table).filter((task) =>
      awaitsExpansion(task, round.settings, round.deps.models.configured),
    );
    if (candidates.length === 0) return usage;
    usage = addUsage(usage, await expandGeneration(round, board, candidates));
  }
}

/** Expands one set of ready complex tasks at once. */
async function expandGeneration(round: Round, board: TaskBoard, candidates: readonly TaskRecord[]): Promise<Usage> {
  const { settings, deps, emit, notes } = round;
  let usage = ZERO_USAGE;
  const room = () => settings.maxTasks - board.size;
  const outcomes = await Promise.all(
    candidates.map((task) =>
      expandTask(
        round.planner(),
        round.state.goal,
        task,
        deps.registry,
        settings,
        Math.max(2, Math.floor(room() / candidates.length)),
        round.signal,
      ),
    ),
  );
  candidates.forEach((parent, i) => {
    const outcome = outcomes[i]!;
    usage = addUsage(usage, outcome.usage);
    if (!outcome.ok || outcome.tasks.length > room()) {
      const why = outcome.ok ? "not enough room under maxTasks" : outcome.errors.join("; ");
      notes.push(`Task "${parent.id}" could not be expanded (${why}); it runs as one task.`);
      board.put({ ...parent, complex: false });
      return;
    }
    const local = new Set(outcome.tasks.map((task) => task.id));
    const prefix = (id: string) => `${parent.id}.${id}`;
    const children = outcome.tasks.map((task) => ({
      ...task,
      id: prefix(task.id),
      dependsOn: [...parent.dependsOn, ...task.dependsOn.filter((dep) => local.has(dep)).map(prefix)],
      complex: task.complex && parent.depth + 1 < settings.maxDepth,
    }));
    const records = toRecords(children, "expansion", board.nextOrder(), { depth: parent.depth + 1, parent: parent.id });
    for (const record of records) board.put(record);
    const childIds = records.map((record) => record.id);
    board.put({ ...parent, status: "running", children: childIds, dependsOn: [...parent.dependsOn, ...childIds] });
    emit({ type: "task.expanded", taskId: parent.id, worker: parent.worker, children: childIds });
  });
  return usage;
}
