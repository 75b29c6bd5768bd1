/**
 * A run in a child process for the crash tests: function workers with set latencies, and either a fixed input
 * plan with a scripted synthesizer, or (with `modelUrl`) the planner and synthesizer of the real ChatOpenAI
 * against the parent's loopback server. It logs each worker execution to a file and prints events to stdout so
 * the parent can SIGKILL it at a chosen moment. Argument: JSON of {@link CrashChildOptions}.
 *
 * Lines on stdout: `EVENT <type> [taskId]` per lifecycle event, `FINISHED <id>` when a worker returns,
 * `CHECKPOINTED <id>` once a write holding that task's result is stored by the checkpointer (the moment a
 * resume can reuse it), `LANDED <ids>` once an eager pool's record of which tasks landed is stored (the point
 * after which a resume replays that pool's next decision), `REVIEW PENDING` once a plan review's interrupt is stored (the child then waits there
 * to be killed), and `SUMMARY <json>` at the end.
 */
import { appendFileSync } from "node:fs";
import type { BaseCheckpointSaver } from "@langchain/langgraph";
import {
  createOrchestrator,
  functionWorker,
  openAIProvider,
  type ReviewDecision,
  type SettingsInput,
} from "../../src/index.js";
import { openCheckpointer } from "../../src/persistence/checkpointer.js";
import { scriptedProvider } from "./scripted-model.js";

export interface CrashChildOptions {
  spec: string;
  threadId: string;
  execLog: string;
  resume: boolean;
  latencies: Record<string, number>;
  synthesizerMs: number;
  /** Extra settings of the run (e.g. continuous scheduling). */
  settings?: SettingsInput;
  /** The loopback OpenAI server: the planner plans the goal (no input plan) and the synthesizer writes through it. */
  modelUrl?: string;
  /** A resume's answer to a pending plan review. */
  answer?: ReviewDecision;
  /** Stop (and wait to be killed) once a plan review's interrupt is stored. */
  waitAtReview?: boolean;
}

export const CRASH_PLAN = {
  tasks: [
    { id: "a", title: "Fast A", worker: "step" },
    { id: "b", title: "Slow B", worker: "step" },
    { id: "c", title: "C after A", worker: "step", dependsOn: ["a"] },
    { id: "d", title: "D after B and C", worker: "step", dependsOn: ["b", "c"] },
  ],
};

const options = JSON.parse(process.argv[2]!) as CrashChildOptions;
const say = (line: string) => process.stdout.write(`${line}\n`);

const step = functionWorker({
  name: "step",
  description: "Deterministic step with a set latency.",
  async run(input) {
    appendFileSync(options.execLog, `start ${input.task.id}\n`);
    await new Promise((resolve) => setTimeout(resolve, options.latencies[input.task.id] ?? 10));
    const output = `${input.task.id}(${Object.entries(input.dependencies)
      .map(([id, dep]) => `${id}=${dep.output}`)
      .sort()
      .join(";")})`;
    appendFileSync(options.execLog, `end ${input.task.id}\n`);
    say(`FINISHED ${input.task.id}`);
    return output;
  },
});

const models = options.modelUrl
  ? openAIProvider({ openaiBaseUrl: options.modelUrl, openaiApiKey: "test" })
  : scriptedProvider(
      { synthesizer: (call) => `ANSWER ${call.prompt.length}: ${call.prompt.match(/^### .*$/gm)?.join(" | ")}` },
      { latencyMs: (call) => (call.role === "synthesizer" ? options.synthesizerMs : 0) },
    );
/** The ids of the task results in a batch of pending writes: a task's return value, or the `results` channel. */
function resultIds(writes: Parameters<BaseCheckpointSaver["putWrites"]>[1]): string[] {
  const ids: string[] = [];
  for (const [channel, value] of writes) {
    const record = value as { taskId?: unknown; output?: unknown } | null;
    if (typeof record?.taskId === "string" && typeof record.output === "string") ids.push(record.taskId);
    if (channel === "results" && value && typeof value === "object")
      ids.push(...Object.keys(value).filter((key) => key !== "__overwrite__"));
  }
  return ids;
}

// The checkpointer the spec names, opened as the orchestrator would open it, with its writes reported once stored.
const handle = await openCheckpointer(options.spec);
const putWrites = handle.saver.putWrites.bind(handle.saver);
handle.saver.putWrites = async (config, writes, taskId) => {
  await putWrites(config, writes, taskId);
  for (const id of resultIds(writes)) say(`CHECKPOINTED ${id}`);
  for (const [, value] of writes) {
    const landing = value as { taskIds?: unknown } | null;
    if (Array.isArray(landing?.taskIds)) say(`LANDED ${landing.taskIds.join(",")}`);
  }
  if (writes.some(([channel]) => channel === "__interrupt__")) {
    say("REVIEW PENDING");
    // A timer, not a bare pending promise: it keeps the process alive until the kill.
    if (options.waitAtReview) await new Promise((resolve) => setTimeout(resolve, 300_000));
  }
};

const orchestrator = await createOrchestrator({
  checkpointer: handle.saver,
  lock: handle.lock,
  models,
  workers: [step],
  settings: { replan: "never", ...options.settings },
  onEvent: (event) => say(`EVENT ${event.type} ${"taskId" in event ? event.taskId : ""}`.trim()),
});
const summary = options.resume
  ? await orchestrator.resume(options.threadId, options.answer)
  : await orchestrator.run("crash test goal", {
      threadId: options.threadId,
      ...(options.modelUrl ? {} : { plan: CRASH_PLAN }),
    });
const state = await orchestrator.state(options.threadId);
say(
  `SUMMARY ${JSON.stringify({
    status: summary.status,
    answer: summary.answer,
    statuses: Object.fromEntries(summary.tasks.map((t) => [t.id, t.status])),
    outputs: Object.fromEntries(Object.entries(state.results).map(([id, r]) => [id, r.output])),
  })}`,
);
await orchestrator.close();
await handle.close();
