import { HumanMessage, SystemMessage, ToolMessage, type AIMessage, type BaseMessage } from "@langchain/core/messages";
import type { BaseChatModel } from "@langchain/core/language_models/chat_models";
import type { RunnableConfig } from "@langchain/core/runnables";
import type { Settings } from "../settings.js";
import type { EventInit } from "../events.js";
import { AttemptFailure, classifyError } from "./classify.js";
import type { ModelProvider, ModelRole } from "../models.js";
import { clarifyRequest, CLARIFIER_SYSTEM_PROMPT, workerTaskPrompt } from "../prompts.js";
import type { AgentWorker, FunctionWorker, ModelAccess, WorkerDefinition, WorkerOutput } from "./registry.js";
import { TaskInputSchema, type AttemptParams, type AttemptRecord, type TaskError, type TaskResult, type TaskSpec, type WorkerInput } from "../schemas.js";
import { addUsage, sumUsage, usageOf, ZERO_USAGE, type Usage } from "../usage.js";

export interface ExecuteOptions {
  provider: ModelProvider;
  settings: Settings;
  emit: (event: EventInit) => void;
  /** Cancels the whole task (the run's signal). */
  signal?: AbortSignal;
}

/**
 * The retry ladder: what each attempt changes. Attempt 1 runs the worker's model at its temperature,
 * the middle attempts at a changed temperature, the last at the fallback model.
 */
export function retryLadder(worker: WorkerDefinition, settings: Settings): AttemptParams[] {
  const attempts = settings.maxRetries + 1;
  const declared = worker.retryLadder;
  if (declared?.length) return Array.from({ length: attempts }, (_, i) => declared[Math.min(i, declared.length - 1)]!);
  const model = (worker.kind === "agent" && worker.model) || settings.workerModel;
  const temperature = (worker.kind === "agent" ? worker.temperature : undefined) ?? settings.workerTemperature;
  const changed = temperature >= 0.7 ? 0 : Math.min(1, temperature + 0.5);
  const rungs: AttemptParams[] = [{ model, temperature }];
  while (rungs.length < attempts - 1) rungs.push({ model, temperature: changed, note: "changed temperature" });
  if (attempts >= 2) rungs.push({ model: settings.fallbackModel, temperature, note: "fallback model" });
  return rungs;
}

/** Longest wait a Retry-After header may impose between attempts. */
const MAX_RETRY_WAIT_MS = 10_000;

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve) => {
    if (ms <= 0 || signal?.aborted) return resolve();
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener("abort", () => (clearTimeout(timer), resolve()), { once: true });
  });

/** One attempt's view of the task: its parameters, its signal, and a meter for the tokens it spends. */
class Attempt implements ModelAccess {
  usage: Usage = ZERO_USAGE;
  readonly modelConfigured: boolean;
  readonly maxToolRounds: number;

  constructor(
    readonly number: number,
    readonly params: AttemptParams,
    readonly signal: AbortSignal,
    private readonly options: ExecuteOptions,
  ) {
    this.modelConfigured = options.provider.configured;
    this.maxToolRounds = options.settings.maxToolRounds;
  }

  model(role: ModelRole = "worker"): BaseChatModel {
    const { settings } = this.options;
    const named = { planner: settings.plannerModel, synthesizer: settings.synthesizerModel, fallback: settings.fallbackModel };
    const model = role === "worker" ? (this.params.model ?? settings.workerModel) : named[role];
    const fallback = role === "worker" && this.params.model === settings.fallbackModel;
    return this.options.provider.create({
      role: fallback ? "fallback" : role,
      model,
      temperature: role === "worker" ? this.params.temperature : 0,
      timeoutMs: settings.workerTimeoutMs,
    });
  }

  recordUsage(usage: Partial<Usage>): void {
    this.usage = addUsage(this.usage, { modelCalls: 1, ...usage });
  }

  /** Records the usage of a model reply. */
  meter(reply: BaseMessage | undefined): void {
    this.recordUsage(usageOf(reply));
  }
}

/**
 * Runs one task to a result record: every attempt of the ladder until one passes its checks, a
 * non-retryable error, or the ladder ends. Failed attempts feed their reason into the next; a task the
 * worker calls underspecified is rewritten by the planner model first. Never throws.
 */
export async function executeTask(input: WorkerInput, worker: WorkerDefinition, options: ExecuteOptions): Promise<TaskResult> {
  const { settings, emit } = options;
  const startedAt = new Date();
  const ladder = retryLadder(worker, settings);
  const attempts: AttemptRecord[] = [];
  const ref = { taskId: input.task.id, worker: worker.name };
  const original = input.task.description;
  const finish = (fields: Pick<TaskResult, "status" | "output"> & Partial<TaskResult>): TaskResult => ({
    ...ref,
    dispatch: input.dispatch,
    attempts,
    startedAt: startedAt.toISOString(),
    durationMs: Date.now() - startedAt.getTime(),
    usage: sumUsage(attempts),
    followUps: [],
    ...(input.task.description !== original ? { clarifiedDescription: input.task.description } : {}),
    ...fields,
  });
  let feedback: string | undefined;

  for (let i = 0; i < ladder.length; i++) {
    const number = i + 1;
    const params = ladder[i]!;
    emit({ type: "task.started", ...ref, attempt: number });
    const began = performance.now();
    const outcome = await runAttempt(input, worker, params, number, feedback, options);
    attempts.push({
      attempt: number,
      params,
      ok: outcome.ok,
      ...(outcome.ok ? {} : { error: outcome.error }),
      durationMs: performance.now() - began,
      usage: outcome.attempt.usage,
    });
    if (outcome.ok) {
      const { output, data, followUps } = outcome.output;
      const result = finish({
        status: "done",
        output: capOutput(output, settings.maxOutputChars),
        ...(data === undefined ? {} : { data }),
        followUps: followUps as TaskSpec[],
      });
      emit({ type: "task.done", ...ref, attempts: number, durationMs: result.durationMs, usage: result.usage });
      return result;
    }
    const { error } = outcome;
    emit({ type: "task.failed", ...ref, attempt: number, error });
    if (options.signal?.aborted || !error.retryable || i === ladder.length - 1) return finish({ status: "failed", output: "", error });
    feedback = `${error.kind}: ${error.message}`;
    if (error.kind === "underspecified" && options.provider.configured) {
      input = { ...input, task: { ...input.task, description: await clarify(input, error.message, outcome.attempt) } };
    }
    emit({ type: "task.retrying", ...ref, attempt: number + 1, reason: feedback });
    await sleep(Math.min(outcome.retryAfterMs ?? 0, MAX_RETRY_WAIT_MS), options.signal);
  }
  throw new Error("unreachable: the retry ladder is never empty");
}

type AttemptOutcome =
  | { ok: true; output: WorkerOutput; attempt: Attempt }
  | { ok: false; error: TaskError; retryAfterMs?: number; attempt: Attempt };

/** One attempt under its time limit: the work, then the result contract. */
async function runAttempt(
  input: WorkerInput,
  worker: WorkerDefinition,
  params: AttemptParams,
  number: number,
  feedback: string | undefined,
  options: ExecuteOptions,
): Promise<AttemptOutcome> {
  const timeoutMs = worker.timeoutMs ?? options.settings.workerTimeoutMs;
  // One controller per attempt, aborted by its timeout or by the run's signal (one listener, removed after).
  const controller = new AbortController();
  const attempt = new Attempt(number, params, controller.signal, options);
  const onRunAbort = () => controller.abort(new AttemptFailure("aborted", "the run was cancelled", false));
  if (options.signal?.aborted) onRunAbort();
  options.signal?.addEventListener("abort", onRunAbort, { once: true });
  const timer = setTimeout(
    () => controller.abort(new AttemptFailure("timeout", `attempt ${number} timed out after ${timeoutMs} ms`)),
    timeoutMs,
  );
  const stopped = new Promise<never>((_, reject) => {
    if (controller.signal.aborted) reject(controller.signal.reason);
    controller.signal.addEventListener("abort", () => reject(controller.signal.reason), { once: true });
  });
  try {
    const work = worker.kind === "agent" ? runAgent(input, worker, feedback, attempt) : runFunction(input, worker, feedback, attempt);
    const output = await Promise.race([work, stopped]);
    await verify(output, input, worker, attempt);
    return { ok: true, output, attempt };
  } catch (error) {
    const { retryAfterMs, ...failure } = classifyError(error);
    return { ok: false, error: failure, ...(retryAfterMs === undefined ? {} : { retryAfterMs }), attempt };
  } finally {
    clearTimeout(timer);
    options.signal?.removeEventListener("abort", onRunAbort);
  }
}

async function runFunction(input: WorkerInput, worker: FunctionWorker, feedback: string | undefined, attempt: Attempt): Promise<WorkerOutput> {
  const raw = await worker.run(input, {
    signal: attempt.signal,
    attempt: attempt.number,
    params: attempt.params,
    ...(feedback ? { feedback } : {}),
    modelConfigured: attempt.modelConfigured,
    model: (role) => attempt.model(role),
    recordUsage: (usage) => attempt.recordUsage(usage),
  });
  const output = typeof raw === "string" ? { output: raw } : raw;
  if (output?.usage) attempt.recordUsage({ modelCalls: 0, ...output.usage });
  if (worker.outputSchema && output && output.data === undefined) output.data = parseJson(output.output);
  return output;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new AttemptFailure("schema", "the output is not valid JSON but the worker declares an output schema");
  }
}

function textOf(message: BaseMessage): string {
  if (typeof message.content === "string") return message.content;
  return message.content.map((part) => (typeof part === "string" ? part : part.type === "text" ? (part as { text: string }).text : "")).join("");
}

async function runAgent(input: WorkerInput, worker: AgentWorker, feedback: string | undefined, attempt: Attempt): Promise<WorkerOutput> {
  const model = attempt.model("worker");
  const config: RunnableConfig = {
    signal: attempt.signal,
    runName: `${worker.name}:${input.task.id}`,
    tags: [`worker:${worker.name}`, `task:${input.task.id}`],
    metadata: { taskId: input.task.id, worker: worker.name, attempt: attempt.number, model: attempt.params.model },
  };
  const messages: BaseMessage[] = [new SystemMessage(worker.systemPrompt), new HumanMessage(workerTaskPrompt(input, feedback))];
  let final: AIMessage | undefined;
  if (worker.tools?.length) {
    final = await toolLoop(model, worker.tools, messages, worker.maxToolRounds ?? attempt.maxToolRounds, config, attempt);
  } else if (!worker.outputSchema) {
    final = (await model.invoke(messages, config)) as AIMessage;
    attempt.meter(final);
  }
  if (!worker.outputSchema) return { output: textOf(final!) };
  const structured = model.withStructuredOutput(worker.outputSchema, { name: `${worker.name}_result`, includeRaw: true });
  const { raw, parsed } = (await structured.invoke(final ? [...messages, final] : messages, config)) as { raw: BaseMessage; parsed: unknown };
  attempt.meter(raw);
  if (parsed === null || parsed === undefined) throw new AttemptFailure("schema", "the model returned no parsable structured output");
  return { output: JSON.stringify(parsed, null, 2), data: parsed };
}

async function toolLoop(
  model: BaseChatModel,
  tools: NonNullable<AgentWorker["tools"]>,
  messages: BaseMessage[],
  maxRounds: number,
  config: RunnableConfig,
  attempt: Attempt,
): Promise<AIMessage> {
  if (!model.bindTools) throw new AttemptFailure("worker", "the worker's model does not support tool calling", false);
  const bound = model.bindTools(tools);
  const byName = new Map(tools.map((tool) => [tool.name, tool]));
  for (let round = 0; round < maxRounds; round++) {
    const reply = (await bound.invoke(messages, config)) as AIMessage;
    attempt.meter(reply);
    if (!reply.tool_calls?.length) return reply;
    messages.push(reply);
    for (const call of reply.tool_calls) {
      let content: string;
      try {
        const tool = byName.get(call.name);
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
  attempt.meter(reply);
  return reply;
}

/** Rewrites an underspecified task description with the planner model; keeps the old one if that fails. */
async function clarify(input: WorkerInput, reason: string, attempt: Attempt): Promise<string> {
  try {
    const reply = await attempt
      .model("planner")
      .invoke([new SystemMessage(CLARIFIER_SYSTEM_PROMPT), new HumanMessage(clarifyRequest(input, reason))], { signal: attempt.signal, runName: "clarifier" });
    attempt.meter(reply);
    const text = textOf(reply).trim();
    return text || input.task.description;
  } catch {
    return input.task.description;
  }
}

/** Validates the follow-up tasks a worker proposes; a malformed one is a worker bug, reported by position. */
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

const UNDERSPECIFIED = /^\s*UNDERSPECIFIED:\s*/i;

/** The result contract: non-empty, not declared underspecified, schema-valid, and accepted by the worker's check. */
async function verify(output: WorkerOutput, input: WorkerInput, worker: WorkerDefinition, attempt: Attempt): Promise<void> {
  if (typeof output?.output !== "string") throw new AttemptFailure("schema", "the worker returned no text output");
  if (output.output.trim() === "" && isEmptyValue(output.data)) {
    throw new AttemptFailure("empty", "the result was empty; answer the task directly and completely");
  }
  if (UNDERSPECIFIED.test(output.output)) {
    throw new AttemptFailure("underspecified", output.output.replace(UNDERSPECIFIED, "").trim().slice(0, 1000) || "no detail given");
  }
  if (worker.outputSchema) {
    const parsed = worker.outputSchema.safeParse(output.data);
    if (!parsed.success) {
      const issues = parsed.error.issues.map((issue) => `${issue.path.join(".") || "(root)"}: ${issue.message}`);
      throw new AttemptFailure("schema", `the result does not match the output schema: ${issues.join("; ")}`);
    }
    if (isEmptyValue(parsed.data)) throw new AttemptFailure("empty", "the structured result was empty");
    output.data = parsed.data;
  }
  output.followUps = parseFollowUps(output.followUps);
  const reason = await worker.check?.(output, input, attempt);
  if (reason) throw new AttemptFailure("check", reason);
}

function isEmptyValue(value: unknown): boolean {
  if (value === undefined || value === null) return true;
  if (typeof value === "string") return value.trim() === "";
  if (Array.isArray(value)) return value.length === 0;
  if (typeof value === "object") return Object.values(value).every(isEmptyValue);
  return false;
}
