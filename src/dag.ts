/** A task as a node of the dependency graph: its id and the ids it depends on. */
export interface Edges {
  id: string;
  dependsOn: readonly string[];
}

/** The tasks that depend on each task id (ids no task depends on are absent), in input order. */
export function dependentsOf<T extends Edges>(tasks: Iterable<T>): Map<string, T[]> {
  const dependents = new Map<string, T[]>();
  for (const task of tasks) {
    for (const dep of task.dependsOn) {
      const list = dependents.get(dep);
      if (list) list.push(task);
      else dependents.set(dep, [task]);
    }
  }
  return dependents;
}
