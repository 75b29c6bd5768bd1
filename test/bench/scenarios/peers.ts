import type { BenchConfig } from "../config.js";
import { dagFigures } from "../dag.js";
import {
  DeepAgentsPeer,
  PeerModel,
  runFlatFanOutWithModel,
  runOursWithModel,
  runSequentialWithModel,
  runSupervisor,
  type PeerRun,
} from "../peers.js";
import { REPEATS } from "../repeat.js";
import type { ScenarioOutput } from "../report.js";
import { simulate } from "../simulate.js";
import { median, round } from "../stats.js";
import { tripPlan } from "../suite.js";

/** The product's default `maxParallel`, for the simulated FIFO waves. */
const CAP = 8;

interface Peer {
  name: string;
  note: string;
  run: (model: PeerModel, i: number) => Promise<unknown>;
}

/** Median makespan and model calls of `REPEATS` runs, after one run that warms its code paths up. */
async function measure(model: PeerModel, peer: Peer): Promise<PeerRun> {
  await peer.run(model, -1);
  const runs: PeerRun[] = [];
  for (let i = 0; i < REPEATS; i++) runs.push(await model.measure(() => peer.run(model, i)));
  return {
    makespanMs: median(runs.map((run) => run.makespanMs)),
    modelCalls: median(runs.map((run) => run.modelCalls)),
  };
}

/**
 * Scenario 8, peers: the trip-shaped plan (fixed latencies) through real systems that all call the same loopback
 * OpenAI-compatible model, whose task calls take the task's latency and every other call (planning, a supervisor's
 * turn, synthesis) a fifth of the unit. Makespan and model calls of each, and each makespan over ours.
 */
export async function peersScenario(config: BenchConfig, log: (line: string) => void): Promise<ScenarioOutput> {
  const { tasks } = tripPlan("fixed", config);
  const routingMs = config.latency.unitMs / 5;
  const peers: Peer[] = [
    {
      name: "ours (default settings)",
      note: "planner call, eager pool of agent workers, synthesizer call",
      run: (m, i) => runOursWithModel(m, `peers-ours-${i}`),
    },
    {
      name: "ours, waves",
      note: "the same with scheduling: waves",
      run: (m, i) => runOursWithModel(m, `peers-waves-${i}`, { scheduling: "waves" }),
    },
    {
      name: "langgraph-supervisor",
      note: "createSupervisor over one createAgent per task: one handoff per turn",
      run: (m) => runSupervisor(m, tasks),
    },
    {
      name: "flat Send fan-out",
      note: "LangGraph's tutorial: planning call, every task at once (dependencies ignored)",
      run: (m) => runFlatFanOutWithModel(m, tasks),
    },
    {
      name: "sequential loop",
      note: "planning call, each task awaited in dependency order, synthesis call",
      run: (m) => runSequentialWithModel(m, tasks),
    },
  ];
  const model = await PeerModel.start(tasks, routingMs);
  const deepAgents = await DeepAgentsPeer.start(model).catch((error: Error) =>
    log(`  deepagents left out: ${error.message}`),
  );
  if (deepAgents)
    peers.push({
      name: "deepagents",
      note: "createDeepAgent, one `sim` subagent: every ready task delegated at once per turn",
      run: () => deepAgents.run(),
    });
  const measured: (PeerRun & Peer)[] = [];
  try {
    for (const peer of peers) {
      measured.push({ ...peer, ...(await measure(model, peer)) });
      log(`  ${peer.name}: ${measured.at(-1)!.makespanMs.toFixed(0)} ms, ${measured.at(-1)!.modelCalls} model calls`);
    }
  } finally {
    deepAgents?.close();
    await model.close();
  }
  const fifo = simulate(tasks, { cap: CAP, dispatch: "waves", priority: "fifo" }).makespanMs + 2 * routingMs;
  measured.push({
    name: "FIFO waves (simulated)",
    note: "plan order, a barrier per wave; schedule only, plus planning and synthesis",
    run: async () => {},
    makespanMs: fifo,
    modelCalls: tasks.length + 2,
  });
  const ours = measured[0]!.makespanMs;
  const bound = dagFigures(tasks, CAP).criticalPathMs + 2 * routingMs;
  const rows = measured.map((peer) => ({
    name: peer.name,
    makespanMs: round(peer.makespanMs, 1),
    modelCalls: peer.modelCalls,
    ratioToOurs: round(peer.makespanMs / ours),
    note: peer.note,
  }));
  return {
    headline: { peers: rows.map(({ note: _note, ...peer }) => peer) },
    figures: { routingMs, boundMs: bound, peers: rows },
    tables: [
      {
        title: "8. Peers on the trip-shaped plan, same loopback model latencies (median of real runs)",
        columns: ["system", "makespan ms", "model calls", "÷ ours", "how"],
        rows: rows.map((row) => [row.name, row.makespanMs, row.modelCalls, row.ratioToOurs, row.note]),
        notes: [
          `Task calls take the task's latency (unit ${config.latency.unitMs} ms); planning, supervisor turns and synthesis ${routingMs} ms each.`,
          `No system can beat the critical path plus planning and synthesis: ${bound} ms. The flat fan-out ignores dependencies, so it may beat that bound with wrong inputs.`,
        ],
      },
    ],
    goals: [],
  };
}
