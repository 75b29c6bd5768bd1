/** The graph's node names: one place, used by the wiring, the routers and the tests. */
export const NODES = {
  orchestrator: "orchestrator",
  worker: "worker",
  review: "review",
  synthesizer: "synthesizer",
} as const;
