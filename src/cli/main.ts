import { randomUUID } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, relative, resolve, isAbsolute } from "node:path";
import picocolors from "picocolors";
import {
  CheckpointerConnectionError,
  connectionError,
  DEFAULT_CHECKPOINTER,
  openCheckpointer,
  type CheckpointerHandle,
} from "../persistence/checkpointer.js";
import { processLock, type Release, ThreadBusyError } from "../persistence/thread-lock.js";
import { parseCli, usage, usageErrorText, type CliOptions } from "./args.js";
import { readEnvironment } from "../env.js";
import {
  ConfigError,
  ModelNotConfiguredError,
  OrchestratorError,
  PlanValidationError,
  RunCancelledError,
  RunStoppedError,
} from "../errors.js";
import { EXAMPLES } from "../examples/index.js";
import { isEntryPoint, processIO, type TextIO } from "./io.js";
import { LiveView } from "./live-view.js";
import { LINGER_MS, startWebView, type WebView } from "./web-view.js";
import { viewStateOf } from "../web/run-view.js";
import { prepareModels } from "../deps.js";
import { openAIProvider, type ModelProvider } from "../models.js";
import { catalogRules, fatalPlanIssues } from "../plan/validate.js";
import { PlanInputSchema, type TaskRecord } from "../schemas.js";
import { parseSettings } from "../settings.js";
import { formatEvent, partialLines, planOutline, reviewListing, runTally, timingTable } from "./event-lines.js";
import type { WorkerRegistry } from "../workers/registry.js";
import { markdownReport } from "./report.js";
import { RunLog, runLogPath } from "./run-log.js";
import type { RunSummary, TaskSummary } from "../app/run.js";
import type { OrchestratorEvent } from "../events.js";
import { createOrchestrator, type ReviewDecision } from "../index.js";
import { defaultRegistry } from "../workers/defaults.js";
import type { QueueOptions } from "../queue/connection.js";
import { followRun, submitRun } from "../queue/runs.js";
import { EXIT } from "./exit-codes.js";
import { createTaskQueue, type TaskQueue } from "../queue/tasks.js";
import { noTaskWorkerWarning } from "../queue/status.js";

/** Where the CLI writes: injectable for tests. */
export interface CliIO extends TextIO {
  /** Overrides the model provider (tests). */
  models?: ModelProvider;
  /** An interactive terminal: draw the live view on stderr instead of one line per event. */
  isTTY?: boolean;
  /** Terminal width and height for the live view (read at every frame). */
  columns?: number;
  rows?: number;
  /** Colours in the live view (default: what picocolors detects). */
  color?: boolean;
  /** Base directory of run logs when the checkpointer has no file (default: the working directory). */
  cwd?: string;
  /** Where SIGINT/SIGTERM come from (default: the process); none in tests that do not send them. */
  signals?: Pick<NodeJS.Process, "on" | "off">;
  /** Exits at once (a third signal, when cancelling did not end the process). */
  exit?: (code: number) => never;
}

const defaultIO: CliIO = {
  ...processIO(),
  // The live view redraws stderr while the answer goes to stdout: both must be the terminal.
  isTTY: Boolean(process.stdout.isTTY && process.stderr.isTTY),
  get columns() {
    return process.stderr.columns;
  },
  get rows() {
    return process.stderr.rows;
  },
  signals: process,
  exit: (code) => process.exit(code),
};

/** Runs the CLI; returns the exit code. */
export async function main(argv: readonly string[], io: CliIO = defaultIO): Promise<number> {
  let options: CliOptions;
  try {
    options = parseCli(argv, Object.keys(EXAMPLES));
  } catch (error) {
    io.stderr(usageErrorText(error));
    return EXIT.usage;
  }
  if (options.help) {
    io.stdout(`${usage(Object.keys(EXAMPLES))}\n`);
    return EXIT.done;
  }
  const env = readEnvironment(io.env);
  const models = io.models ?? openAIProvider(env);
  const example = options.example ? EXAMPLES[options.example] : undefined;
  const registry = options.workers ?? example?.registry() ?? defaultRegistry();
  const goal = options.goal ?? example?.goal;
  // An example runs its bundled plan when no model is configured (a provider's model counts once prepared, below).
  const planFor = () => options.plan ?? (example && !models.configured ? example.plan : undefined);
  const resume = options.resume || options.approve || options.reject !== undefined || options.redrive !== undefined;
  if (resume && !options.threadId) {
    io.stderr("Answering a review or resuming needs --thread <id>.\n");
    return EXIT.usage;
  }
  const queueUrl = options.queue ?? env.queueUrl;
  if (options.queue !== undefined || options.detach || options.wait !== undefined) {
    if (!queueUrl || resume) {
      io.stderr(
        `${queueUrl ? "--queue runs a new goal or follows one (--wait); resume or answer a review without it." : "--detach and --wait need --queue redis://host:port (or ORCHESTRATOR_QUEUE)."}\n`,
      );
      return EXIT.usage;
    }
    // The executor brings the model: the submitter needs none.
    const plan = planFor();
    const problem = options.wait ? undefined : checkStart(goal, plan, { configured: true }, registry, options);
    if (problem) {
      io.stderr(`${problem}\n`);
      return EXIT.usage;
    }
    return queued(io, options, { url: queueUrl }, { goal: goal!, threadId: options.threadId, plan });
  }
  try {
    await prepareModels({ registry, models }, parseSettings(options.settings));
  } catch (error) {
    io.stderr(`${(error as Error).message}\n`);
    return EXIT.usage;
  }
  const plan = planFor();
  const problem = resume ? undefined : checkStart(goal, plan, models, registry, options);
  if (problem) {
    io.stderr(`${problem}\n`);
    return EXIT.usage;
  }
  const threadId = options.threadId ?? randomUUID();
  let handle: CheckpointerHandle;
  const checkpointer = options.checkpointer ?? env.checkpointer ?? env.postgresUrl ?? DEFAULT_CHECKPOINTER;
  try {
    handle = await openCheckpointer(checkpointer);
  } catch (error) {
    io.stderr(`${(error as Error).message}\n`);
    return error instanceof CheckpointerConnectionError ? failed(io, options, threadId, error) : EXIT.usage;
  }
  // The thread is held for the whole command, and taken before anything is written for it (run log, live
  // view): a second command on a busy thread leaves the run that holds it untouched.
  let release: Release;
  try {
    release = await handle.lock.acquire(threadId);
  } catch (error) {
    await handle.close();
    if (error instanceof ThreadBusyError) {
      io.stderr(`${error.message}\n`);
      return EXIT.busy;
    }
    const lost = connectionError(error) as Error;
    io.stderr(`${lost.message}\n`);
    return failed(io, options, threadId, lost);
  }
  const command = options.redrive ? "redrive" : resume ? "resume" : "run";
  const log = openRunLog(io, runLogPath(handle, threadId, io.cwd), {
    threadId,
    command,
    checkpointer: handle.kind,
    ...(resume ? {} : { goal: goal! }),
  });
  let live: LiveView | undefined;
  let tasks: TaskQueue | undefined;
  let web: WebView | undefined;
  let runOver = false;
  const lingering = new AbortController();
  const drain = new AbortController();
  const cancel = new AbortController();
  const stopListening = onShutdown(io, {
    drain: () => {
      if (web && runOver) return lingering.abort();
      live?.stop();
      io.stderr(`\nStopping after the current step so that finished work is checkpointed… (again to cancel it)\n`);
      drain.abort();
    },
    cancel: () => {
      io.stderr(
        "Cancelling: the model calls in flight are aborted and their steps run again on resume… (again to exit at once)\n",
      );
      cancel.abort();
    },
  });
  try {
    // The checkpointer's lock is held above; within this process a lock of its own is enough.
    tasks = options.taskQueue ? await createTaskQueue({ url: options.taskQueue }) : undefined;
    if (options.taskQueue) io.stderr(await noTaskWorkerWarning(options.taskQueue));
    const orchestrator = await createOrchestrator({
      checkpointer: handle.saver,
      store: handle.store,
      lock: processLock(),
      workers: registry,
      models,
      settings: options.settings,
      taskRunner: tasks?.runner,
    });
    if (options.uiPort !== undefined) {
      web = await startWebView({
        threadId,
        goal: goal ?? "",
        port: options.uiPort,
        state: async () => viewStateOf(await orchestrator.graph.getState({ configurable: { thread_id: threadId } })),
        // The first signal drains a re-drive from the page (during the linger, as it ends the linger), the second cancels it.
        redrive: (taskIds) =>
          orchestrator
            .redrive(threadId, taskIds, {
              onEvent: (event) => (log?.event(event), web?.onEvent(event)),
              drain: AbortSignal.any([drain.signal, lingering.signal]),
              signal: cancel.signal,
            })
            .catch((error: unknown) => {
              const ended = error instanceof RunStoppedError || error instanceof RunCancelledError ? "ended" : "failed";
              io.stderr(`Re-drive from the web view ${ended}: ${(error as Error).message}\n`);
            }),
      });
      io.stderr(`Web view: ${web.url}\n`);
    }
    if (!options.json && io.isTTY) {
      const before = resume ? await orchestrator.state(threadId) : undefined;
      live = startLiveView(io, goal ?? before?.goal ?? `thread ${threadId}`, Object.values(before?.tasks ?? {}));
    }
    const onEvent = (event: OrchestratorEvent) => {
      log?.event(event);
      web?.onEvent(event);
      if (live) live.handle(event);
      else if (!options.json) io.stderr(`${formatEvent(event)}\n`);
    };
    const request = { onEvent, drain: drain.signal, signal: cancel.signal };
    const summary = options.redrive
      ? await orchestrator.redrive(threadId, options.redrive, request)
      : resume
        ? await orchestrator.resume(threadId, reviewAnswer(options), request)
        : await orchestrator.run(goal!, { ...request, threadId, ...(plan ? { plan } : {}) });
    live?.stop();
    await web?.settle();
    const code = finish(io, options, summary, (await orchestrator.state(threadId)).goal, log);
    if (web) {
      runOver = true;
      io.stderr(`Web view: ${web.url} stays up for ${LINGER_MS / 60_000} minutes (Ctrl-C to quit).\n`);
      await web.linger(LINGER_MS, lingering.signal);
    }
    return code;
  } catch (error) {
    live?.stop();
    log?.fail(error);
    if (error instanceof ConfigError || error instanceof PlanValidationError) {
      io.stderr(`${error.message}\n`);
      return EXIT.usage;
    }
    if (error instanceof RunStoppedError || error instanceof RunCancelledError) {
      const what = error instanceof RunStoppedError ? "Stopped" : "Cancelled";
      io.stderr(`${what}. ${error.message}\nResume with: npm start -- --resume --thread ${threadId}\n`);
      return EXIT.stopped;
    }
    const failure = connectionError(error);
    const known = failure instanceof OrchestratorError;
    io.stderr(`Run failed: ${known ? failure.message : ((error as Error).stack ?? String(error))}\n`);
    io.stderr(`The thread is checkpointed; resume with: npm start -- --resume --thread ${threadId}\n`);
    if (log) io.stderr(`Run log: ${shown(log.path, io)}\n`);
    return failed(io, options, threadId, failure);
  } finally {
    stopListening();
    await web?.close();
    log?.close();
    await tasks?.close();
    await release().catch((error: unknown) =>
      io.stderr(`Could not release thread "${threadId}": ${(error as Error).message}\n`),
    );
    await handle.close();
  }
}

/**
 * Graceful shutdown: the first SIGINT/SIGTERM drains the run (the current step finishes and is checkpointed);
 * the second cancels it (model calls in flight are aborted, the run ends and the process exits by itself, its
 * output and run log complete); a third exits at once. Returns a function that stops listening.
 */
function onShutdown(io: CliIO, steps: { drain: () => void; cancel: () => void }): () => void {
  if (!io.signals) return () => {};
  let received = 0;
  const handler = () => {
    received++;
    if (received === 1) steps.drain();
    else if (received === 2) steps.cancel();
    else io.exit?.(EXIT.stopped);
  };
  io.signals.on("SIGINT", handler);
  io.signals.on("SIGTERM", handler);
  return () => {
    io.signals?.off("SIGINT", handler);
    io.signals?.off("SIGTERM", handler);
  };
}

/** Starts the live view on stderr, showing the tasks a resumed thread already has. */
function startLiveView(io: CliIO, title: string, tasks: TaskRecord[]): LiveView {
  const terminal = {
    write: io.stderr,
    get columns() {
      return io.columns;
    },
    get rows() {
      return io.rows;
    },
  };
  const live = new LiveView(terminal, { title, color: io.color ?? picocolors.isColorSupported });
  live.progress.seed(tasks);
  live.start();
  return live;
}

/** Opens the thread's run log; a log that cannot be written is reported and the run goes on without it. */
function openRunLog(io: CliIO, path: string, context: Parameters<typeof RunLog.open>[1]): RunLog | undefined {
  try {
    return RunLog.open(path, context);
  } catch (error) {
    io.stderr(
      `Cannot write the run log ${path} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}); the run goes on without it.\n`,
    );
    return undefined;
  }
}

/** A run that ended without a summary: exit code 1, and with `--json` still one result object on stdout. */
function failed(io: CliIO, options: CliOptions, threadId: string, error: unknown): number {
  if (options.json) {
    const message = (error as Error)?.message ?? String(error);
    io.stdout(`${JSON.stringify({ threadId, status: "failed", error: message }, null, 2)}\n`);
  }
  return EXIT.failed;
}

/** The end of a run: result lines in the log, the report file, then the answer (and the final view) per mode. */
function finish(io: CliIO, options: CliOptions, summary: RunSummary, goal: string, log: RunLog | undefined): number {
  log?.finish(summary, goal);
  let reportFile: string | undefined;
  let code: number =
    summary.status === "interrupted" ? EXIT.review : summary.status === "partial" ? EXIT.partial : EXIT.done;
  if (options.report) {
    try {
      reportFile = resolve(io.cwd ?? process.cwd(), options.report);
      mkdirSync(dirname(reportFile), { recursive: true });
      writeFileSync(reportFile, markdownReport({ ...summary, goal, ...(log ? { logFile: log.path } : {}) }));
    } catch (error) {
      io.stderr(`Cannot write the report ${options.report}: ${(error as Error).message}\n`);
      reportFile = undefined;
      code = EXIT.failed;
    }
  }
  if (options.json) {
    io.stdout(
      `${JSON.stringify({ ...summary, ...(log ? { logFile: log.path } : {}), ...(reportFile ? { reportFile } : {}) }, null, 2)}\n`,
    );
    return code;
  }
  if (summary.status !== "interrupted") io.stderr(finalView(summary.tasks));
  io.stdout(render(summary));
  if (summary.status === "partial") io.stderr(partialText(summary));
  if (log) io.stderr(`Run log: ${shown(log.path, io)}\n`);
  if (reportFile) io.stderr(`Report:  ${shown(reportFile, io)}\n`);
  return code;
}

/** What a partial run prints on stderr: the tasks without a result, why dispatching stopped, how to re-drive. */
function partialText(summary: RunSummary): string {
  const redrive = summary.deadLetters.length
    ? [`Re-drive the dead letters with: npm start -- --thread ${summary.threadId} --redrive all`]
    : [];
  return `\n${[...partialLines(summary), ...redrive].join("\n")}\n`;
}

/** The final view under the live view or the event lines: the plan as a dependency diagram and the timing table. */
export function finalView(rows: readonly TaskSummary[]): string {
  return rows.length ? `\n${planOutline(rows)}\n\n${timingTable(rows)}\n\n` : "";
}

/** A path as the user would type it: relative to the working directory when inside it. */
function shown(path: string, io: CliIO): string {
  const rel = relative(io.cwd ?? process.cwd(), path);
  return rel && !rel.startsWith("..") && !isAbsolute(rel) ? rel : path;
}

function checkStart(
  goal: string | undefined,
  plan: CliOptions["plan"],
  models: Pick<ModelProvider, "configured">,
  registry: WorkerRegistry,
  options: CliOptions,
): string | undefined {
  if (!goal) return 'No goal given. Usage: orchestrator "<goal>" [options] (or --example <name>, --help).';
  if (!models.configured && !plan) return new ModelNotConfiguredError("planner").message;
  if (!plan) return undefined;
  const issues = fatalPlanIssues(PlanInputSchema.parse(plan).tasks, {
    ...catalogRules(registry),
    maxTasks: parseSettings(options.settings).maxTasks,
  });
  if (issues.length)
    return new PlanValidationError(issues, options.planFile ? `plan file ${options.planFile}` : "plan").message;
  return undefined;
}

/**
 * A run on the job queue: submits it (`--detach` prints its thread id), or follows a queued run (`--wait`, or right
 * after submitting) through its events to the same end a local run prints.
 */
async function queued(
  io: CliIO,
  options: CliOptions,
  queue: QueueOptions,
  run: { goal: string; threadId?: string; plan?: CliOptions["plan"] },
): Promise<number> {
  let threadId = options.wait;
  try {
    if (!threadId) {
      ({ threadId } = await submitRun(queue, run.goal, {
        threadId: run.threadId,
        plan: run.plan,
        settings: options.settings,
      }));
      if (options.detach) {
        io.stdout(options.json ? `${JSON.stringify({ threadId })}\n` : `${threadId}\n`);
        return EXIT.done;
      }
      if (!options.json) io.stderr(`Queued on thread ${threadId}; waiting for an executor…\n`);
    }
    const onEvent = (event: OrchestratorEvent) => !options.json && io.stderr(`${formatEvent(event)}\n`);
    const { summary, goal } = await followRun(queue, threadId, { onEvent });
    return finish(io, options, summary, goal, undefined);
  } catch (error) {
    io.stderr(`${(error as Error).message}\n`);
    if (error instanceof ThreadBusyError) return EXIT.busy;
    return error instanceof ConfigError ? EXIT.usage : EXIT.failed;
  }
}

function reviewAnswer(options: CliOptions): ReviewDecision | undefined {
  if (options.approve) return { action: "approve" };
  if (options.reject !== undefined) return { action: "reject", reason: options.reject };
  if (options.plan) return { action: "edit", plan: options.plan };
  return undefined;
}

/** The human-readable end of a run. */
export function render(summary: RunSummary): string {
  if (summary.status === "interrupted" && !summary.review) {
    return [
      `A worker waits for an answer: ${JSON.stringify(summary.interrupt)}`,
      `Answer it from code: orchestrator.resume("${summary.threadId}", answer)`,
      "",
    ].join("\n");
  }
  if (summary.status === "interrupted") {
    const review = summary.review!;
    return [
      ...reviewListing(review, "Planning failed; write the plan yourself:"),
      "",
      `Approve:  npm start -- --thread ${summary.threadId} --approve`,
      `Edit:     npm start -- --thread ${summary.threadId} --resume --plan plan.json`,
      `Reject:   npm start -- --thread ${summary.threadId} --reject "why"`,
      "",
    ].join("\n");
  }
  return [summary.answer, "", runTally({ ...summary, deadLetters: summary.deadLetters.length }), ""].join("\n");
}

if (isEntryPoint(import.meta.url)) {
  process.exitCode = await main(process.argv.slice(2));
}
