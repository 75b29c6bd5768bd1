import { dataRule, fence, taskNonce } from "./fence.js";
import type { WorkerCatalog } from "./worker-contract.js";
import type { TaskRecord, TaskResult, WorkerInput } from "./schemas.js";
import { planTaskLimit, type Settings } from "./settings.js";

/** The planner's system prompt; the worker list comes from the registry. */
export function plannerSystemPrompt(
  registry: WorkerCatalog,
  settings: Pick<Settings, "strategy" | "maxTasks" | "effort">,
): string {
  const listed = registry.list();
  const workers = listed
    .map(
      (worker) =>
        `- ${worker.name}: ${worker.description}${worker.capabilities?.length ? ` (capabilities: ${worker.capabilities.join(", ")})` : ""}`,
    )
    .join("\n");
  const capabilities = listed.some((worker) => worker.capabilities?.length)
    ? ["A task that needs a capability lists it in `requires`; assign it to a worker that has that capability."]
    : [];
  const strategy =
    settings.strategy === "top-down"
      ? "Break the goal into a few high-level tasks. Mark a task `complex: true` when it should itself be broken " +
        "into subtasks before it runs; keep simple tasks `complex: false`."
      : "Break the goal into concrete tasks forming a dependency graph: a task lists in `dependsOn` the ids of the " +
        "tasks whose results it needs. Tasks without a dependency between them run in parallel, so only add real " +
        "dependencies. Set every task's `complex` to false.";
  return [
    "You are the orchestrator of a team of specialised workers. You plan; the workers do the work.",
    strategy,
    effortRule(settings),
    `Use at most ${planTaskLimit(settings)} tasks. Ids are short snake_case words, unique in the plan.`,
    "Give each task a self-contained description, the expected output, and an estimatedCost (1 = small, 5 = large).",
    "Assign each task to exactly one of these workers:",
    workers,
    ...capabilities,
  ].join("\n\n");
}

/** How many tasks a goal deserves, by its kind, under the `effort` setting. */
export function effortRule(settings: Pick<Settings, "effort" | "maxTasks">): string {
  const sizes =
    "Plan to the size of the goal. A simple fact or a single lookup is ONE task. A comparison gets one task per item " +
    "compared (usually 2-4) and no separate comparing task unless comparing takes its own work. An open research " +
    "question gets one task per distinct angle (5-10, more only when the goal is broad). Never add a task that only " +
    "summarises or combines the others' results: that is done after the plan, from the results.";
  const bound = {
    auto: "",
    low: " Effort is low: keep the plan as small as it can be.",
    medium: " Effort is medium: a moderate breakdown.",
    high: " Effort is high: cover every angle the goal has.",
  }[settings.effort];
  return sizes + bound;
}

/** The plan request: the goal, and the conversation so far (fenced as data, since answers carry worker output), if any. */
export const planRequest = (goal: string, conversation = "", nonce = ""): string =>
  conversation
    ? `Conversation so far (earlier goals and answers; context only):\n${fence(conversation, nonce)}\n${dataRule(nonce)}\n\nGoal:\n${goal}\n\nReturn the plan.`
    : `Goal:\n${goal}\n\nReturn the plan.`;

/** Sent back to the planner when its plan failed validation. */
export const repairRequest = (issues: readonly string[]): string =>
  `The plan is invalid:\n${issues.map((issue) => `- ${issue}`).join("\n")}\n\nReturn a corrected plan.`;

/** Asks the planner to break one complex task into subtasks. */
export function expandRequest(goal: string, task: TaskRecord, maxSubtasks: number): string {
  return [
    `Overall goal:\n${goal}`,
    `Break this task into at most ${maxSubtasks} subtasks. Subtask ids are unique among the subtasks; ` +
      "`dependsOn` names only other subtasks of this task. Mark a subtask complex only if it needs a further breakdown.",
    `Task "${task.id}": ${task.title}\n${task.description}`,
    task.expectedOutput ? `Expected output: ${task.expectedOutput}` : "",
  ]
    .filter(Boolean)
    .join("\n\n");
}

const clip = (text: string, max: number) => (text.length > max ? `${text.slice(0, max)}…` : text);

/** A task's reason (it may quote worker output), fenced as data. */
const fencedReason = (task: TaskRecord, nonce: string): string => fence(task.reason ?? "no result", nonce);

/** Asks the planner whether the plan needs revising, given the results so far (worker output fenced with `nonce`). */
export function replanRequest(
  goal: string,
  tasks: readonly TaskRecord[],
  results: Record<string, TaskResult>,
  remaining: number,
  nonce: string,
): string {
  const lines = tasks.map((task) => {
    const result = results[task.id];
    const detail =
      task.status === "done" && result
        ? `, result:\n${fence(clip(result.output.replace(/\s+/g, " "), 300), nonce)}`
        : task.reason
          ? `, reason:\n${fencedReason(task, nonce)}`
          : "";
    return `- [${task.status}] ${task.id} (${task.worker}) ${task.title}${detail}`;
  });
  return [
    `Goal:\n${goal}`,
    `Tasks so far:\n${lines.join("\n")}`,
    `Decide whether the plan still reaches the goal. To revise it, add new tasks (at most ${remaining}; they may ` +
      "depend on existing ids) and/or cancel pending tasks that are no longer useful. Otherwise answer continue " +
      "with no changes.",
  ].join("\n\n");
}

/**
 * The prompt an LLM worker gets for its task: the goal, the task and only its dependencies' results, each fenced
 * with `nonce` (by default the nonce of the task's dispatch).
 */
export function workerTaskPrompt(input: WorkerInput, feedback?: string, nonce = taskNonce(input, "task")): string {
  const deps = Object.entries(input.dependencies).map(
    ([id, dep]) => `### ${id}: ${dep.title} (by ${dep.worker})\n${fence(dep.output, nonce)}`,
  );
  return [
    `Overall goal (for context):\n${input.goal}`,
    `Your task "${input.task.id}": ${input.task.title}\n${input.task.description}`,
    input.task.expectedOutput ? `Expected output: ${input.task.expectedOutput}` : "",
    deps.length ? `Results of the tasks yours depends on:\n\n${deps.join("\n\n")}` : "",
    feedback ? `Your previous attempt was not accepted: ${feedback}\nFix this in your answer.` : "",
    "Answer with the result of your task only. If the task cannot be done as stated, begin your answer with " +
      "UNDERSPECIFIED: and say what is missing.",
  ]
    .filter(Boolean)
    .join("\n\n");
}

/** The synthesizer's system prompt. */
export const SYNTHESIZER_SYSTEM_PROMPT =
  "You write the final answer to a goal from the results of the subtasks a team of workers completed. " +
  "Combine them into one coherent, well-structured answer to the goal. Do not invent results for subtasks " +
  "that failed or were skipped: name each such gap explicitly, in a short section titled 'Gaps'.";

/** The synthesizer's user message: every result and every gap's reason fenced with `nonce`. */
export function synthesizerRequest(
  goal: string,
  tasks: readonly TaskRecord[],
  results: Record<string, TaskResult>,
  notes: readonly string[],
  nonce: string,
): string {
  const done = tasks
    .filter((task) => task.status === "done" && !task.children?.length)
    .map((task) => `### ${task.id}: ${task.title} (${task.worker})\n${fence(results[task.id]?.output ?? "", nonce)}`);
  const gaps = tasks
    .filter((task) => task.status !== "done")
    .map((task) => `- ${task.id} (${task.title}): ${task.status}, reason:\n${fencedReason(task, nonce)}`);
  return [
    `Goal:\n${goal}`,
    `Results:\n\n${done.join("\n\n") || "(none)"}`,
    gaps.length ? `Tasks without a usable result:\n${gaps.join("\n")}` : "",
    notes.length ? `Notes from the run:\n${notes.map((note) => `- ${note}`).join("\n")}` : "",
  ]
    .filter(Boolean)
    .join("\n\n");
}

/** The clarifier's system prompt: the orchestrator's model rewriting a task a worker found underspecified. */
export const CLARIFIER_SYSTEM_PROMPT =
  "You are the orchestrator of a team of workers. A worker could not do a task because it was underspecified. " +
  "Rewrite the task description so that it is self-contained and can be done now: resolve what is missing from " +
  "the overall goal where possible and state any remaining assumption explicitly. Reply with the new description only.";

/** The clarifier's request: what the worker said is missing, fenced with `nonce`. */
export function clarifyRequest(input: WorkerInput, reason: string, nonce = taskNonce(input, "clarify")): string {
  return [
    `Overall goal:\n${input.goal}`,
    `Task "${input.task.id}": ${input.task.title}\n${input.task.description}`,
    `What the worker said is missing:\n${fence(reason, nonce)}`,
  ].join("\n\n");
}
