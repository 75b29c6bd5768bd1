import type { TaskRecord, TaskResult } from "../schemas.js";

/**
 * The answer without a synthesizer model: every result under its task title, then the gaps.
 * Labelled, so nobody mistakes it for a written answer.
 */
export function templateAnswer(
  goal: string,
  tasks: readonly TaskRecord[],
  results: Record<string, TaskResult>,
  notes: readonly string[],
  mode: "offline" | "fallback",
): string {
  const label =
    mode === "offline"
      ? "_Offline mode: no model is configured, so this is a template report of the workers' results._"
      : "_The synthesizer model was unavailable, so this is a template report of the workers' results._";
  const sections = tasks
    .filter((task) => task.status === "done" && !task.children?.length)
    .map((task) => `## ${task.title}\n\n${results[task.id]?.output.trim() ?? ""}`);
  const gaps = tasks
    .filter((task) => task.status !== "done")
    .map((task) => `- **${task.id}** (${task.title}): ${task.status}${task.reason ? ` — ${task.reason}` : ""}`);
  return [
    `# ${goal}`,
    label,
    ...sections,
    gaps.length ? `## Gaps\n\n${gaps.join("\n")}` : "",
    notes.length ? `## Notes\n\n${notes.map((note) => `- ${note}`).join("\n")}` : "",
  ]
    .filter(Boolean)
    .join("\n\n");
}

/**
 * The answer of a plan of one task (a simple goal, planned as one task) that is done with nothing to report: the
 * task's own output, with no synthesizer call to restate it.
 */
export function directAnswer(
  tasks: readonly TaskRecord[],
  results: Record<string, TaskResult>,
  notes: readonly string[],
): string | undefined {
  const [only] = tasks;
  if (tasks.length !== 1 || only?.status !== "done" || notes.length > 0) return undefined;
  const output = results[only.id]?.output.trim();
  return output || undefined;
}
