import { HumanMessage, SystemMessage } from "@langchain/core/messages";
import { workerTaskPrompt } from "../../../src/prompts.js";
import { agentWorker, functionWorker } from "../../../src/workers/registry.js";
import type { WorkerDefinition } from "../../../src/worker-contract.js";
import type { PlanInput, WorkerInput } from "../../../src/schemas.js";
import { usageOf } from "../../../src/budget/usage.js";
import { estimateTokens, scriptedProvider, type ModelCall } from "../../helpers/scripted-model.js";
import type { BenchConfig } from "../config.js";
import { tokenDag, type BenchTask, type TaskShape } from "../plans.js";
import { benchGraph, runPlan } from "../real.js";
import type { ScenarioOutput } from "../report.js";
import { simulate } from "../simulate.js";
import { max, median, min, round } from "../stats.js";
import { buildSuite } from "../suite.js";

/** Characters of every worker's answer (≈ 300 tokens at chars/4). */
const OUTPUT_CHARS = 1_200;
const GOAL =
  "Write a market report on home battery storage in Europe for an investor: size, growth, players, regulation, risks.";
const SYSTEM_PROMPT =
  "You are a careful research analyst on a team. Work only on the task you are given, use the results of earlier tasks " +
  "when they are provided, cite figures with their source, and answer in concise, well-structured prose.";

const describe = (task: TaskShape) =>
  `Produce the ${task.id.replace("_", " ")} section of the report, building on the results you are given.`;

/** The plan input with descriptive tasks, all on the `writer` worker. */
const planOf = (tasks: readonly TaskShape[]): PlanInput => ({
  tasks: tasks.map((task) => ({
    id: task.id,
    title: `Section ${task.id}`,
    description: describe(task),
    worker: "writer",
    dependsOn: task.dependsOn,
    estimatedCost: 1,
  })),
});

/** A deterministic answer of exactly OUTPUT_CHARS characters for a task. */
function answerFor(taskId: string): string {
  const head = `Findings for ${taskId}: `;
  const filler = "Demand rose with retail prices and subsidies; installers consolidated; grid rules shape payback. ";
  return (head + filler.repeat(Math.ceil(OUTPUT_CHARS / filler.length))).slice(0, OUTPUT_CHARS);
}

const taskIdOf = (call: ModelCall) => /Your task "([^"]+)"/.exec(call.prompt)?.[1] ?? "unknown";

/** Tasks of earlier waves: the results a broadcast would have in state when the task is dispatched. */
function priorByTask(tasks: readonly TaskShape[], cap: number): Map<string, string[]> {
  const waves = simulate(
    tasks.map((task): BenchTask => ({ ...task, latencyMs: 1 })),
    { cap, dispatch: "waves", priority: "cp" },
  ).waves;
  return new Map(waves.flatMap((wave, i) => wave.map((id) => [id, waves.slice(0, i).flat()] as const)));
}

/** The broadcast variant: a worker whose prompt carries every prior result instead of only its dependencies'. */
function broadcastWorker(
  prior: Map<string, string[]>,
  finished: Map<string, WorkerInput["dependencies"][string]>,
): WorkerDefinition {
  return functionWorker({
    name: "writer",
    description: "Writes one section of the report (broadcast: sees every prior result).",
    async run(input, context) {
      const dependencies = Object.fromEntries(
        (prior.get(input.task.id) ?? []).sort().map((id) => [id, finished.get(id)!]),
      );
      const messages = [
        new SystemMessage(SYSTEM_PROMPT),
        new HumanMessage(workerTaskPrompt({ ...input, dependencies })),
      ];
      const reply = await context.model("worker").invoke(messages, { signal: context.signal });
      context.recordUsage(usageOf(reply));
      const output = typeof reply.content === "string" ? reply.content : reply.text;
      finished.set(input.task.id, { title: `Section ${input.task.id}`, worker: "writer", output });
      return output;
    },
  });
}

/** Prompt tokens of every worker call in one real run of the plan. */
async function promptTokens(
  tasks: readonly TaskShape[],
  variant: "routed" | "broadcast",
  cap: number,
): Promise<{ tokens: number; perTask: Record<string, number> }> {
  const models = scriptedProvider({ worker: (call) => answerFor(taskIdOf(call)), synthesizer: () => "answer" });
  const worker =
    variant === "routed"
      ? agentWorker({ name: "writer", description: "Writes one section of the report.", systemPrompt: SYSTEM_PROMPT })
      : broadcastWorker(priorByTask(tasks, cap), new Map());
  const settings = { maxParallel: cap, replan: "never" as const };
  const graph = benchGraph([worker], { models, settings });
  const events: { taskId: string; tokens: number }[] = [];
  const run = await runPlan(graph, tasks, { threadId: `tokens-${variant}`, settings, goal: GOAL, plan: planOf(tasks) });
  for (const event of run.events)
    if (event.type === "task.done") events.push({ taskId: event.taskId, tokens: event.usage.inputTokens });
  const perTask = Object.fromEntries(events.map((e) => [e.taskId, e.tokens]));
  return { tokens: events.reduce((sum, e) => sum + e.tokens, 0), perTask };
}

/** The same prompts computed without a run (workerTaskPrompt over the suite's DAGs), for a wider view. */
function analyticRatio(tasks: readonly BenchTask[], cap: number): number {
  const prior = priorByTask(tasks, cap);
  const result = (id: string) => ({ title: `Section ${id}`, worker: "writer", output: answerFor(id) });
  const promptOf = (task: TaskShape, ids: readonly string[]) => {
    const input: WorkerInput = {
      goal: GOAL,
      task: {
        id: task.id,
        title: `Section ${task.id}`,
        description: describe(task),
        worker: "writer",
        dependsOn: task.dependsOn,
        expectedOutput: "",
        estimatedCost: 1,
        complex: false,
      },
      dependencies: Object.fromEntries([...ids].sort().map((id) => [id, result(id)])),
      dispatch: 1,
    };
    return estimateTokens(SYSTEM_PROMPT.length + workerTaskPrompt(input).length);
  };
  const routed = tasks.reduce((sum, task) => sum + promptOf(task, task.dependsOn), 0);
  const broadcast = tasks.reduce((sum, task) => sum + promptOf(task, prior.get(task.id) ?? []), 0);
  return routed / broadcast;
}

/** Scenario 5: prompt tokens with context routing against a broadcast of every prior result. */
export async function tokensScenario(config: BenchConfig, log: (line: string) => void): Promise<ScenarioOutput> {
  const cap = 8;
  const tasks = tokenDag();
  const routed = await promptTokens(tasks, "routed", cap);
  const broadcast = await promptTokens(tasks, "broadcast", cap);
  const ratio = routed.tokens / broadcast.tokens;
  const analytic = analyticRatio(
    tasks.map((task) => ({ ...task, latencyMs: 1 })),
    cap,
  );
  const suiteRatios = buildSuite(config)
    .filter((plan) => plan.group === "dag")
    .map((plan) => analyticRatio(plan.tasks, config.cap));
  log(`  routed ${routed.tokens} vs broadcast ${broadcast.tokens} prompt tokens (${ratio.toFixed(3)})`);
  return {
    headline: {
      routedVsBroadcastTokenRatio: round(ratio),
      routedPromptTokens: routed.tokens,
      broadcastPromptTokens: broadcast.tokens,
    },
    figures: {
      outputChars: OUTPUT_CHARS,
      routed,
      broadcast,
      ratio,
      analyticRatio: analytic,
      dagSuiteRatio: { median: median(suiteRatios), best: min(suiteRatios), worst: max(suiteRatios), cap: config.cap },
    },
    tables: [
      {
        title: `5. Prompt tokens per run, 10-task DAG (agent workers, scripted model, usage = chars/4, ${OUTPUT_CHARS}-char results)`,
        columns: ["variant", "prompt tokens", "per task (median)", "ratio to broadcast"],
        rows: [
          ["routed (dependencies only, real graph)", routed.tokens, median(Object.values(routed.perTask)), ratio],
          ["broadcast (every prior result, real graph)", broadcast.tokens, median(Object.values(broadcast.perTask)), 1],
          ["routed / broadcast, computed with workerTaskPrompt", null, null, analytic],
          [`random 30-task DAGs (cap ${config.cap}), computed: median`, null, null, median(suiteRatios)],
          [
            "random 30-task DAGs, computed: best / worst",
            null,
            null,
            `${min(suiteRatios).toFixed(3)} / ${max(suiteRatios).toFixed(3)}`,
          ],
        ],
        notes: [
          "broadcast = the results of every task of an earlier wave (what the state holds at dispatch), in the same prompt template.",
        ],
      },
    ],
    goals: [
      {
        goal: "routed prompts ≥ 2× smaller than broadcast (10-task DAG)",
        measured: `${(broadcast.tokens / routed.tokens).toFixed(2)}× smaller (ratio ${ratio.toFixed(3)})`,
        pass: broadcast.tokens >= 2 * routed.tokens,
      },
    ],
  };
}
