import { AIMessage, HumanMessage, type BaseMessage } from "@langchain/core/messages";
import type { StructuredToolInterface } from "@langchain/core/tools";
import { createAgent, createMiddleware, MiddlewareError, toolStrategy, type AgentMiddleware } from "langchain";
import { taskNonce, withDataRule } from "../fence.js";
import { textOf } from "../models.js";
import { workerTaskPrompt } from "../prompts.js";
import type { WorkerInput } from "../schemas.js";
import type { AgentWorker, WorkerOutput } from "../worker-contract.js";
import { nestedRunConfig, type Attempt } from "./attempt.js";
import { AttemptFailure } from "../errors.js";
import { mcpFailures, withMcpTools } from "./mcp.js";

/** What the agent is told once its tool rounds are spent. */
const FINAL_ANSWER_REQUEST = "The tool-call budget is used up. Give your final answer now, without tools.";

/** Tool rounds so far: the agent's replies that called tools. */
const toolRounds = (messages: BaseMessage[]) =>
  messages.filter((m) => AIMessage.isInstance(m) && m.tool_calls?.length).length;

/**
 * The attempt's middleware: records the usage of every model reply, and once `maxRounds` rounds of tool calls are
 * spent asks for a final answer without the worker's tools (tool calls in that reply are dropped, so the loop ends).
 */
function attemptMiddleware(attempt: Attempt, maxRounds: number) {
  return createMiddleware({
    name: "OrchestratorAttempt",
    wrapModelCall: async (request, handler) => {
      const spent = toolRounds(request.messages) >= maxRounds;
      const reply = spent
        ? await handler({
            ...request,
            tools: [],
            messages: [...request.messages, new HumanMessage(FINAL_ANSWER_REQUEST)],
          })
        : await handler(request);
      attempt.meter(reply);
      if (!spent || !reply.tool_calls?.length || request.responseFormat) return reply;
      return new AIMessage({ content: reply.content, id: reply.id, usage_metadata: reply.usage_metadata });
    },
  });
}

/** The error a middleware passed on (a model's own error, with its status), as `createAgent` wraps it. */
function unwrapped(error: unknown): unknown {
  let inner = error;
  while (MiddlewareError.isInstance(inner) && (inner as Error).cause !== undefined) inner = (inner as Error).cause;
  return inner;
}

/**
 * Runs an agent worker's attempt as a `createAgent` agent: the worker's system prompt, tools (its MCP servers' too)
 * and output schema, the attempt's metered model, its signal and the tool-round budget. Tool errors go back to the
 * model as tool messages; an MCP server that goes away fails the attempt.
 */
export function runAgent(
  input: WorkerInput,
  worker: AgentWorker,
  feedback: string | undefined,
  attempt: Attempt,
): Promise<WorkerOutput> {
  const servers = worker.mcpServers ?? {};
  if (!Object.keys(servers).length) return runAgentWith(input, worker, feedback, attempt, worker.tools ?? []);
  return withMcpTools(servers, worker.mcpTools, attempt.signal, (mcpTools, gone) =>
    runAgentWith(input, worker, feedback, attempt, [...(worker.tools ?? []), ...mcpTools], [mcpFailures(gone)]),
  );
}

async function runAgentWith(
  input: WorkerInput,
  worker: AgentWorker,
  feedback: string | undefined,
  attempt: Attempt,
  tools: StructuredToolInterface[],
  middleware: AgentMiddleware[] = [],
): Promise<WorkerOutput> {
  const model = attempt.model("worker");
  if (tools.length && !model.bindTools)
    throw new AttemptFailure("worker", "the worker's model does not support tool calling", false);
  const nonce = taskNonce(input, "task");
  // Dependencies' results come fenced: the system prompt says that fenced text is data.
  const systemPrompt = Object.keys(input.dependencies).length
    ? withDataRule(worker.systemPrompt, nonce)
    : worker.systemPrompt;
  const maxRounds = worker.maxToolRounds ?? attempt.maxToolRounds;
  const agent = createAgent({
    model,
    tools,
    systemPrompt,
    middleware: [attemptMiddleware(attempt, maxRounds), ...middleware],
    ...(worker.outputSchema
      ? { responseFormat: toolStrategy(worker.outputSchema as never, { toolMessageContent: "Result recorded." }) }
      : {}),
    checkpointer: false,
    name: worker.name,
  });
  const run = nestedRunConfig(input, worker.name, attempt);
  const state = await agent
    .invoke(
      { messages: [new HumanMessage(workerTaskPrompt(input, feedback, nonce))] },
      {
        // Its tools find the run's shared memory through `memoryOf(config)`.
        ...run,
        metadata: { ...run.metadata, model: attempt.params.model },
        signal: attempt.signal,
        recursionLimit: 2 * maxRounds + 10,
      },
    )
    .catch((error: unknown) => {
      throw unwrapped(error);
    });
  if (!worker.outputSchema) return { output: textOf(state.messages.at(-1)!) };
  const parsed = (state as { structuredResponse?: unknown }).structuredResponse;
  if (parsed === null || parsed === undefined)
    throw new AttemptFailure("schema", "the model returned no parsable structured output");
  return { output: JSON.stringify(parsed, null, 2), data: parsed };
}
