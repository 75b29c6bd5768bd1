import { ConfigError, type OrchestratorEvent, ThreadBusyError } from "../index.js";
import { followRun, submitRun } from "../queue/index.js";
import { type CliCommand, planOf, startProblem } from "./command.js";
import { formatEvent } from "./event-lines.js";
import { EXIT } from "./exit-codes.js";
import { finish } from "./finish.js";
import type { CliIO } from "./io.js";

/** Whether the command line asks for the job queue (`--queue`, `--detach`, `--wait`). */
export const isQueued = ({ options }: CliCommand): boolean =>
  options.queue !== undefined || options.detach || options.wait !== undefined;

/**
 * A run on the job queue: submits it (`--detach` prints its thread id), or follows a queued run (`--wait`, or right
 * after submitting) through its events to the same end a local run prints. The executor brings the model.
 */
export async function runQueued(io: CliIO, command: CliCommand): Promise<number> {
  const { options, env, resume } = command;
  const url = options.queue ?? env.queueUrl;
  if (!url || resume) {
    io.stderr(
      url
        ? "--queue runs a new goal or follows one (--wait); resume or answer a review without it.\n"
        : "--detach and --wait need --queue redis://host:port (or ORCHESTRATOR_QUEUE).\n",
    );
    return EXIT.usage;
  }
  const plan = planOf(command);
  const problem = options.wait ? undefined : startProblem(command, plan, { configured: true });
  if (problem) {
    io.stderr(`${problem}\n`);
    return EXIT.usage;
  }
  try {
    let threadId = options.wait;
    if (!threadId) {
      ({ threadId } = await submitRun({ url }, command.goal!, {
        threadId: options.threadId,
        plan,
        settings: options.settings,
      }));
      if (options.detach) {
        io.stdout(options.json ? `${JSON.stringify({ threadId })}\n` : `${threadId}\n`);
        return EXIT.done;
      }
      if (!options.json) io.stderr(`Queued on thread ${threadId}; waiting for an executor…\n`);
    }
    const onEvent = (event: OrchestratorEvent) => !options.json && io.stderr(`${formatEvent(event)}\n`);
    const { summary, goal } = await followRun({ url }, threadId, { onEvent });
    return finish(io, options, summary, goal, undefined);
  } catch (error) {
    io.stderr(`${(error as Error).message}\n`);
    if (error instanceof ThreadBusyError) return EXIT.busy;
    return error instanceof ConfigError ? EXIT.usage : EXIT.failed;
  }
}
