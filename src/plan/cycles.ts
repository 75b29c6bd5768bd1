import type { DroppedEdge, Edges } from "../schemas.js";

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
