import { AIMessage, HumanMessage, SystemMessage, ToolMessage, type BaseMessage } from "@langchain/core/messages";
import type { BaseChatModel } from "@langchain/core/language_models/chat_models";
import type { RunnableConfig } from "@langchain/core/runnables";
import type { Settings } from "../config.js";
import type { EventInit } from "../events.js";
import { AttemptFailure, classifyError } from "../failures.js";
import type { ModelProvider, ModelRole } from "../models.js";
import { workerTaskPrompt } from "../prompts.js";
import type { AgentWorker, WorkerDefinition, WorkerOutput, WorkerRunContext } from "../registry.js";
import {
  addUsage,
  ZERO_USAGE,
  type AttemptParams,
  TaskInputSchema,
  type AttemptRecord,
  type TaskResult,
  type TaskSpec,
  type Usage,
  type WorkerInput,
} from "../schemas.js";

export interface ExecuteOptions {
  provider: ModelProvider;
  settings: Settings;
  emit: (event: EventInit) => void;
  /** Cancels the whole task (the run's signal). */
  signal?: AbortSignal;
  /** Parent config, so model runs nest under the worker's trace. */
  config?: RunnableConfig;
}

/**
 * The retry ladder: what each attempt changes. Attempt 1 runs the worker's model at its temperature,
 * attempt 2 at a changed temperature, the last at the fallback model.
 */
export function retryLadder(worker: WorkerDefinition, settings: Settings): AttemptParams[] {
  const attempts = settings.maxRetries + 1;
  const declared = worker.retryLadder;
  if (declared?.length) return Array.from({ length: attempts }, (_, i) => declared[Math.min(i, declared.length - 1)]!);
  const model = (worker.kind === "agent" && worker.model) || settings.workerModel;
  const temperature = (worker.kind === "agent" ? worker.temperature : undefined) ?? settings.workerTemperature;
  const changed = temperature >= 0.7 ? 0 : Math.min(1, temperature + 0.5);
  const rungs: AttemptParams[] = [{ model, temperature }];
  if (attempts >= 3) rungs.push({ model, temperature: changed, note: "changed temperature" });
  while (rungs.length < attempts - 1) rungs.push({ model, temperature: changed, note: "changed temperature" });
  if (attempts >= 2) rungs.push({ model: settings.fallbackModel, temperature, note: "fallback model" });
  return rungs.slice(0, attempts);
}

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve) => {
    if (ms <= 0 || signal?.aborted) return resolve();
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener("abort", () => (clearTimeout(timer), resolve()), { once: true });
  });

/** Longest wait a Retry-After header may impose between attempts. */
const MAX_RETRY_WAIT_MS = 10_000;

/**
 * Runs one task to a result record: every attempt of the ladder until one passes its checks, a
 * non-retryable error, or the ladder ends. Never throws.
 */
export async function executeTask(
  input: WorkerInput,
  worker: WorkerDefinition,
  options: ExecuteOptions,
): Promise<TaskResult> {
  const { settings, emit } = options;
  const startedAt = new Date();
  const ladder = retryLadder(worker, settings);
  const attempts: AttemptRecord[] = [];
  const ref = { taskId: input.task.id, worker: worker.name };
  let feedback: string | undefined;
  let usage: Usage = ZERO_USAGE;

  for (let i = 0; i < ladder.length; i++) {
    const attempt = i + 1;
    const params = ladder[i]!;
    emit({ type: "task.started", ...ref, attempt });
    const began = performance.now();
    const meter = { usage: ZERO_USAGE };
    try {
      const output = await runAttempt(input, worker, params, attempt, feedback, meter, options);
      const record = { attempt, params, ok: true, durationMs: performance.now() - began, usage: meter.usage };
      attempts.push(record);
      usage = addUsage(usage, meter.usage);
      return {
        ...ref,
        dispatch: input.dispatch,
        status: "done",
        output: capOutput(output.output, settings.maxOutputChars),
        ...(output.data === undefined ? {} : { data: output.data }),
        attempts,
        startedAt: startedAt.toISOString(),
        durationMs: Date.now() - startedAt.getTime(),
        usage,
        followUps: (output.followUps ?? []) as TaskSpec[],
      };
    } catch (error) {
      const { retryAfterMs, ...failure } = classifyError(error);
      attempts.push({ attempt, params, ok: false, error: failure, durationMs: performance.now() - began, usage: meter.usage });
      usage = addUsage(usage, meter.usage);
      emit({ type: "task.failed", ...ref, attempt, error: failure });
      if (options.signal?.aborted || !failure.retryable || i === ladder.length - 1) {
        return {
          ...ref,
          dispatch: input.dispatch,
          status: "failed",
          output: "",
          error: failure,
          attempts,
          startedAt: startedAt.toISOString(),
          durationMs: Date.now() - startedAt.getTime(),
          usage,
          followUps: [],
        };
      }
      feedback = `${failure.kind}: ${failure.message}`;
      emit({ type: "task.retrying", ...ref, attempt: attempt + 1, reason: feedback });
      await sleep(Math.min(retryAfterMs ?? 0, MAX_RETRY_WAIT_MS), options.signal);
    }
  }
  throw new Error("unreachable: the retry ladder is never empty");
}

/** Validates the follow-up tasks a worker proposes; a malformed one is a worker bug, reported by name. */
function parseFollowUps(followUps: WorkerOutput["followUps"]): TaskSpec[] {
  return (followUps ?? []).map((followUp, i) => {
    const parsed = TaskInputSchema.safeParse(followUp);
    if (parsed.success) return parsed.data;
    const issue = parsed.error.issues[0]!;
    throw new AttemptFailure("schema", `follow-up #${i + 1} is invalid at ${issue.path.join(".") || "(root)"}: ${issue.message}`, false);
  });
}

/** Cuts an output at the cap, saying so. */
export function capOutput(output: string, maxChars: number): string {
  if (output.length <= maxChars) return output;
  return `${output.slice(0, maxChars)}\n\n[truncated: ${output.length - maxChars} more characters]`;
}

async function runAttempt(
  input: WorkerInput,
  worker: WorkerDefinition,
  params: AttemptParams,
  attempt: number,
  feedback: string | undefined,
  meter: { usage: Usage },
  options: ExecuteOptions,
): Promise<WorkerOutput> {
  const timeoutMs = worker.timeoutMs ?? options.settings.workerTimeoutMs;
  const timeout = new AbortController();
  const signal = options.signal ? AbortSignal.any([options.signal, timeout.signal]) : timeout.signal;
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const failure = new AttemptFailure("timeout", `attempt ${attempt} timed out after ${timeoutMs} ms`);
      timeout.abort(failure);
      reject(failure);
    }, timeoutMs);
  });
  let onAbort: (() => void) | undefined;
  const cancelled = new Promise<never>((_, reject) => {
    onAbort = () => reject(new AttemptFailure("aborted", "the run was cancelled", false));
    if (options.signal?.aborted) onAbort();
    options.signal?.addEventListener("abort", onAbort, { once: true });
  });
  try {
    const work =
      worker.kind === "agent"
        ? runAgent(input, worker, params, attempt, feedback, signal, meter, options)
        : runFunction(input, worker, params, attempt, feedback, signal, meter, options);
    const output = await Promise.race([work, expired, cancelled]);
    await verify(output, input, worker);
    return output;
  } finally {
    clearTimeout(timer);
    if (onAbort) options.signal?.removeEventListener("abort", onAbort);
  }
}

async function runFunction(
  input: WorkerInput,
  worker: Extract<WorkerDefinition, { kind: "function" }>,
  params: AttemptParams,
  attempt: number,
  feedback: string | undefined,
  signal: AbortSignal,
  meter: { usage: Usage },
  options: ExecuteOptions,
): Promise<WorkerOutput> {
  const context: WorkerRunContext = {
    signal,
    attempt,
    params,
    feedback,
    modelConfigured: options.provider.configured,
    model: (role: ModelRole = "worker") =>
      options.provider.create({ role, model: params.model ?? options.settings.workerModel, temperature: params.temperature }),
  };
  const raw = await worker.run(input, context);
  const output = typeof raw === "string" ? { output: raw } : raw;
  meter.usage = addUsage(meter.usage, output.usage);
  if (worker.outputSchema && output.data === undefined) output.data = parseJson(output.output);
  return output;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new AttemptFailure("schema", "the output is not valid JSON but the worker declares an output schema");
  }
}

function usageOf(message: BaseMessage | undefined): Partial<Usage> {
  const meta = (message as AIMessage | undefined)?.usage_metadata;
  return {
    inputTokens: meta?.input_tokens ?? 0,
    outputTokens: meta?.output_tokens ?? 0,
    totalTokens: meta?.total_tokens ?? 0,
    modelCalls: 1,
  };
}

function textOf(message: BaseMessage): string {
  const content = message.content;
  if (typeof content === "string") return content;
  return content
    .map((part) => (typeof part === "string" ? part : part.type === "text" ? (part as { text: string }).text : ""))
    .join("");
}

async function runAgent(
  input: WorkerInput,
  worker: AgentWorker,
  params: AttemptParams,
  attempt: number,
  feedback: string | undefined,
  signal: AbortSignal,
  meter: { usage: Usage },
  options: ExecuteOptions,
): Promise<WorkerOutput> {
  const role: ModelRole = params.model === options.settings.fallbackModel ? "fallback" : "worker";
  const model = options.provider.create({
    role,
    model: params.model ?? options.settings.workerModel,
    temperature: params.temperature,
    timeoutMs: worker.timeoutMs ?? options.settings.workerTimeoutMs,
  });
  const callConfig: RunnableConfig = {
    signal,
    runName: `${worker.name}:${input.task.id}`,
    tags: [`worker:${worker.name}`, `task:${input.task.id}`],
    metadata: { taskId: input.task.id, worker: worker.name, attempt, model: params.model },
  };
  const messages: BaseMessage[] = [new SystemMessage(worker.systemPrompt), new HumanMessage(workerTaskPrompt(input, feedback))];
  const tools = worker.tools ?? [];
  const maxRounds = worker.maxToolRounds ?? options.settings.maxToolRounds;
  let final: AIMessage | undefined;
  if (tools.length > 0) {
    final = await toolLoop(model, tools, messages, maxRounds, callConfig, meter);
  } else if (!worker.outputSchema) {
    final = (await model.invoke(messages, callConfig)) as AIMessage;
    meter.usage = addUsage(meter.usage, usageOf(final));
  }
  if (worker.outputSchema) {
    return structuredAnswer(model, worker, final ? [...messages, final] : messages, callConfig, meter);
  }
  return { output: textOf(final!) };
}

async function toolLoop(
  model: BaseChatModel,
  tools: NonNullable<AgentWorker["tools"]>,
  messages: BaseMessage[],
  maxRounds: number,
  config: RunnableConfig,
  meter: { usage: Usage },
): Promise<AIMessage> {
  if (!model.bindTools) throw new AttemptFailure("worker", "the worker's model does not support tool calling", false);
  const bound = model.bindTools(tools);
  const byName = new Map(tools.map((tool) => [tool.name, tool]));
  for (let round = 0; round < maxRounds; round++) {
    const reply = (await bound.invoke(messages, config)) as AIMessage;
    meter.usage = addUsage(meter.usage, usageOf(reply));
    if (!reply.tool_calls?.length) return reply;
    messages.push(reply);
    for (const call of reply.tool_calls) {
      const tool = byName.get(call.name);
      let content: string;
      try {
        if (!tool) throw new Error(`no tool named "${call.name}"`);
        const result: unknown = await tool.invoke(call.args, config);
        content = typeof result === "string" ? result : JSON.stringify(result);
      } catch (error) {
        content = `Tool error: ${(error as Error).message}`;
      }
      messages.push(new ToolMessage({ content, tool_call_id: call.id ?? call.name, name: call.name }));
    }
  }
  messages.push(new HumanMessage("The tool-call budget is used up. Give your final answer now, without tools."));
  const reply = (await model.invoke(messages, config)) as AIMessage;
  meter.usage = addUsage(meter.usage, usageOf(reply));
  return reply;
}

async function structuredAnswer(
  model: BaseChatModel,
  worker: AgentWorker,
  messages: BaseMessage[],
  config: RunnableConfig,
  meter: { usage: Usage },
): Promise<WorkerOutput> {
  const structured = model.withStructuredOutput(worker.outputSchema!, { name: `${worker.name}_result`, includeRaw: true });
  const { raw, parsed } = (await structured.invoke(messages, config)) as { raw: BaseMessage; parsed: unknown };
  meter.usage = addUsage(meter.usage, usageOf(raw));
  if (parsed === null || parsed === undefined) throw new AttemptFailure("schema", "the model returned no parsable structured output");
  return { output: JSON.stringify(parsed, null, 2), data: parsed };
}

/** The result contract: non-empty, schema-valid, and accepted by the worker's own check. */
async function verify(output: WorkerOutput, input: WorkerInput, worker: WorkerDefinition): Promise<void> {
  if (typeof output?.output !== "string") throw new AttemptFailure("schema", "the worker returned no text output");
  const empty = output.output.trim() === "" && isEmptyValue(output.data);
  if (empty) throw new AttemptFailure("empty", "the result is empty; answer the task directly and completely");
  if (/^\s*UNDERSPECIFIED:/i.test(output.output)) {
    throw new AttemptFailure("empty", `the worker says the task is underspecified: ${output.output.trim().slice(15, 500)}`);
  }
  if (worker.outputSchema) {
    const parsed = worker.outputSchema.safeParse(output.data);
    if (!parsed.success) {
      const issues = parsed.error.issues.map((issue) => `${issue.path.join(".") || "(root)"}: ${issue.message}`);
      throw new AttemptFailure("schema", `the result does not match the output schema: ${issues.join("; ")}`);
    }
    if (isEmptyValue(parsed.data)) throw new AttemptFailure("empty", "the structured result is empty");
    output.data = parsed.data;
  }
  output.followUps = parseFollowUps(output.followUps);
  const reason = await worker.check?.(output, input);
  if (reason) throw new AttemptFailure("check", reason);
}

function isEmptyValue(value: unknown): boolean {
  if (value === undefined || value === null) return true;
  if (typeof value === "string") return value.trim() === "";
  if (Array.isArray(value)) return value.length === 0;
  if (typeof value === "object") return Object.values(value).every(isEmptyValue);
  return false;
}
