/**
 * Chat: a run starts from `{ messages: [human] }`, answers with an AI message, announces its plan, and a follow-up
 * human message on the same thread starts a new goal whose planner sees the conversation.
 */
import { AIMessage, type BaseMessage, HumanMessage } from "@langchain/core/messages";
import { Command, MemorySaver } from "@langchain/langgraph";
import { describe, expect, it } from "vitest";
import { compileOrchestrator } from "../../graphs/orchestrator.js";
import { agentWorker, WorkerRegistry } from "../../src/workers/registry.js";
import { echoWorker, planReply, task, WorkLog } from "../helpers/fixtures.js";
import { scriptedProvider } from "../helpers/scripted-model.js";

// biome-ignore lint/suspicious/noExplicitAny: partial settings, as callers pass them
const config = (threadId: string, context: Record<string, unknown> = {}): any => ({
  configurable: { thread_id: threadId },
  context,
});
const kinds = (messages: BaseMessage[]) => messages.map((m) => [m.type, m.text]);

function chatGraph(models = scriptedProvider({}, { configured: false })) {
  const log = new WorkLog();
  const graph = compileOrchestrator(
    { registry: new WorkerRegistry([echoWorker(log)]), models },
    { checkpointer: new MemorySaver() },
  );
  return { graph, log };
}

describe("chat input and output", () => {
  it("takes the goal from the last human message when the input has no goal", async () => {
    const { graph, log } = chatGraph();
    const out = await graph.invoke(
      { messages: [new HumanMessage("first"), new HumanMessage("Write a haiku")] },
      config("t"),
    );
    expect(out.goal).toBe("Write a haiku");
    expect(log.inputs.map((input) => input.task.description)).toEqual(["Write a haiku"]);
  });

  it("appends the answer as the last AI message after one message listing the plan's tasks, with their statuses", async () => {
    const { graph } = chatGraph();
    const plan = { tasks: [task("a", [], { title: "First part" }), task("b", ["a"], { title: "Second part" })] };
    const out = await graph.invoke({ messages: [new HumanMessage("two parts")], plan }, config("t"));
    expect(kinds(out.messages)).toEqual([
      ["human", "two parts"],
      ["ai", "Plan (2 tasks):\n- a (echo): First part — done\n- b (echo): Second part — done"],
      ["ai", out.answer],
    ]);
    expect(out.answer).toContain("## Second part\n\nb:a");
    expect(out.messages.at(-1)).toBeInstanceOf(AIMessage);
  });

  it("asks for the review in an AI message, and announces the plan once the reviewer approves it", async () => {
    const { graph } = chatGraph();
    const plan = { tasks: [task("a", [], { title: "Only part" })] };
    const paused = await graph.invoke(
      { messages: [new HumanMessage("review me")], plan },
      config("t", { reviewPlan: true }),
    );
    const review = ["ai", 'Waiting for your review of the plan for "review me": 1 task (a).'];
    expect(kinds(paused.messages)).toEqual([["human", "review me"], review]);
    const out = await graph.invoke(new Command({ resume: { action: "approve" } }), config("t", { reviewPlan: true }));
    expect(kinds(out.messages)).toEqual([
      ["human", "review me"],
      review,
      ["ai", "Plan (1 task):\n- a (echo): Only part — done"],
      ["ai", out.answer],
    ]);
  });

  it("does not announce the plan when announcePlan is off", async () => {
    const { graph } = chatGraph();
    const out = await graph.invoke({ messages: [new HumanMessage("quiet")] }, config("t", { announcePlan: false }));
    expect(kinds(out.messages)).toEqual([
      ["human", "quiet"],
      ["ai", out.answer],
    ]);
  });

  it("starts a new goal for a follow-up human message, and the planner sees the conversation", async () => {
    const models = scriptedProvider({
      // Two tasks: the answer of a one-task plan is its task's output, with no synthesizer call.
      planner: (call) => {
        const id = call.prompt.includes("second question") ? "second" : "first";
        return planReply([task(id), task(`${id}_more`)]);
      },
      synthesizer: (call) =>
        call.prompt.includes("## Task second") || call.prompt.includes("second") ? "answer two" : "answer one",
    });
    const { graph, log } = chatGraph(models);
    const first = await graph.invoke(
      { messages: [new HumanMessage("first question")] },
      config("t", { announcePlan: false }),
    );
    expect(first.answer).toBe("answer one");
    const second = await graph.invoke(
      { messages: [new HumanMessage("second question")] },
      config("t", { announcePlan: false }),
    );
    expect(second.goal).toBe("second question");
    expect(second.answer).toBe("answer two");
    expect(log.started).toEqual(["first", "first_more", "second", "second_more"]);
    expect(kinds(second.messages)).toEqual([
      ["human", "first question"],
      ["ai", "answer one"],
      ["human", "second question"],
      ["ai", "answer two"],
    ]);
    const plannerPrompts = models.calls.filter((call) => call.role === "planner").map((call) => call.prompt);
    expect(plannerPrompts).toHaveLength(2);
    expect(plannerPrompts[0]).not.toContain("Conversation so far");
    expect(plannerPrompts[1]).toContain("Conversation so far");
    expect(plannerPrompts[1]).toContain("user: first question");
    expect(plannerPrompts[1]).toContain("assistant: answer one");
    expect(plannerPrompts[1]).toMatch(/Goal:\nsecond question/);
  });

  it("rejects input with neither a goal nor a human message, naming both", async () => {
    const { graph, log } = chatGraph();
    await expect(graph.invoke({ messages: [new AIMessage("hello")] }, config("t"))).rejects.toThrow(
      "The input has no goal and no human message: pass `goal` or `messages` ending in a human message.",
    );
    await expect(graph.invoke({}, config("t2"))).rejects.toThrow("The input has no goal and no human message");
    await expect(graph.invoke({ goal: "  " }, config("t3"))).rejects.toThrow(
      "The input has no goal and no human message",
    );
    expect(log.started).toEqual([]);
  });

  it("streams only the plan and the answer on the messages stream: no planner JSON, no worker step", async () => {
    const models = scriptedProvider({
      planner: () => planReply([task("a", [], { worker: "helper" }), task("b", [], { worker: "helper" })]),
      worker: () => "worker findings",
      synthesizer: () => "the answer",
    });
    const helper = agentWorker({ name: "helper", description: "Helps.", systemPrompt: "Help." });
    const graph = compileOrchestrator(
      { registry: new WorkerRegistry([helper]), models },
      { checkpointer: new MemorySaver() },
    );
    const streamed: string[] = [];
    const stream = await graph.stream(
      { messages: [new HumanMessage("help me")] },
      { ...config("t"), streamMode: ["messages"], subgraphs: true },
    );
    for await (const chunk of stream) {
      const [namespace, , [message]] = chunk as unknown as [string[], "messages", [BaseMessage]];
      streamed.push(`${namespace.join("|")}> ${message.text}`);
    }
    expect(models.callsOf("planner").length).toBeGreaterThan(0);
    expect(models.callsOf("worker")).toHaveLength(2);
    // The plan goes to the chat a line at a time as it streams (this planner answers whole: at its end), under one id.
    expect(streamed).toEqual(["> Plan:\n- a (helper): Task a", "> \n- b (helper): Task b", "> the answer"]);
  });
});
