import { randomUUID } from "node:crypto";
import picocolors from "picocolors";
import { prepareModels } from "../deps.js";
import { DEFAULT_CHECKPOINTER } from "../persistence/checkpointer.js";
import { processLock } from "../persistence/thread-lock.js";
import {
  CheckpointerConnectionError,
  type CheckpointerHandle,
  ConfigError,
  createOrchestrator,
  openCheckpointer,
  type Orchestrator,
  type OrchestratorEvent,
  OrchestratorError,
  PlanValidationError,
  type ReviewDecision,
  type RunSummary,
  RunCancelledError,
  RunStoppedError,
  ThreadBusyError,
  withAgentCards,
} from "../index.js";
import { connectionError, redact } from "../persistence/checkpointer.js";
import type { Release } from "../persistence/thread-lock.js";
import { createTaskQueue, type TaskQueue } from "../queue/index.js";
import { noTaskWorkerWarning } from "../queue/status.js";
import type { PlanInput, TaskRecord } from "../schemas.js";
import { viewStateOf } from "../web/run-view.js";
import type { CliOptions } from "./args.js";
import { type CliCommand, planOf, startProblem } from "./command.js";
import { formatEvent } from "./event-lines.js";
import { EXIT } from "./exit-codes.js";
import { continueCommand, finish, shown } from "./finish.js";
import type { CliIO } from "./io.js";
import { LiveView } from "./live-view.js";
import { RunLog, runLogPath } from "./run-log.js";
import { onShutdown, type Shutdown } from "./shutdown.js";
import { plainTextIO } from "./terminal-text.js";
import { LINGER_MS, startWebView, type WebView } from "./web-view.js";

/** A thread this command holds: its checkpointer and the lock taken on it. */
interface HeldThread {
  threadId: string;
  handle: CheckpointerHandle;
  release: Release;
}

/** What a run on a held thread shares between its steps. */
interface LocalRun extends HeldThread {
  io: CliIO;
  /** `io` for plain text: no terminal escapes from the run reach the terminal. */
  plain: CliIO;
  command: CliCommand;
  plan?: PlanInput;
  log?: RunLog;
  live?: LiveView;
  web?: WebView;
  /** The first signal drains, the second cancels; `linger` ends the web view's linger after the run. */
  drain: AbortController;
  cancel: AbortController;
  linger: AbortController;
  /** Set once the run ended: a signal then ends the linger. */
  code?: number;
  /** Listens for signals until the command returns. */
  shutdown?: Shutdown;
}

/** A run in this process: a new goal, a resume, a review answer or a re-drive, on a thread held for the whole command. */
export async function runLocal(io: CliIO, given: CliCommand): Promise<number> {
  const plain = plainTextIO(io);
  // A2A workers are described by their agent cards, as the planner should see them.
  const registry = await withAgentCards(given.registry, (worker, error) =>
    plain.stderr(
      `Warning: the agent card of A2A worker "${worker.name}" could not be read (${(error as Error).message}); ` +
        "the planner sees the workers file's description only.\n",
    ),
  );
  const command = { ...given, registry };
  const { options, models, settings, resume } = command;
  try {
    await prepareModels({ registry, models }, settings);
  } catch (error) {
    plain.stderr(`${(error as Error).message}\n`);
    return EXIT.usage;
  }
  const plan = planOf(command);
  const problem = resume ? undefined : startProblem(command, plan, models);
  if (problem) {
    plain.stderr(`${problem}\n`);
    return EXIT.usage;
  }
  const held = await holdThread(plain, command, options.threadId ?? randomUUID());
  if (typeof held === "number") return held;
  const run: LocalRun = {
    ...held,
    io,
    plain,
    command,
    ...(plan ? { plan } : {}),
    drain: new AbortController(),
    cancel: new AbortController(),
    linger: new AbortController(),
  };
  run.shutdown = listen(run);
  try {
    return await runOnThread(run);
  } finally {
    await held
      .release()
      .catch((error: unknown) =>
        plain.stderr(`Could not release thread "${held.threadId}": ${(error as Error).message}\n`),
      );
    await held.handle.close();
    run.shutdown.stop();
  }
}

/**
 * Opens the checkpointer and takes the thread, before anything is written for it (run log, live view): a second
 * command on a busy thread leaves the run that holds it untouched. Returns the exit code when it cannot.
 */
async function holdThread(io: CliIO, command: CliCommand, threadId: string): Promise<HeldThread | number> {
  const { options, env } = command;
  const spec = options.checkpointer ?? env.checkpointer ?? env.postgresUrl ?? DEFAULT_CHECKPOINTER;
  if (!options.checkpointer && !env.checkpointer && env.postgresUrl)
    io.stderr(
      `Checkpointer: POSTGRES_URL from the environment (${redact(env.postgresUrl)}); ` +
        "pass --checkpointer or set ORCHESTRATOR_CHECKPOINTER to choose another.\n",
    );
  let handle: CheckpointerHandle;
  try {
    handle = await openCheckpointer(spec);
  } catch (error) {
    io.stderr(`${(error as Error).message}\n`);
    return error instanceof CheckpointerConnectionError ? failedJson(io, command, threadId, error) : EXIT.usage;
  }
  try {
    return { threadId, handle, release: await handle.lock.acquire(threadId) };
  } catch (error) {
    await handle.close();
    if (error instanceof ThreadBusyError) {
      io.stderr(`${error.message}\n`);
      return EXIT.busy;
    }
    const lost = connectionError(error) as Error;
    io.stderr(`${lost.message}\n`);
    return failedJson(io, command, threadId, lost);
  }
}

/** The run itself, with its log, views and signals; returns its exit code. */
async function runOnThread(run: LocalRun): Promise<number> {
  const { command, threadId, handle, plain } = run;
  run.log = openRunLog(plain, runLogPath(handle, threadId, run.io.cwd), {
    threadId,
    command: command.options.redrive ? "redrive" : command.resume ? "resume" : "run",
    checkpointer: handle.kind,
    ...(command.resume ? {} : { goal: command.goal! }),
  });
  let tasks: TaskQueue | undefined;
  try {
    const { options } = command;
    // The checkpointer's lock is held: within this process a lock of its own is enough.
    tasks = options.taskQueue ? await createTaskQueue({ url: options.taskQueue }) : undefined;
    if (options.taskQueue) plain.stderr(await noTaskWorkerWarning(options.taskQueue));
    const orchestrator = await createOrchestrator({
      checkpointer: handle.saver,
      store: handle.store,
      lock: processLock(),
      workers: command.registry,
      models: command.models,
      settings: command.settings,
      taskRunner: tasks?.runner,
    });
    await startViews(run, orchestrator);
    const summary = await start(run, orchestrator);
    run.live?.stop();
    await run.web?.settle();
    return await end(run, summary, (await orchestrator.state(threadId)).goal);
  } catch (error) {
    return failed(run, error);
  } finally {
    await run.web?.close();
    run.log?.close();
    await tasks?.close();
  }
}

/** The command's signals: drain, then cancel, the run (or a re-drive from the web view); after it, end the linger. */
function listen(run: LocalRun): Shutdown {
  return onShutdown(run.io, {
    drain: () => {
      if (run.code !== undefined) return run.linger.abort();
      run.live?.stop();
      run.plain.stderr(
        "\nStopping after the current step so that finished work is checkpointed… (again to cancel it)\n",
      );
      run.drain.abort();
    },
    cancel: () => {
      // After the run, a re-drive from the page says itself how it ended.
      if (run.code !== undefined) return run.cancel.abort();
      run.plain.stderr(
        "Cancelling: the model calls in flight are aborted and their steps run again on resume… (again to exit at once)\n",
      );
      run.cancel.abort();
    },
  });
}

/** Starts the web view (`--ui`) and, on a terminal without `--json`, the live view. */
async function startViews(run: LocalRun, orchestrator: Orchestrator): Promise<void> {
  const { command, threadId, io, plain } = run;
  const { options } = command;
  if (options.uiPort !== undefined) {
    const onEvent = (event: OrchestratorEvent) => (run.log?.event(event), run.web?.onEvent(event));
    run.web = await startWebView({
      threadId,
      goal: command.goal ?? "",
      port: options.uiPort,
      state: async () => viewStateOf(await orchestrator.graph.getState({ configurable: { thread_id: threadId } })),
      // The first signal drains a re-drive from the page (during the linger, as it ends the linger), the second cancels it.
      redrive: (taskIds) =>
        orchestrator
          .redrive(threadId, taskIds, {
            onEvent,
            drain: AbortSignal.any([run.drain.signal, run.linger.signal]),
            signal: run.cancel.signal,
          })
          .catch((error: unknown) => {
            const ended = error instanceof RunStoppedError || error instanceof RunCancelledError ? "ended" : "failed";
            plain.stderr(`Re-drive from the web view ${ended}: ${(error as Error).message}\n`);
          }),
    });
    plain.stderr(`Web view: ${run.web.url}\n`);
  }
  if (!options.json && io.isTTY) {
    const before = command.resume ? await orchestrator.state(threadId) : undefined;
    const title = command.goal ?? before?.goal ?? `thread ${threadId}`;
    run.live = startLiveView(io, title, Object.values(before?.tasks ?? {}));
  }
}

/** Runs the goal, resumes the thread, answers its review or re-drives its dead letters. */
function start(run: LocalRun, orchestrator: Orchestrator): Promise<RunSummary> {
  const { command, threadId, plan } = run;
  const { options } = command;
  const onEvent = (event: OrchestratorEvent) => {
    run.log?.event(event);
    run.web?.onEvent(event);
    if (run.live) run.live.handle(event);
    else if (!options.json) run.plain.stderr(`${formatEvent(event)}\n`);
  };
  const request = { onEvent, drain: run.drain.signal, signal: run.cancel.signal };
  if (options.redrive) return orchestrator.redrive(threadId, options.redrive, request);
  if (command.resume) return orchestrator.resume(threadId, reviewAnswer(options), request);
  return orchestrator.run(command.goal!, { ...request, threadId, ...(plan ? { plan } : {}) });
}

/** Prints the end of the run, then keeps the web view up for its linger; the run's code, whatever signal ends that. */
async function end(run: LocalRun, summary: RunSummary, goal: string): Promise<number> {
  const code = finish(run.plain, run.command.options, summary, goal, run.log);
  run.code = code;
  run.shutdown?.ended(code);
  if (run.web) {
    run.plain.stderr(`Web view: ${run.web.url} stays up for ${LINGER_MS / 60_000} minutes (Ctrl-C to quit).\n`);
    await run.web.linger(LINGER_MS, run.linger.signal);
  }
  return code;
}

/** A run that threw: what to tell the user, and the exit code. */
function failed(run: LocalRun, error: unknown): number {
  const { plain, threadId, log } = run;
  run.live?.stop();
  log?.fail(error);
  if (error instanceof ConfigError || error instanceof PlanValidationError) {
    plain.stderr(`${error.message}\n`);
    return EXIT.usage;
  }
  const resume = continueCommand(run.command.options, threadId, "--resume");
  if (error instanceof RunStoppedError || error instanceof RunCancelledError) {
    const what = error instanceof RunStoppedError ? "Stopped" : "Cancelled";
    plain.stderr(`${what}. ${error.message}\nResume with: ${resume}\n`);
    return EXIT.stopped;
  }
  const failure = connectionError(error);
  const known = failure instanceof OrchestratorError;
  plain.stderr(`Run failed: ${known ? failure.message : ((error as Error).stack ?? String(error))}\n`);
  plain.stderr(`The thread is checkpointed; resume with: ${resume}\n`);
  if (log) plain.stderr(`Run log: ${shown(log.path, run.io)}\n`);
  return failedJson(run.io, run.command, threadId, failure);
}

/** A run that ended without a summary: exit code 1, and with `--json` still one result object on stdout. */
function failedJson(io: CliIO, command: CliCommand, threadId: string, error: unknown): number {
  if (command.options.json) {
    const message = (error as Error)?.message ?? String(error);
    io.stdout(`${JSON.stringify({ threadId, status: "failed", error: message }, null, 2)}\n`);
  }
  return EXIT.failed;
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
    const why = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
    io.stderr(`Cannot write the run log ${path} (${why}); the run goes on without it.\n`);
    return undefined;
  }
}

/** The answer to a pending review the command line gives, if any. */
function reviewAnswer(options: CliOptions): ReviewDecision | undefined {
  if (options.approve) return { action: "approve" };
  if (options.reject !== undefined) return { action: "reject", reason: options.reject };
  if (options.plan) return { action: "edit", plan: options.plan };
  return undefined;
}
