import { AIMessage, HumanMessage, SystemMessage } from "@langchain/core/messages";
import type { LangGraphRunnableConfig } from "@langchain/langgraph";
import { resolveSettings } from "../src/settings.js";
import { prepareModels, type OrchestratorDeps } from "../src/deps.js";
import { emitter } from "../src/events.js";
import { boundedCall, textOf } from "../src/models.js";
import { classifyError } from "../src/workers/classify.js";
import { promptNonce, withDataRule } from "../src/fence.js";
import { SYNTHESIZER_SYSTEM_PROMPT, synthesizerRequest } from "../src/prompts.js";
import { directAnswer, templateAnswer } from "../src/orchestration/template-answer.js";
import { addUsage, usageOf } from "../src/budget/usage.js";
import type { State, Update } from "../src/state.js";

/**
 * Writes the final answer from every result, naming the gaps; a template report when no model is configured; a
 * planned single task's own output when it is done with nothing to report.
 */
export function makeSynthesizerNode(deps: OrchestratorDeps) {
  return async function synthesizer(state: State, config: LangGraphRunnableConfig): Promise<Update> {
    const settings = resolveSettings(config, deps.settings);
    const emit = emitter(config);
    await prepareModels(deps, settings);
    const started = performance.now();
    const tasks = Object.values(state.tasks).sort((a, b) => a.order - b.order);
    emit({ type: "synthesis.started", tasks: tasks.length });
    const notes: string[] = [];
    const direct = state.planSource === "planner" ? directAnswer(tasks, state.results, state.notes) : undefined;
    if (direct) {
      emit({ type: "synthesis.finished", durationMs: performance.now() - started, mode: "direct" });
      return { answer: direct, messages: [new AIMessage(direct)] };
    }
    if (deps.models.configured) {
      try {
        const timeoutMs = settings.synthesizerTimeoutMs;
        const model = deps.models.create({
          role: "synthesizer",
          model: settings.synthesizerModel,
          temperature: 0.3,
          timeoutMs,
        });
        const nonce = promptNonce(state.fenceSeed, "synthesizer");
        const messages = [
          new SystemMessage(withDataRule(SYNTHESIZER_SYSTEM_PROMPT, nonce)),
          new HumanMessage(synthesizerRequest(state.goal, tasks, state.results, state.notes, nonce)),
        ];
        const reply = await boundedCall(timeoutMs, config.signal, "the synthesizer call", (signal) =>
          model.invoke(messages, { signal, runName: "synthesizer" }),
        );
        const answer = textOf(reply);
        const orchestrationUsage = addUsage(state.orchestrationUsage, usageOf(reply));
        if (answer.trim()) {
          emit({ type: "synthesis.finished", durationMs: performance.now() - started, mode: "llm" });
          // The id the answer streamed under: a chat client replaces the streamed message instead of adding one.
          return { answer, messages: [new AIMessage({ content: answer, id: reply.id })], orchestrationUsage };
        }
        notes.push("The synthesizer returned an empty answer; a template report is shown instead.");
      } catch (error) {
        notes.push(`The synthesizer failed (${classifyError(error).message}); a template report is shown instead.`);
      }
    }
    const answer = templateAnswer(
      state.goal,
      tasks,
      state.results,
      [...state.notes, ...notes],
      deps.models.configured ? "fallback" : "offline",
    );
    emit({ type: "synthesis.finished", durationMs: performance.now() - started, mode: "template" });
    return { answer, messages: [new AIMessage(answer)], notes };
  };
}
