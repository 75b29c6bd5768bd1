import { PlanValidationError } from "../errors.js";
import { PlanInputSchema, type DroppedEdge, type TaskSpec } from "../schemas.js";

export type PlanIssueCode =
  | "duplicate_id"
  | "dangling_dependency"
  | "self_dependency"
  | "unknown_worker"
  | "too_many_tasks"
  | "cycle"
  | "invalid_task"
  | "empty_plan"
  | "unparsable";

/** One thing wrong with a plan, in words a planner (or a person) can act on. */
export interface PlanIssue {
  code: PlanIssueCode;
  message: string;
}

/** Issues that `breakCycles` repairs by itself; every other issue needs a new plan. */
export const REPAIRABLE_ISSUES: ReadonlySet<PlanIssueCode> = new Set(["cycle", "self_dependency"]);

interface Edges {
  id: string;
  dependsOn: readonly string[];
}

export interface ValidationOptions {
  workers: readonly string[];
  maxTasks: number;
  /** Ids already in the run (for follow-ups and replans): valid dependencies, invalid new ids. */
  existingIds?: ReadonlySet<string>;
  /** Tasks already in the run count against `maxTasks`. */
  existingCount?: number;
}

/** Checks a plan before any worker runs: duplicates, dangling or self dependencies, unknown workers, size, cycles. */
export function validatePlan(tasks: readonly TaskSpec[], options: ValidationOptions): PlanIssue[] {
  const issues: PlanIssue[] = [];
  const existing = options.existingIds ?? new Set<string>();
  const total = tasks.length + (options.existingCount ?? 0);
  if (total > options.maxTasks) {
    issues.push({
      code: "too_many_tasks",
      message: `${total} tasks exceed maxTasks=${options.maxTasks}; merge or drop ${total - options.maxTasks}.`,
    });
  }
  const ids = new Set<string>();
  for (const task of tasks) {
    if (ids.has(task.id) || existing.has(task.id)) {
      issues.push({ code: "duplicate_id", message: `Task id "${task.id}" is used more than once.` });
    }
    ids.add(task.id);
  }
  const workers = new Set(options.workers);
  for (const task of tasks) {
    if (!workers.has(task.worker)) {
      issues.push({
        code: "unknown_worker",
        message: `Task "${task.id}" names unknown worker "${task.worker}"; use one of: ${options.workers.join(", ")}.`,
      });
    }
    for (const dep of task.dependsOn) {
      if (dep === task.id) {
        issues.push({ code: "self_dependency", message: `Task "${task.id}" depends on itself.` });
      } else if (!ids.has(dep) && !existing.has(dep)) {
        issues.push({
          code: "dangling_dependency",
          message: `Task "${task.id}" depends on "${dep}", which is not a task in the plan.`,
        });
      }
    }
  }
  for (const edge of findCycleBreaks(tasks)) {
    if (edge.cycle.length > 2) {
      issues.push({ code: "cycle", message: `Dependency cycle: ${edge.cycle.join(" → ")}.` });
    }
  }
  return issues;
}

/**
 * Finds the edges that close dependency cycles. The rule: tasks are visited depth-first in plan order,
 * each task's `dependsOn` in listed order; an edge from a task to a dependency that is still on the current
 * path closes a cycle and is the one dropped. Removing every such edge leaves an acyclic graph.
 */
export function findCycleBreaks(tasks: readonly Edges[]): DroppedEdge[] {
  const deps = new Map(tasks.map((task) => [task.id, task.dependsOn]));
  const state = new Map<string, "open" | "closed">();
  const path: string[] = [];
  const dropped: DroppedEdge[] = [];
  const visit = (id: string): void => {
    state.set(id, "open");
    path.push(id);
    for (const dep of deps.get(id) ?? []) {
      if (!deps.has(dep)) continue;
      const seen = state.get(dep);
      if (seen === "open") {
        dropped.push({ task: id, dependsOn: dep, cycle: [...path.slice(path.indexOf(dep)), dep] });
      } else if (seen === undefined) {
        visit(dep);
      }
    }
    path.pop();
    state.set(id, "closed");
  };
  for (const task of tasks) if (!state.has(task.id)) visit(task.id);
  return dropped;
}

/** Removes the edges `findCycleBreaks` names; returns the acyclic tasks and what was dropped. */
export function breakCycles<T extends Edges>(tasks: readonly T[]): { tasks: T[]; dropped: DroppedEdge[] } {
  const dropped = findCycleBreaks(tasks);
  if (dropped.length === 0) return { tasks: [...tasks], dropped };
  const cut = new Set(dropped.map((edge) => `${edge.task}\u0000${edge.dependsOn}`));
  return {
    tasks: tasks.map((task) => ({
      ...task,
      dependsOn: task.dependsOn.filter((dep) => !cut.has(`${task.id}\u0000${dep}`)),
    })),
    dropped,
  };
}

/**
 * Critical-path rank of every task: its estimated cost plus the largest rank among the tasks that depend on
 * it, i.e. the cost-weighted length of the longest path from the task to a sink. The graph must be acyclic.
 */
export function criticalPathRanks(tasks: readonly (Edges & { estimatedCost?: number })[]): Map<string, number> {
  const cost = new Map(tasks.map((task) => [task.id, task.estimatedCost ?? 1]));
  const dependents = new Map<string, string[]>(tasks.map((task) => [task.id, []]));
  for (const task of tasks) for (const dep of task.dependsOn) dependents.get(dep)?.push(task.id);
  const ranks = new Map<string, number>();
  const rank = (id: string): number => {
    const known = ranks.get(id);
    if (known !== undefined) return known;
    const below = Math.max(0, ...dependents.get(id)!.map(rank));
    const value = cost.get(id)! + below;
    ranks.set(id, value);
    return value;
  };
  for (const task of tasks) rank(task.id);
  return ranks;
}

/** Parses a caller's plan (object or JSON text), naming the bad field and value on error. */
export function parsePlanInput(input: unknown, source = "plan"): { tasks: TaskSpec[]; rationale?: string } {
  let value = input;
  if (typeof input === "string") {
    try {
      value = JSON.parse(input);
    } catch (error) {
      throw new PlanValidationError([`not valid JSON (${(error as Error).message})`], source);
    }
  }
  if (Array.isArray(value)) value = { tasks: value };
  const parsed = PlanInputSchema.safeParse(value);
  if (!parsed.success) {
    throw new PlanValidationError(
      parsed.error.issues.map((issue) => {
        const at = issue.path.join(".");
        return `${at || "(root)"}: ${issue.message}${at ? ` (got ${JSON.stringify(valueAt(value, issue.path))})` : ""}`;
      }),
      source,
    );
  }
  return parsed.data;
}

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  return path.reduce<unknown>((node, key) => (node as Record<PropertyKey, unknown> | undefined)?.[key], root);
}
