import { countStatuses, type RunSummary, type TaskSummary } from "../app/run.js";
import type { TaskStatus } from "../schemas.js";

const mermaidText = (text: string) => text.replace(/"/g, "#quot;").replace(/</g, "#lt;").replace(/>/g, "#gt;");

/**
 * The plan as a mermaid `graph TD`: one node per task labelled with its id and worker, an edge from every
 * dependency to its dependent, dead and skipped tasks styled. Node ids are positional (`t0`, `t1`, …), so no
 * task id can collide with mermaid syntax.
 */
export function planDiagram(rows: readonly Pick<TaskSummary, "id" | "worker" | "dependsOn" | "status">[]): string {
  const key = new Map(rows.map((row, i) => [row.id, `t${i}`]));
  const nodes = rows.map(
    (row) => `  ${key.get(row.id)}["${mermaidText(row.id)}<br/><i>${mermaidText(row.worker)}</i>"]`,
  );
  const edges = rows.flatMap((row) =>
    row.dependsOn.filter((dep) => key.has(dep)).map((dep) => `  ${key.get(dep)} --> ${key.get(row.id)}`),
  );
  const styled = (status: TaskStatus) => rows.filter((row) => row.status === status).map((row) => key.get(row.id)!);
  const dead = styled("dead");
  const skipped = styled("skipped");
  return [
    "graph TD",
    ...nodes,
    ...edges,
    ...(dead.length
      ? ["  classDef dead fill:#fde2e2,stroke:#c0392b,color:#7b241c", `  class ${dead.join(",")} dead`]
      : []),
    ...(skipped.length
      ? [
          "  classDef skipped fill:#eeeeee,stroke:#999999,color:#666666,stroke-dasharray:4 3",
          `  class ${skipped.join(",")} skipped`,
        ]
      : []),
  ].join("\n");
}

/** A duration for people: `850 ms`, `1.2 s`, `2 min 5 s`. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const seconds = Math.round(ms / 1000);
  return `${Math.floor(seconds / 60)} min ${seconds % 60} s`;
}

const cell = (text: string) => text.replace(/\|/g, "\\|").replace(/\r?\n/g, " ");

/** What a Markdown run report is built from: the run's summary, its goal and where its log is. */
export interface ReportInput
  extends Pick<
    RunSummary,
    "threadId" | "status" | "stopReason" | "answer" | "tasks" | "deadLetters" | "usage" | "notes" | "planSource"
  > {
  goal: string;
  logFile?: string;
}

/** The Markdown run report: answer, plan diagram, task table (timings, attempts, tokens), dead letters and notes. */
export function markdownReport(input: ReportInput): string {
  const rows = input.tasks;
  const count = countStatuses(rows);
  const table = [
    "| Task | Worker | Status | Attempts | Duration | Tokens |",
    "| --- | --- | --- | ---: | ---: | ---: |",
    ...rows.map(
      (row) =>
        `| \`${row.id}\` | ${row.worker} | ${row.status}${row.origin === "follow-up" ? " (follow-up)" : ""} | ${row.attempts} | ` +
        `${row.startedAt ? formatDuration(row.durationMs) : "–"} | ${row.tokens} |`,
    ),
  ];
  const letters = input.deadLetters.map(
    (letter) =>
      `- **${letter.taskId}** (${cell(letter.task.title)}, ${letter.task.worker}) after ${letter.attempts.length} attempt(s): ` +
      `${letter.error.kind}: ${cell(letter.error.message)}`,
  );
  return (
    [
      `# Run report: ${cell(input.goal)}`,
      [
        `- Thread: \`${input.threadId}\``,
        `- Status: ${input.status}; ${count.done}/${rows.length} tasks done, ${count.dead} dead, ${count.skipped} skipped`,
        ...(input.stopReason ? [`- Stopped early: ${cell(input.stopReason)}`] : []),
        ...(input.planSource ? [`- Plan source: ${input.planSource}`] : []),
        `- Usage: ${input.usage.totalTokens} tokens in ${input.usage.modelCalls} model calls`,
        ...(input.logFile ? [`- Run log: \`${input.logFile}\``] : []),
      ].join("\n"),
      "## Answer",
      input.answer.trim() ? input.answer.trim().replace(/^(#+) /gm, "##$1 ") : "_No answer was written._",
      "## Plan",
      "```mermaid\n" + planDiagram(rows) + "\n```",
      "## Tasks",
      table.join("\n"),
      "## Dead letters",
      letters.length ? letters.join("\n") : "None.",
      ...(input.notes.length ? ["## Notes", input.notes.map((note) => `- ${note}`).join("\n")] : []),
    ].join("\n\n") + "\n"
  );
}
