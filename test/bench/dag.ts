import type { BenchTask, TaskShape } from "./plans.js";

/** The tasks in dependency order (every task after its dependencies), ties in plan order. */
export function topologicalOrder<T extends TaskShape>(tasks: readonly T[]): T[] {
  const byId = new Map(tasks.map((task) => [task.id, task]));
  const done = new Set<string>();
  const order: T[] = [];
  const visit = (task: T) => {
    if (done.has(task.id)) return;
    done.add(task.id);
    for (const dep of task.dependsOn) visit(byId.get(dep)!);
    order.push(task);
  };
  tasks.forEach(visit);
  return order;
}

/** Longest path through the DAG by `weight` (the critical path). */
export function longestPath<T extends TaskShape>(tasks: readonly T[], weight: (task: T) => number): number {
  const finish = new Map<string, number>();
  for (const task of topologicalOrder(tasks)) {
    finish.set(task.id, weight(task) + Math.max(0, ...task.dependsOn.map((dep) => finish.get(dep)!)));
  }
  return Math.max(0, ...finish.values());
}

/** The most tasks on one dependency level (depth from the sources). */
export function levelWidth(tasks: readonly TaskShape[]): number {
  const level = new Map<string, number>();
  for (const task of topologicalOrder(tasks))
    level.set(task.id, 1 + Math.max(-1, ...task.dependsOn.map((dep) => level.get(dep)!)));
  const counts = new Map<number, number>();
  for (const l of level.values()) counts.set(l, (counts.get(l) ?? 0) + 1);
  return Math.max(...counts.values());
}

/** What no schedule can beat: the critical path and the work spread over `cap` slots. */
export function dagFigures(tasks: readonly BenchTask[], cap: number) {
  const criticalPathMs = longestPath(tasks, (task) => task.latencyMs);
  const workMs = tasks.reduce((sum, task) => sum + task.latencyMs, 0);
  return { criticalPathMs, workMs, lowerBoundMs: Math.max(criticalPathMs, workMs / cap), width: levelWidth(tasks) };
}
