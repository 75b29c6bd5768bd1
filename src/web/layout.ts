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
const GAP = { rank: 48, node: 18, margin: 16 } as const;

/**
 * Up to this many tasks the DAG is laid out by dagre; beyond, by plain levels, because dagre's cost grows fast with
 * long edges (≈1 s at 100 tasks on a busy 2-core machine) and the CLI lays out in the process that runs the graph.
 */
export const DAGRE_MAX_TASKS = 60;

type Edge = Omit<EdgeView, "points">;

/** The edges of a view: dependencies (ids that are tasks), dropped cycle edges, and follow-up origins. */
export function edgesOf(view: RunView): Edge[] {
  const ids = new Set(view.tasks.map((task) => task.id));
  const edges = new Map<string, Edge>();
  for (const task of view.tasks) {
    for (const dep of task.dependsOn)
      if (ids.has(dep)) edges.set(`${dep}>${task.id}`, { from: dep, to: task.id, kind: "dependency" });
    if (task.from && ids.has(task.from))
      edges.set(`${task.from}>${task.id}`, { from: task.from, to: task.id, kind: "follow-up" });
  }
  for (const edge of view.droppedEdges) {
    if (ids.has(edge.task) && ids.has(edge.dependsOn))
      edges.set(`${edge.dependsOn}>${edge.task}`, { from: edge.dependsOn, to: edge.task, kind: "dropped" });
  }
  return [...edges.values()];
}

/** Lays the task DAG out left to right: dagre for plans of ordinary size, plain levels for very large ones. */
export function layout(view: RunView): LaidOutView {
  const edges = edgesOf(view);
  const placed = view.tasks.length <= DAGRE_MAX_TASKS ? dagreLayout(view, edges) : levelLayout(view, edges);
  return { ...view, ...placed };
}

function dagreLayout(view: RunView, edges: Edge[]): Pick<LaidOutView, "tasks" | "edges" | "width" | "height"> {
  const graph = new dagre.graphlib.Graph();
  graph.setGraph({ rankdir: "LR", nodesep: GAP.node, ranksep: GAP.rank, marginx: GAP.margin, marginy: GAP.margin });
  graph.setDefaultEdgeLabel(() => ({}));
  for (const task of view.tasks) graph.setNode(task.id, { width: NODE.width, height: NODE.height });
  for (const edge of edges) graph.setEdge(edge.from, edge.to, { weight: edge.kind === "dropped" ? 0 : 1 });
  dagre.layout(graph);
  const tasks = view.tasks.map((task) => {
    const node = graph.node(task.id);
    return { ...task, x: Math.round(node.x - NODE.width / 2), y: Math.round(node.y - NODE.height / 2) };
  });
  const routed = edges.map((edge) => ({
    ...edge,
    points: ((graph.edge(edge.from, edge.to) as EdgeLabel | undefined)?.points ?? []).map((point: Point) => ({
      x: Math.round(point.x),
      y: Math.round(point.y),
    })),
  }));
  const size = graph.graph();
  return { tasks, edges: routed, width: Math.ceil(size.width ?? 0), height: Math.ceil(size.height ?? 0) };
}

/** One column per dependency level (plan order within a column), straight edges: linear in the size of the plan. */
function levelLayout(view: RunView, edges: Edge[]): Pick<LaidOutView, "tasks" | "edges" | "width" | "height"> {
  const incoming = new Map<string, string[]>();
  for (const edge of edges)
    if (edge.kind !== "dropped") incoming.set(edge.to, [...(incoming.get(edge.to) ?? []), edge.from]);
  const level = new Map<string, number>();
  const levelOf = (id: string, path: Set<string>): number => {
    const known = level.get(id);
    if (known !== undefined) return known;
    path.add(id);
    const before = (incoming.get(id) ?? []).filter((from) => !path.has(from));
    const value = before.length ? 1 + Math.max(...before.map((from) => levelOf(from, path))) : 0;
    path.delete(id);
    level.set(id, value);
    return value;
  };
  const rows: number[] = [];
  const at = new Map<string, { x: number; y: number }>();
  for (const task of view.tasks) {
    const column = levelOf(task.id, new Set());
    const row = rows[column] ?? 0;
    rows[column] = row + 1;
    at.set(task.id, {
      x: GAP.margin + column * (NODE.width + GAP.rank),
      y: GAP.margin + row * (NODE.height + GAP.node),
    });
  }
  const tasks = view.tasks.map((task) => ({ ...task, ...at.get(task.id)! }));
  const routed = edges.map((edge) => {
    const from = at.get(edge.from)!;
    const to = at.get(edge.to)!;
    return {
      ...edge,
      points: [
        { x: from.x + NODE.width, y: from.y + NODE.height / 2 },
        { x: to.x, y: to.y + NODE.height / 2 },
      ],
    };
  });
  const columns = rows.length;
  const height = Math.max(0, ...rows.map((n) => n ?? 0));
  return {
    tasks,
    edges: routed,
    width: 2 * GAP.margin + columns * NODE.width + Math.max(0, columns - 1) * GAP.rank,
    height: 2 * GAP.margin + height * NODE.height + Math.max(0, height - 1) * GAP.node,
  };
}
