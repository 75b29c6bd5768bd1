import { BaseCallbackHandler, type HandleLLMNewTokenCallbackFields } from "@langchain/core/callbacks/base";
import type { AIMessageChunk } from "@langchain/core/messages";
import { parsePartialJson } from "@langchain/core/output_parsers";
import { TaskSpecSchema, type TaskSpec } from "../schemas.js";
import type { ValidationOptions } from "./validate.js";

/** The tasks of a plan's JSON text so far, as far as the text is complete; `undefined` while it has none. */
export function partialPlanTasks(text: string): unknown[] | undefined {
  const parsed = text.trim() ? (parsePartialJson(text) as { tasks?: unknown } | null) : null;
  return Array.isArray(parsed?.tasks) ? parsed.tasks : undefined;
}

/**
 * Reads a planner call's tokens as they stream (JSON in the content, or in the first tool call's arguments) and hands
 * out each task of the plan once it is complete: once the next task has begun. The last task comes with the reply.
 */
export class PlanStreamHandler extends BaseCallbackHandler {
  name = "plan_stream";
  // Asks the chat model to stream, as LangGraph's messages handler does; the call still returns the whole reply.
  lc_prefer_streaming = true;
  private text = "";
  private handedOut = 0;
  /** A "{" came since the last task was handed out: the next task may have begun (parsing every token is quadratic). */
  private opened = false;

  constructor(private readonly onTask: (task: unknown) => void) {
    super();
    this.awaitHandlers = true;
  }

  override handleLLMNewToken(
    token: string,
    _idx: unknown,
    _runId: string,
    _parentRunId?: string,
    _tags?: string[],
    fields?: HandleLLMNewTokenCallbackFields,
  ): void {
    const chunk = (fields?.chunk as { message?: AIMessageChunk } | undefined)?.message;
    const args = chunk?.tool_call_chunks?.filter((call) => (call.index ?? 0) === 0).map((call) => call.args ?? "");
    const piece = args?.length ? args.join("") : token;
    this.text += piece;
    this.opened ||= piece.includes("{");
    if (!this.opened) return;
    const tasks = partialPlanTasks(this.text);
    if (!tasks || tasks.length - 1 <= this.handedOut) return;
    // A task is complete once the next one has started: partial parsing closes whatever is still open.
    for (; this.handedOut < tasks.length - 1; this.handedOut++) this.onTask(tasks[this.handedOut]);
    this.opened = false;
  }
}

/**
 * A streamed task, if it can start on its own: it parses, its worker exists and has the capabilities it requires, its
 * id is new and the plan is still within `maxTasks`. Whether the whole plan is valid is known only at its end.
 */
export function streamedTaskSpec(
  task: unknown,
  seen: ReadonlySet<string>,
  rules: ValidationOptions,
): TaskSpec | undefined {
  const parsed = TaskSpecSchema.safeParse(task);
  if (!parsed.success || seen.has(parsed.data.id) || seen.size >= rules.maxTasks) return undefined;
  const spec = parsed.data;
  if (!rules.workers.includes(spec.worker) || spec.dependsOn.includes(spec.id)) return undefined;
  const has = rules.capabilities?.[spec.worker] ?? [];
  return (spec.requires ?? []).every((capability) => has.includes(capability)) ? spec : undefined;
}
