import type { WorkerInput } from "../schemas.js";
import type { Attempt } from "./attempt.js";
import { AttemptFailure } from "../errors.js";
import type { FunctionWorker, WorkerOutput } from "../worker-contract.js";

export async function runFunction(
  input: WorkerInput,
  worker: FunctionWorker,
  feedback: string | undefined,
  attempt: Attempt,
): Promise<WorkerOutput> {
  const raw = await worker.run(input, {
    signal: attempt.signal,
    attempt: attempt.number,
    params: attempt.params,
    ...(feedback ? { feedback } : {}),
    modelConfigured: attempt.modelConfigured,
    model: (role) => attempt.model(role),
    recordUsage: (usage) => attempt.recordUsage(usage),
    ...(attempt.memory ? { memory: attempt.memory } : {}),
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
