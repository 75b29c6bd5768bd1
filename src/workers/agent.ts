import type { BaseChatModel } from "@langchain/core/language_models/chat_models";
import { HumanMessage, SystemMessage, ToolMessage, type AIMessage, type BaseMessage } from "@langchain/core/messages";
import type { RunnableConfig } from "@langchain/core/runnables";
import { taskNonce, withDataRule } from "../fence.js";
import { textOf } from "../models.js";
import { workerTaskPrompt } from "../prompts.js";
import type { WorkerInput } from "../schemas.js";
import type { Attempt } from "./attempt.js";
import { AttemptFailure } from "./classify.js";
import type { AgentWorker, WorkerOutput } from "../worker-contract.js";

export async function runAgent(input: WorkerInput, worker: AgentWorker, feedback: string | undefined, attempt: Attempt): Promise<WorkerOutput> {
  const model = attempt.model("worker");
  const config: RunnableConfig = {
    signal: attempt.signal,
    runName: `${worker.name}:${input.task.id}`,
    tags: [`worker:${worker.name}`, `task:${input.task.id}`],
    metadata: { taskId: input.task.id, worker: worker.name, attempt: attempt.number, model: attempt.params.model },
  };
  const nonce = taskNonce(input, "task");
  // Dependencies' results come fenced: the system prompt says that fenced text is data.
  const system = Object.keys(input.dependencies).length ? withDataRule(worker.systemPrompt, nonce) : worker.systemPrompt;
  const messages: BaseMessage[] = [new SystemMessage(system), new HumanMessage(workerTaskPrompt(input, feedback, nonce))];
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
