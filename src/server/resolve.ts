import type { Context, Next } from "hono";

/** The paths that create a run: `/runs`, `/runs/stream`, `/runs/wait`, on a thread or stateless. */
const RUN_PATH = /\/runs(\/(stream|wait))?$/;

type RunCommand = { goto?: unknown; resume?: unknown; [key: string]: unknown };

/** Whether a command only jumps to the end: what Agent Chat UI's "Mark as Resolved" sends. */
const goesToEnd = (command: RunCommand | undefined): command is RunCommand =>
  command !== undefined &&
  command.resume === undefined &&
  (command.goto === "__end__" ||
    (Array.isArray(command.goto) && command.goto.length === 1 && command.goto[0] === "__end__"));

/**
 * Middleware of the server app: a run whose command is `{ goto: "__end__" }` (Agent Chat UI's "Mark as Resolved") is
 * resumed with `{ action: "dismiss" }` instead, which ends the pending plan review and the run with a message. LangGraph
 * itself has no `__end__` node to go to: the command would re-run the review, which would ask again.
 */
export async function resolveAsDismiss(c: Context, next: Next): Promise<void> {
  if (c.req.method !== "POST" || !RUN_PATH.test(c.req.path)) return next();
  let body: { command?: RunCommand } | undefined;
  try {
    body = (await c.req.json()) as typeof body;
  } catch {
    return next();
  }
  if (body && goesToEnd(body.command)) {
    const { goto: _goto, ...command } = body.command!;
    const text = JSON.stringify({ ...body, command: { ...command, resume: { action: "dismiss" } } });
    // Hono keeps the body it read as a promise per kind: the run route reads this one.
    c.req.bodyCache = { text: Promise.resolve(text) } as unknown as typeof c.req.bodyCache;
  }
  return next();
}
