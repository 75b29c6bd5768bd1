import type { AttemptParams } from "../schemas.js";
import type { Settings } from "../settings.js";
import type { WorkerDefinition } from "../worker-contract.js";

/**
 * The retry ladder: what each attempt changes. Attempt 1 runs the worker's model at its temperature,
 * the middle attempts at a changed temperature, the last at the fallback model. A graph worker brings its own
 * models, so its attempts change nothing but the feedback they get.
 */
export function retryLadder(worker: WorkerDefinition, settings: Settings): AttemptParams[] {
  const attempts = settings.maxRetries + 1;
  const declared = worker.retryLadder;
  if (declared?.length) return Array.from({ length: attempts }, (_, i) => declared[Math.min(i, declared.length - 1)]!);
  if (worker.kind === "graph" || worker.kind === "a2a") return Array.from({ length: attempts }, () => ({}));
  const model = (worker.kind === "agent" && worker.model) || settings.workerModel;
  const temperature = (worker.kind === "agent" ? worker.temperature : undefined) ?? settings.workerTemperature;
  const changed = temperature >= 0.7 ? 0 : Math.min(1, temperature + 0.5);
  const rungs: AttemptParams[] = [{ model, temperature }];
  while (rungs.length < attempts - 1) rungs.push({ model, temperature: changed, note: "changed temperature" });
  if (attempts >= 2) rungs.push({ model: settings.fallbackModel, temperature, note: "fallback model" });
  return rungs;
}
