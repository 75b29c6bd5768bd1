// The deepagents peer, run in its own process so it resolves this folder's packages (langsmith <0.10).
// The bench forks it with the loopback model's URL and the goal as arguments; each "run" message runs the deep agent once.
import { HumanMessage } from "@langchain/core/messages";
import { ChatOpenAI } from "@langchain/openai";
import { createDeepAgent } from "deepagents";

const [baseURL, goal] = process.argv.slice(2);

/** A deep agent with one subagent, the bench's `sim` worker: the main agent delegates each task with the `task` tool. */
function deepAgent() {
  const model = new ChatOpenAI({
    model: "gpt-4o-mini",
    apiKey: "test",
    configuration: { baseURL },
    maxRetries: 0,
    timeout: 60_000,
  });
  return createDeepAgent({
    model,
    systemPrompt: "You delegate each task to the sim subagent once its dependencies are done.",
    subagents: [{ name: "sim", description: "Does one task with the model.", systemPrompt: "You do one task." }],
  });
}

process.on("message", async (message) => {
  if (message?.type !== "run") return;
  try {
    await deepAgent().invoke({ messages: [new HumanMessage(goal)] }, { recursionLimit: 200 });
    process.send({ type: "done" });
  } catch (error) {
    process.send({ type: "error", message: error instanceof Error ? error.message : String(error) });
  }
});
process.send({ type: "ready" });
