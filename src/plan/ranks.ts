import { dependentsOf, type Edges } from "../schemas.js";

/**
 * Critical-path rank of every task: its estimated cost plus the largest rank among the tasks that depend on
 * it, i.e. the cost-weighted length of the longest path from the task to a sink. The graph must be acyclic.
 */
export function criticalPathRanks(tasks: readonly (Edges & { estimatedCost?: number })[]): Map<string, number> {
  const cost = new Map(tasks.map((task) => [task.id, task.estimatedCost ?? 1]));
  const dependents = dependentsOf(tasks);
  const ranks = new Map<string, number>();
  const rank = (id: string): number => {
    const known = ranks.get(id);
    if (known !== undefined) return known;
    const below = Math.max(0, ...(dependents.get(id) ?? []).map((task) => rank(task.id)));
    const value = cost.get(id)! + below;
    ranks.set(id, value);
    return value;
  };
  for (const task of tasks) rank(task.id);
  return ranks;
}
