import { FollowUpSchema, type FollowUp, type WorkerInput } from "../schemas.js";
import type { Attempt } from "./attempt.js";
import { AttemptFailure } from "../errors.js";
import type { WorkerDefinition, WorkerOutput } from "../worker-contract.js";

const UNDERSPECIFIED = /^\s*UNDERSPECIFIED:\s*/i;

/** The result contract: non-empty, not declared underspecified, schema-valid, and accepted by the worker's check. */
export async function verify(
  output: WorkerOutput,
  input: WorkerInput,
  worker: WorkerDefinition,
  attempt: Attempt,
): Promise<void> {
  if (typeof output?.output !== "string") throw new AttemptFailure("schema", "the worker returned no text output");
  if (output.output.trim() === "" && isEmptyValue(output.data)) {
    throw new AttemptFailure("empty", "the result was empty; answer the task directly and completely");
  }
  if (UNDERSPECIFIED.test(output.output)) {
    throw new AttemptFailure(
      "underspecified",
      output.output.replace(UNDERSPECIFIED, "").trim().slice(0, 1000) || "no detail given",
    );
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

/** Validates the follow-up tasks a worker proposes; a malformed one is a worker bug, reported by position. */
function parseFollowUps(followUps: WorkerOutput["followUps"]): FollowUp[] {
  return (followUps ?? []).map((followUp, i) => {
    const parsed = FollowUpSchema.safeParse(followUp);
    if (parsed.success) return parsed.data;
    const issue = parsed.error.issues[0]!;
    throw new AttemptFailure(
      "schema",
      `follow-up #${i + 1} is invalid at ${issue.path.join(".") || "(root)"}: ${issue.message}`,
      false,
    );
  });
}

function isEmptyValue(value: unknown): boolean {
  if (value === undefined || value === null) return true;
  if (typeof value === "string") return value.trim() === "";
  if (Array.isArray(value)) return value.length === 0;
  if (typeof value === "object") return Object.values(value).every(isEmptyValue);
  return false;
}

/** Cuts an output at the cap, saying so. */
export function capOutput(output: string, maxChars: number): string {
  if (output.length <= maxChars) return output;
  return `${output.slice(0, maxChars)}\n\n[truncated: ${output.length - maxChars} more characters]`;
}

/**
 * Keeps structured data whose JSON is at most `maxChars` long; larger (or unserialisable) data is dropped, and
 * the note says why, so that state and checkpoints stay small.
 */
export function capData(data: unknown, maxChars: number): { data?: unknown; note?: string } {
  if (data === undefined) return {};
  let chars: number | undefined;
  try {
    chars = JSON.stringify(data)?.length;
  } catch (error) {
    return { note: `structured data dropped: it is not JSON-serialisable (${(error as Error).message})` };
  }
  if (chars === undefined) return { note: "structured data dropped: it is not JSON-serialisable" };
  if (chars <= maxChars) return { data };
  return { note: `structured data dropped: its JSON is ${chars} characters, over maxDataChars (${maxChars})` };
}
