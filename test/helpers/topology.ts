/** The orchestrator graph's topology as tests expect it, from the compiled graph and from the server alike. */
export const TOPOLOGY = {
  nodes: ["__end__", "__start__", "orchestrator", "review", "synthesizer", "worker"],
  edges: [
    "__start__->orchestrator",
    "orchestrator->review?",
    "orchestrator->synthesizer?",
    "orchestrator->worker?",
    "review->__end__?",
    "review->orchestrator?",
    "review->review?",
    "synthesizer->__end__",
    "worker->orchestrator",
  ],
};

/** Edges as sorted `source->target` strings, `?` marking conditional ones. */
export const edgeList = (edges: readonly { source: string; target: string; conditional?: boolean }[]): string[] =>
  edges.map((edge) => `${edge.source}->${edge.target}${edge.conditional ? "?" : ""}`).sort();
