import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, isAbsolute, relative, resolve } from "node:path";
import type { RunSummary, TaskSummary } from "../app/run.js";
import { type CliOptions, settingsFlags } from "./args.js";
import { partialLines, planOutline, reviewListing, runTally, timingTable } from "./event-lines.js";
import { EXIT } from "./exit-codes.js";
import type { CliIO } from "./io.js";
import { markdownReport } from "./report.js";
import type { RunLog } from "./run-log.js";

/** A shell word as typed: quoted when it holds anything but plain characters. */
const shellWord = (word: string) => (/^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`);

/** The flags of a run that a command going on with its thread needs again. */
export type ThreadFlags = Partial<
  Pick<CliOptions, "checkpointer" | "example" | "workersFile" | "taskQueue" | "settings">
>;

/**
 * The command that goes on with a run's thread (`action`: `--resume`, `--redrive all`, …), carrying the flags the
 * run was started with that the thread needs again: its checkpointer, team, task queue and settings.
 */
export function continueCommand(options: ThreadFlags, threadId: string, ...action: string[]): string {
  const words = [
    "--thread",
    threadId,
    ...action,
    ...(options.checkpointer ? ["--checkpointer", options.checkpointer] : []),
    ...(options.example ? ["--example", options.example] : []),
    ...(options.workersFile ? ["--workers", options.workersFile] : []),
    ...(options.taskQueue ? ["--task-queue", options.taskQueue] : []),
    ...settingsFlags(options.settings ?? {}),
  ];
  return `npm start -- ${words.map(shellWord).join(" ")}`;
}

/** The end of a run: result lines in the log, the report file, then the answer (and the final view) per mode. */
export function finish(
  io: CliIO,
  options: CliOptions,
  summary: RunSummary,
  goal: string,
  log: RunLog | undefined,
): number {
  log?.finish(summary, goal);
  let code: number =
    summary.status === "interrupted" ? EXIT.review : summary.status === "partial" ? EXIT.partial : EXIT.done;
  const reportFile = options.report ? writeReport(io, options.report, { ...summary, goal }, log) : undefined;
  if (options.report && !reportFile) code = EXIT.failed;
  if (options.json) {
    const extra = { ...(log ? { logFile: log.path } : {}), ...(reportFile ? { reportFile } : {}) };
    io.stdout(`${JSON.stringify({ ...summary, ...extra }, null, 2)}\n`);
    return code;
  }
  if (summary.status !== "interrupted") io.stderr(finalView(summary.tasks));
  io.stdout(render(summary, options));
  if (summary.status === "partial") io.stderr(partialText(summary, options));
  if (log) io.stderr(`Run log: ${shown(log.path, io)}\n`);
  if (reportFile) io.stderr(`Report:  ${shown(reportFile, io)}\n`);
  return code;
}

/** Writes the Markdown report; its path, or undefined when it could not be written (said on stderr). */
function writeReport(
  io: CliIO,
  file: string,
  run: RunSummary & { goal: string },
  log: RunLog | undefined,
): string | undefined {
  try {
    const path = resolve(io.cwd ?? process.cwd(), file);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, markdownReport({ ...run, ...(log ? { logFile: log.path } : {}) }));
    return path;
  } catch (error) {
    io.stderr(`Cannot write the report ${file}: ${(error as Error).message}\n`);
    return undefined;
  }
}

/** What a partial run prints on stderr: the tasks without a result, why dispatching stopped, how to re-drive. */
function partialText(summary: RunSummary, options: CliOptions): string {
  const redrive = summary.deadLetters.length
    ? [`Re-drive the dead letters with: ${continueCommand(options, summary.threadId, "--redrive", "all")}`]
    : [];
  return `\n${[...partialLines(summary), ...redrive].join("\n")}\n`;
}

/** The final view under the live view or the event lines: the plan as a dependency diagram and the timing table. */
export function finalView(rows: readonly TaskSummary[]): string {
  return rows.length ? `\n${planOutline(rows)}\n\n${timingTable(rows)}\n\n` : "";
}

/** A path as the user would type it: relative to the working directory when inside it. */
export function shown(path: string, io: CliIO): string {
  const rel = relative(io.cwd ?? process.cwd(), path);
  return rel && !rel.startsWith("..") && !isAbsolute(rel) ? rel : path;
}

/** The human-readable end of a run; the commands it prints carry the flags of `options`. */
export function render(summary: RunSummary, options: ThreadFlags = {}): string {
  const next = (...action: string[]) => continueCommand(options, summary.threadId, ...action);
  if (summary.status === "interrupted" && !summary.review) {
    return [
      `A worker waits for an answer: ${JSON.stringify(summary.interrupt)}`,
      `Answer it from code: orchestrator.resume("${summary.threadId}", answer)`,
      "",
    ].join("\n");
  }
  if (summary.status === "interrupted") {
    return [
      ...reviewListing(summary.review!, "Planning failed; write the plan yourself:"),
      "",
      `Approve:  ${next("--approve")}`,
      `Edit:     ${next("--resume", "--plan", "plan.json")}`,
      `Reject:   ${next("--reject", "why")}`,
      "",
    ].join("\n");
  }
  return [summary.answer, "", runTally({ ...summary, deadLetters: summary.deadLetters.length }), ""].join("\n");
}
