import { runGraph } from "../../../src/app/run.js";
import { openAIProvider } from "../../../src/models.js";
import { agentWorker } from "../../../src/workers/registry.js";
import { describeRequest, startOpenAIServer, taskOf, type OpenAIServer } from "../../helpers/openai-server.js";
import type { BenchConfig } from "../config.js";
import { dagFigures } from "../dag.js";
import { planSpecs } from "../peers.js";
import type { BenchTask } from "../plans.js";
import { benchGraph } from "../real.js";
import { REPEATS } from "../repeat.js";
import type { Goal, ScenarioOutput } from "../report.js";
import { median, round } from "../stats.js";
import { tripPlan } from "../suite.js";

/** Slots enough for the trip plan's widest level: the schedule is bounded by the plan, not by the cap. */
const CAP = 8;
/** The loopback server writes a streamed answer in pieces of this many characters. */
const PIECE = 20;

/** One mode's medians: when the first worker's request arrived and when the run ended, from the run's start. */
interface ModeRun {
  firstWorkerMs: number;
  makespanMs: number;
}

/** A planning time and both modes measured at it, with the lower bound of a streamed run. */
interface Pair {
  planMs: number;
  streamed: ModeRun;
  unstreamed: ModeRun;
  lowerBoundMs: number;
}

/**
 * When each task is complete in the stream (the next task has begun, or the answer has ended), in ms from the
 * planner's request: the server writes the JSON in pieces of `PIECE` characters spread evenly over `planMs`.
 */
export function streamedAt(json: string, ids: readonly string[], planMs: number): Map<string, number> {
  const deltas = 1 + Math.ceil(json.length / PIECE);
  const at = (char: number) => (planMs * (1 + Math.floor(char / PIECE))) / deltas;
  const starts = ids.map((id) => json.indexOf(`{"id":"${id}"`));
  return new Map(ids.map((id, i) => [id, i + 1 < ids.length ? at(starts[i + 1]!) : planMs]));
}

/** The earliest a run can end: each task from when it is streamed and its dependencies are done, then synthesis. */
export function streamedBound(tasks: readonly BenchTask[], streamed: Map<string, number>, synthesisMs: number): number {
  const finish = new Map<string, number>();
  const end = (task: BenchTask): number =>
    finish.get(task.id) ??
    finish
      .set(
        task.id,
        Math.max(streamed.get(task.id)!, ...task.dependsOn.map((dep) => end(tasks.find((t) => t.id === dep)!))) +
          task.latencyMs,
      )
      .get(task.id)!;
  return Math.max(...tasks.map(end)) + synthesisMs;
}

/** Median first-worker time and makespan of `REPEATS` runs (after one warm-up run) in one mode. */
async function measureMode(server: OpenAIServer, streamPlan: boolean, label: string): Promise<ModeRun> {
  const sim = agentWorker({ name: "sim", description: "Does one task with the model.", systemPrompt: "One task." });
  const graph = benchGraph([sim], { models: openAIProvider({ openaiBaseUrl: server.url, openaiApiKey: "test" }) });
  const runs: ModeRun[] = [];
  for (let i = -1; i < REPEATS; i++) {
    const seen = server.requests.length;
    const started = Date.now();
    await runGraph(
      graph,
      { goal: "Plan a 3-day trip (end-to-end bench)." },
      {
        threadId: `e2e-${label}-${streamPlan}-${i}`,
        settings: { streamPlan, maxParallel: CAP, replan: "never" },
      },
    );
    const ended = Date.now();
    const workers = server.requests.slice(seen).filter((request) => request.body && taskOf(request.body));
    if (i >= 0)
      runs.push({ firstWorkerMs: Math.min(...workers.map((r) => r.time)) - started, makespanMs: ended - started });
  }
  return {
    firstWorkerMs: median(runs.map((run) => run.firstWorkerMs)),
    makespanMs: median(runs.map((run) => run.makespanMs)),
  };
}

/** Both modes at one planning time, against a loopback model that streams the plan over `planMs`. */
async function measurePair(tasks: readonly BenchTask[], planMs: number, synthesisMs: number): Promise<Pair> {
  const plan = { rationale: "The trip's tasks.", tasks: planSpecs(tasks) };
  const latency = new Map(tasks.map((task) => [task.id, task.latencyMs]));
  const server = await startOpenAIServer({
    handler: (body) => {
      if (describeRequest(body).structured === "plan") return { structured: plan, streamMs: planMs };
      const id = taskOf(body);
      return id ? { content: `done ${id}`, delayMs: latency.get(id)! } : { content: "ANSWER", delayMs: synthesisMs };
    },
  });
  try {
    const streamed = await measureMode(server, true, String(planMs));
    const unstreamed = await measureMode(server, false, String(planMs));
    const at = streamedAt(
      JSON.stringify(plan),
      plan.tasks.map((task) => task.id),
      planMs,
    );
    return { planMs, streamed, unstreamed, lowerBoundMs: round(streamedBound(tasks, at, synthesisMs), 1) };
  } finally {
    await server.close();
  }
}

/** The goals of issue 23 on the pair whose planning time is a third of the critical path. */
function goals(pair: Pair): Goal[] {
  const ratio = pair.streamed.makespanMs / pair.lowerBoundMs;
  const saving = 1 - pair.streamed.makespanMs / pair.unstreamed.makespanMs;
  return [
    { goal: "end-to-end streamed makespan ≤ 1.10 × bound", measured: `${round(ratio)}×`, pass: ratio <= 1.1 },
    {
      goal: "end-to-end streamed ≥ 25% shorter than unstreamed (P = critical path / 3)",
      measured: `${round(100 * saving, 1)}%`,
      pass: saving >= 0.25,
    },
  ];
}

/**
 * Scenario 9, end to end with planning: the trip plan's tasks (4× the unit, fixed) written by a loopback ChatOpenAI
 * planner that streams the plan over P ms, agent workers whose calls take the task's latency, and a synthesis call;
 * streamed planning against the same run with `streamPlan: false`, at P = a third of the critical path and P = the
 * critical path. The bound: every task from the moment it is complete in the stream and its dependencies are done.
 */
export async function endToEndScenario(config: BenchConfig, log: (line: string) => void): Promise<ScenarioOutput> {
  const unitMs = config.latency.unitMs * 4;
  const { tasks } = tripPlan("fixed", { ...config, latency: { ...config.latency, unitMs } });
  const criticalPathMs = dagFigures(tasks, CAP).criticalPathMs;
  const synthesisMs = unitMs / 5;
  const pairs: Pair[] = [];
  for (const planMs of [Math.round(criticalPathMs / 3), criticalPathMs]) {
    pairs.push(await measurePair(tasks, planMs, synthesisMs));
    const { streamed, unstreamed, lowerBoundMs } = pairs.at(-1)!;
    log(
      `  P = ${planMs} ms: streamed ${streamed.makespanMs} ms, unstreamed ${unstreamed.makespanMs} ms, bound ${lowerBoundMs} ms`,
    );
  }
  const [third, whole] = pairs as [Pair, Pair];
  const best = round(100 * (1 - third.lowerBoundMs / (third.planMs + criticalPathMs + synthesisMs)), 1);
  return {
    headline: { endToEnd: { ...third, criticalPathMs, synthesisMs, longPlan: whole } },
    figures: { criticalPathMs, synthesisMs, pairs },
    tables: [
      {
        title:
          "9. End to end with planning: streamed vs unstreamed (trip plan, loopback ChatOpenAI, median of real runs)",
        columns: ["plan streams over", "mode", "first worker ms", "makespan ms", "÷ bound"],
        rows: pairs.flatMap((pair) => [
          [
            `${pair.planMs} ms`,
            "streamed",
            pair.streamed.firstWorkerMs,
            pair.streamed.makespanMs,
            round(pair.streamed.makespanMs / pair.lowerBoundMs),
          ],
          [
            `${pair.planMs} ms`,
            "unstreamed",
            pair.unstreamed.firstWorkerMs,
            pair.unstreamed.makespanMs,
            round(pair.unstreamed.makespanMs / pair.lowerBoundMs),
          ],
        ]),
        notes: [
          `Tasks take ${unitMs} ms per unit (critical path ${criticalPathMs} ms), synthesis ${synthesisMs} ms; the bound is each task from when it is complete in the stream and its dependencies are done, plus synthesis: ${pairs.map((p) => `${p.lowerBoundMs} ms`).join(" and ")}.`,
          `At P = critical path / 3, no streamed run can be more than ${best}% shorter than the unstreamed bound (P + critical path + synthesis): the first task is complete only after part of P.`,
        ],
      },
    ],
    goals: goals(third),
  };
}
