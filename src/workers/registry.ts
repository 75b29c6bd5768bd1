import type { StructuredToolInterface } from "@langchain/core/tools";
import type { BaseChatModel } from "@langchain/core/language_models/chat_models";
import type { z } from "zod";
import { RegistryError, UnknownWorkerError } from "../errors.js";
import type { AttemptParams, TaskInput, WorkerInput } from "../schemas.js";
import type { Usage } from "../usage.js";
import type { ModelRole } from "../models.js";

/** What a worker produces for a task. */
export interface WorkerOutput {
  output: string;
  data?: unknown;
  followUps?: TaskInput[];
  usage?: Partial<Usage>;
}

/** Models as a worker or a check may use them, with their usage counted against the run. */
export interface ModelAccess {
  /** False when no model endpoint is configured: use a deterministic path instead of `model()`. */
  modelConfigured: boolean;
  /** A chat model for a role (the worker's attempt parameters for `worker`, the run's settings otherwise). */
  model(role?: ModelRole): BaseChatModel;
  /** Adds the usage of calls made through `model()` to the task's record. */
  recordUsage(usage: Partial<Usage>): void;
  signal: AbortSignal;
}

/** What a plain-function worker is given besides its input. */
export interface WorkerRunContext extends ModelAccess {
  attempt: number;
  params: AttemptParams;
  /** Why the previous attempt failed, when this is a retry. */
  feedback?: string;
}

/** A semantic check: returns a reason when the output is not acceptable. */
export type ResultCheck = (
  result: WorkerOutput,
  input: WorkerInput,
  context: ModelAccess,
) => string | undefined | Promise<string | undefined>;

interface WorkerCommon {
  /** snake_case, unique in the registry: the value of a task's `worker` field. */
  name: string;
  /** What the worker is good at; the planner chooses workers by it. */
  description: string;
  /** Output contract: structured output is requested and validated against it. */
  outputSchema?: z.ZodType;
  check?: ResultCheck;
  /** Time limit of one attempt, overriding the run's `workerTimeoutMs`. */
  timeoutMs?: number;
  /** Parameters per attempt, overriding the default ladder (attempt 1 is index 0). */
  retryLadder?: AttemptParams[];
}

/** An LLM agent with its own system prompt, tools and bounded tool-calling loop. */
export interface AgentWorker extends WorkerCommon {
  kind: "agent";
  systemPrompt: string;
  tools?: StructuredToolInterface[];
  /** Model name overriding the run's `workerModel`. */
  model?: string;
  temperature?: number;
  maxToolRounds?: number;
}

/** A plain async function. */
export interface FunctionWorker extends WorkerCommon {
  kind: "function";
  run(input: WorkerInput, context: WorkerRunContext): Promise<WorkerOutput | string>;
}

export type WorkerDefinition = AgentWorker | FunctionWorker;

/** Declares an LLM agent worker. */
export const agentWorker = (definition: Omit<AgentWorker, "kind">): AgentWorker => ({ kind: "agent", ...definition });
/** Declares a plain-function worker. */
export const functionWorker = (definition: Omit<FunctionWorker, "kind">): FunctionWorker => ({
  kind: "function",
  ...definition,
});

const NAME_PATTERN = /^[a-z][a-z0-9]*(_[a-z0-9]+)*$/;

/** The single source of truth about workers: validated once, read by the planner, the plan validator and the worker node. */
export class WorkerRegistry {
  readonly names: readonly [string, ...string[]];
  /** The worker of the single-task fallback plan. */
  readonly defaultWorker: string;
  private readonly byName: ReadonlyMap<string, WorkerDefinition>;

  constructor(workers: readonly WorkerDefinition[], defaultWorker?: string) {
    if (workers.length === 0) throw new RegistryError("A worker registry needs at least one worker.");
    const byName = new Map<string, WorkerDefinition>();
    for (const worker of workers) {
      if (!NAME_PATTERN.test(worker.name)) {
        throw new RegistryError(`Worker name "${worker.name}" is not snake_case (e.g. "web_researcher").`);
      }
      if (byName.has(worker.name)) throw new RegistryError(`Worker "${worker.name}" is registered twice.`);
      if (!worker.description?.trim()) throw new RegistryError(`Worker "${worker.name}" has no description.`);
      if (worker.kind === "agent" && !worker.systemPrompt?.trim()) {
        throw new RegistryError(`Agent worker "${worker.name}" has no system prompt.`);
      }
      byName.set(worker.name, worker);
    }
    if (defaultWorker !== undefined && !byName.has(defaultWorker)) {
      throw new RegistryError(`Default worker "${defaultWorker}" is not registered.`);
    }
    this.byName = byName;
    this.names = [...byName.keys()] as [string, ...string[]];
    this.defaultWorker = defaultWorker ?? this.names[0];
  }

  has(name: string): boolean {
    return this.byName.has(name);
  }

  get(name: string): WorkerDefinition {
    const worker = this.byName.get(name);
    if (!worker) throw new UnknownWorkerError(name, this.names);
    return worker;
  }

  list(): WorkerDefinition[] {
    return [...this.byName.values()];
  }
}
