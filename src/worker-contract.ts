/** The handoff contract between the orchestrator and its workers: what a worker is, is given and returns. */
import type { BaseChatModel } from "@langchain/core/language_models/chat_models";
import type { StructuredToolInterface } from "@langchain/core/tools";
import type { BaseStore } from "@langchain/langgraph";
import { z } from "zod";
import { OrchestratorEventSchema } from "./events.js";
import type { ModelRole } from "./models.js";
import {
  type AttemptParams,
  ErrorKindSchema,
  type FollowUpInput,
  TaskErrorSchema,
  TaskResultSchema,
  WorkerAssignmentSchema,
  type WorkerInput,
} from "./schemas.js";
import type { Usage } from "./budget/usage.js";

/** What a worker produces for a task. */
export interface WorkerOutput {
  output: string;
  data?: unknown;
  followUps?: FollowUpInput[];
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

/** Where a memory entry lives: the run's own namespace, or the caller's long-term one. */
export type MemoryScope = "run" | "long-term";

/** The shared memory as a worker sees it: LangGraph's store under the run's namespace and the caller's long-term one. */
export interface WorkerMemory {
  store: BaseStore;
  /** The run's own namespace: every worker of the run may read and write it. */
  run: string[];
  /** The caller's long-term namespace (setting `memoryNamespace`), if any. */
  longTerm?: string[];
  /** An entry's value, or undefined. */
  get<T extends Record<string, unknown> = Record<string, unknown>>(
    key: string,
    scope?: MemoryScope,
  ): Promise<T | undefined>;
  put(key: string, value: Record<string, unknown>, scope?: MemoryScope): Promise<void>;
}

/** What a plain-function worker is given besides its input. */
export interface WorkerRunContext extends ModelAccess {
  /** The run's shared memory: absent when the graph runs without a store. */
  memory?: WorkerMemory;
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

export interface WorkerCommon {
  /** snake_case, unique in the registry: the value of a task's `worker` field. */
  name: string;
  /** What the worker is good at; the planner chooses workers by it. */
  description: string;
  /** Tags of what the worker can do ("web_search", "memory"): a task that `requires` one must go to a worker that has it. */
  capabilities?: readonly string[];
  /** Output contract: structured output is requested and validated against it. */
  outputSchema?: z.ZodType;
  check?: ResultCheck;
  /** Time limit of one attempt, overriding the run's `workerTimeoutMs`. */
  timeoutMs?: number;
  /** Parameters per attempt, overriding the default ladder (attempt 1 is index 0). */
  retryLadder?: AttemptParams[];
}

/** An LLM agent run by `createAgent`: its own system prompt, tools (its MCP servers' too) and bounded tool rounds. */
export interface AgentWorker extends WorkerCommon {
  kind: "agent";
  systemPrompt: string;
  tools?: StructuredToolInterface[];
  /** Model name overriding the run's `workerModel`. */
  model?: string;
  temperature?: number;
  maxToolRounds?: number;
  /** MCP servers the agent takes tools from, by name: `{ command, args, env, cwd }` (stdio) or `{ url }` (HTTP). */
  mcpServers?: Record<string, McpServer>;
  /** Only these MCP tools (by name); default: every tool of its servers. */
  mcpTools?: readonly string[];
}

/** How to reach an MCP server: a local command speaking stdio, or a streamable-HTTP or SSE URL. */
export type McpServer =
  | { command: string; args?: string[]; env?: Record<string, string>; cwd?: string }
  | { url: string; headers?: Record<string, string> };

/** A plain async function. */
export interface FunctionWorker extends WorkerCommon {
  kind: "function";
  run(input: WorkerInput, context: WorkerRunContext): Promise<WorkerOutput | string>;
}

/** A graph a graph worker runs: anything LangGraph can invoke (a compiled graph, a `RemoteGraph`), or a `createAgent` agent. */
export type WorkerGraph =
  | { invoke(input: never, config?: never): Promise<unknown> }
  | { graph: { invoke(input: never, config?: never): Promise<unknown> } };

/**
 * Any LangGraph graph run as a subgraph of the worker node: the parent's config (callbacks, checkpoint namespace,
 * store, streaming) passes through, and an interrupt inside it pauses the run and resumes there.
 */
export interface GraphWorker extends WorkerCommon {
  kind: "graph";
  graph: WorkerGraph;
  /** The graph's input for a task; by default `{ messages: [the task prompt as a human message] }`. */
  input?(input: WorkerInput, prompt: string): unknown;
  /** The result from the graph's final state; by default its structured response, else its last AI message's text. */
  output?(state: unknown, input: WorkerInput): WorkerOutput | string;
}

/**
 * A remote agent reached over the Agent2Agent protocol (A2A): the task goes out as an A2A message, the reply's text
 * parts and artifacts are the result, and an `input-required` reply pauses the run like an interrupt.
 */
export interface A2aWorker extends WorkerCommon {
  kind: "a2a";
  /** Where the agent serves its agent card (`<url>/.well-known/agent-card.json`). */
  url: string;
  /** HTTP headers of every request to it, e.g. authorization: from configuration, never from a plan. */
  headers?: Record<string, string>;
}

export type WorkerDefinition = AgentWorker | FunctionWorker | GraphWorker | A2aWorker;

/** The workers a run can use, as the orchestrator sees them: implemented by `WorkerRegistry`. */
export interface WorkerCatalog {
  /** Every worker's name: the values a task's `worker` field may take. */
  readonly names: readonly [string, ...string[]];
  /** The worker of the single-task fallback plan. */
  readonly defaultWorker: string;
  has(name: string): boolean;
  /** The worker of that name; throws `UnknownWorkerError` naming the registered ones otherwise. */
  get(name: string): WorkerDefinition;
  list(): WorkerDefinition[];
}

// The handoff contract as data: its version, and the JSON Schema of its messages generated from the zod schemas.

/** The handoff contract's version: task-queue jobs and A2A messages carry it; a peer refuses one it does not speak. */
export const HANDOFF_VERSION = "1.0";

/** The versions this build speaks (a task worker refuses a job of any other). */
export const SPOKEN_HANDOFF_VERSIONS: readonly string[] = [HANDOFF_VERSION];

/** Where the published JSON Schema lives in the package. */
export const HANDOFF_SCHEMA_PATH = "schemas/handoff.schema.json";

/** What a handoff message carries, by its `kind`. */
const PAYLOADS = {
  assignment: WorkerAssignmentSchema,
  result: TaskResultSchema,
  error: TaskErrorSchema,
  event: OrchestratorEventSchema,
} as const;

/** One message of the contract: its version, its kind and its payload. */
export const HandoffMessageSchema = z.discriminatedUnion(
  "kind",
  Object.entries(PAYLOADS).map(([kind, payload]) =>
    z
      .object({
        version: z.literal(HANDOFF_VERSION).describe("The handoff contract version."),
        kind: z.literal(kind).describe("What the payload is."),
        payload,
      })
      .strict(),
  ) as unknown as [z.ZodObject, ...z.ZodObject[]],
);
export type HandoffKind = keyof typeof PAYLOADS;

/** Wraps a payload as a message of the contract's current version. */
export const handoffMessage = (kind: HandoffKind, payload: unknown) => ({ version: HANDOFF_VERSION, kind, payload });

/**
 * The published JSON Schema (draft 2020-12) of the handoff contract: a message (`version`, `kind`, `payload`) whose
 * payload is an assignment, a result record, an error or a progress event; the error kinds listed under `$defs`.
 */
export function handoffJsonSchema(): Record<string, unknown> {
  const message = z.toJSONSchema(HandoffMessageSchema, { io: "input", unrepresentable: "any" });
  const { $schema, ...rest } = message as Record<string, unknown>;
  return {
    $schema,
    $id: `https://github.com/langgraph-orchestrator/schemas/handoff-${HANDOFF_VERSION}.schema.json`,
    title: `langgraph-orchestrator handoff contract ${HANDOFF_VERSION}`,
    ...rest,
    $defs: {
      ...((rest.$defs as Record<string, unknown>) ?? {}),
      errorKind: z.toJSONSchema(ErrorKindSchema),
    },
  };
}

/** The published schema as the committed file holds it (two-space JSON, a final newline). */
export const handoffSchemaText = (): string => `${JSON.stringify(handoffJsonSchema(), null, 2)}\n`;
