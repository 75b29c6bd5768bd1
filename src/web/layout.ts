import dagre, { type EdgeLabel, type Point } from "@dagrejs/dagre";
import type { RunView, TaskView } from "./run-view.js";

/** An edge of the drawn DAG: a dependency, a dependency dropped to break a cycle, or "proposed this follow-up". */
export interface EdgeView {
  from: string;
  to: string;
  kind: "dependency" | "dropped" | "follow-up";
  points: { x: number; y: number }[];
}

/** A run view with every task placed (top-left corner) and every edge routed. */
export interface LaidOutView extends RunView {
  tasks: (TaskView & { x: number; y: number })[];
  edges: EdgeView[];
  width: number;
  height: number;
}

/** The size of a task's box on the page, in CSS pixels. */
export const NODE = { width: 184, height: 62 } as const;

/** The edges of a view: dependencies (ids that are tasks), dropped cycle edges, and follow-up origins. */
export function edgesOf(view: RunView): Omit<EdgeView, "points">[] {
  const ids = new Set(view.tasks.map((task) => task.id));
  const edges = new Map<string, Omit<EdgeView, "points">>();
  for (const task of view.tasks) {
    for (const dep of task.dependsOn) if (ids.has(dep)) edges.set(`${dep}>${task.id}`, { from: dep, to: task.id, kind: "dependency" });
    if (task.from && ids.has(task.from)) edges.set(`${task.from}>${task.id}`, { from: task.from, to: task.id, kind: "follow-up" });
  }
  for (const edge of view.droppedEdges) {
    if (ids.has(edge.task) && ids.has(edge.dependsOn)) edges.set(`${edge.dependsOn}>${edge.task}`, { from: edge.dependsOn, to: edge.task, kind: "dropped" });
  }
  return [...edges.values()];
}

/** Lays the task DAG out left to right with dagre. */
export function layout(view: RunView): LaidOutView {
  const graph = new dagre.graphlib.Graph();
  graph.setGraph({ rankdir: "LR", nodesep: 18, ranksep: 48, marginx: 16, marginy: 16 });
  graph.setDefaultEdgeLabel(() => ({}));
  for (const task of view.tasks) graph.setNode(task.id, { width: NODE.width, height: NODE.height });
  const edges = edgesOf(view);
  for (const edge of edges) graph.setEdge(edge.from, edge.to, { weight: edge.kind === "dropped" ? 0 : 1 });
  dagre.layout(graph);
  const tasks = view.tasks.map((task) => {
    const node = graph.node(task.id);
    return { ...task, x: Math.round(node.x - NODE.width / 2), y: Math.round(node.y - NODE.height / 2) };
  });
  const routed = edges.map((edge) => ({
    ...edge,
    points: ((graph.edge(edge.from, edge.to) as EdgeLabel | undefined)?.points ?? []).map((point: Point) => ({ x: Math.round(point.x), y: Math.round(point.y) })),
  }));
  const size = graph.graph();
  return { ...view, tasks, edges: routed, width: Math.ceil(size.width ?? 0), height: Math.ceil(size.height ?? 0) };
}
