import { z } from "zod";
import { AsyncLocalStorageProviderSingleton } from "@langchain/core/singletons";
import type { LangGraphRunnableConfig } from "@langchain/langgraph";
import { TaskErrorSchema } from "./schemas.js";
import { UsageSchema } from "./budget/usage.js";

const base = { ts: z.string().describe("ISO time the event was emitted.") };
const taskRef = { ...base, taskId: z.string(), worker: z.string() };

/** Lifecycle events, emitted on LangGraph's `custom` stream mode. Every task event names its task and worker. */
export const OrchestratorEventSchema = z.discriminatedUnion("type", [
  z.object({
    type: z.literal("plan.created"),
    ...base,
    source: z.string(),
    tasks: z.array(z.object({ id: z.string(), title: z.string(), worker: z.string(), dependsOn: z.array(z.string()) })),
  }),
  z.object({ type: z.literal("task.queued"), ...taskRef, rank: z.number() }),
  z.object({ type: z.literal("task.started"), ...taskRef, attempt: z.number() }),
  z.object({
    type: z.literal("task.progress"),
    ...taskRef,
    message: z.string().describe("What the worker reports while it works (a remote agent's status update)."),
  }),
  z.object({
    type: z.literal("task.retrying"),
    ...taskRef,
    attempt: z.number(),
    reason: z.string(),
    delayMs: z.number().optional().describe("The wait before the attempt starts (back-off or Retry-After), in ms."),
  }),
  z.object({ type: z.literal("task.failed"), ...taskRef, attempt: z.number(), error: TaskErrorSchema }),
  z.object({
    type: z.literal("task.done"),
    ...taskRef,
    attempts: z.number(),
    durationMs: z.number(),
    usage: UsageSchema,
  }),
  z.object({ type: z.literal("task.dead"), ...taskRef, attempts: z.number(), error: TaskErrorSchema }),
  z.object({ type: z.literal("task.skipped"), ...taskRef, reason: z.string() }),
  z.object({
    type: z.literal("task.follow_up"),
    ...taskRef,
    from: z.string(),
    accepted: z.boolean(),
    reason: z.string().optional(),
  }),
  z.object({ type: z.literal("task.expanded"), ...taskRef, children: z.array(z.string()) }),
  z.object({
    type: z.literal("plan.replanned"),
    ...base,
    reason: z.string(),
    added: z.array(z.string()),
    cancelled: z.array(z.string()),
  }),
  z.object({ type: z.literal("synthesis.started"), ...base, tasks: z.number() }),
  z.object({
    type: z.literal("synthesis.finished"),
    ...base,
    durationMs: z.number(),
    mode: z.enum(["llm", "template", "direct"]),
  }),
]);
export type OrchestratorEvent = z.infer<typeof OrchestratorEventSchema>;
export type OrchestratorEventType = OrchestratorEvent["type"];

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
/** An event as a node builds it; `emit` stamps the time. */
export type EventInit = DistributiveOmit<OrchestratorEvent, "ts">;

/** How nodes and policies emit events. */
export type Emit = (event: EventInit) => void;

/**
 * Writes lifecycle events to the run's `custom` stream; a no-op outside a streaming run. They go out in the namespace
 * of the graph whose node made the emitter (the root, for ours), even when written from a durable task inside it, so
 * a client listening to the root gets every task's events.
 */
export function emitter(config: LangGraphRunnableConfig | undefined): Emit {
  const write = config?.writer;
  if (!write) return () => {};
  return (event) =>
    AsyncLocalStorageProviderSingleton.runWithConfig(
      config,
      () => write({ ...event, ts: new Date().toISOString() }),
      true,
    );
}

const EVENT_TYPES: ReadonlySet<string> = new Set(
  OrchestratorEventSchema.options.map((option) => option.shape.type.value),
);

/**
 * True for values on the custom stream that are orchestrator events (by their `type`: they come from our own
 * emitter; validate with `OrchestratorEventSchema` where they cross a trust boundary).
 */
export function isOrchestratorEvent(value: unknown): value is OrchestratorEvent {
  return typeof value === "object" && value !== null && EVENT_TYPES.has((value as { type?: unknown }).type as string);
}
