import type { LangGraphRunnableConfig } from "@langchain/langgraph";
import { resolveSettings } from "../src/config.js";
import type { OrchestratorDeps } from "../src/context.js";
import { emitter } from "../src/events.js";
import { classifyError } from "../src/failures.js";
import { ZERO_USAGE, type TaskResult, type WorkerInput } from "../src/schemas.js";
import type { Update } from "../src/state.js";
import { executeTask } from "../src/workers/execute.js";

/** The worker node: runs one task through its registered worker. Never throws: failure is a result too. */
export function makeWorkerNode(deps: OrchestratorDeps) {
  return async function worker(input: WorkerInput, config: LangGraphRunnableConfig): Promise<Update> {
    const started = new Date();
    let result: TaskResult;
    try {
      const definition = deps.registry.get(input.task.worker);
      result = await executeTask(input, definition, {
        provider: deps.models,
        settings: resolveSettings(config, deps.settings),
        emit: emitter(config),
        signal: config.signal,
      });
    } catch (error) {
      const failure = classifyError(error);
      result = {
        taskId: input.task.id,
        worker: input.task.worker,
        dispatch: input.dispatch,
        status: "failed",
        output: "",
        error: { ...failure, retryable: false },
        attempts: [],
        startedAt: started.toISOString(),
        durationMs: Date.now() - started.getTime(),
        usage: ZERO_USAGE,
        followUps: [],
      };
    }
    return { results: { [input.task.id]: result } };
  };
}
