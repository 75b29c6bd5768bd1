/** The handoff contract as data: its version, and the JSON Schema of its messages generated from the zod schemas. */
import { z } from "zod";
import { OrchestratorEventSchema } from "./events.js";
import { ErrorKindSchema, TaskErrorSchema, TaskResultSchema, WorkerAssignmentSchema } from "./schemas.js";

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
