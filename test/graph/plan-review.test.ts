/**
 * Plan review in the human-in-the-loop shape Agent Chat UI renders (`action_requests` + `review_configs`), answered
 * with `{ decisions: [...] }` or with the orchestrator's own decision forms.
 */
import { Command, MemorySaver } from "@langchain/langgraph";
import { describe, expect, it } from "vitest";
import { compileOrchestrator } from "../../graphs/orchestrator.js";
import { WorkerRegistry } from "../../src/workers/registry.js";
import { echoWorker, task, WorkLog } from "../helpers/fixtures.js";
import { scriptedProvider } from "../helpers/scripted-model.js";

const plan = { tasks: [task("a", [], { title: "First" }), task("b", ["a"], { title: "Second" })] };
// biome-ignore lint/suspicious/noExplicitAny: partial settings, as callers pass them
const config: any = { configurable: { thread_id: "t" }, context: { reviewPlan: true, announcePlan: false } };

async function paused() {
  const log = new WorkLog();
  const graph = compileOrchestrator(
    { registry: new WorkerRegistry([echoWorker(log)]), models: scriptedProvider({}, { configured: false }) },
    { checkpointer: new MemorySaver() },
  );
  await graph.invoke({ goal: "Review me", plan }, config);
  const state = await graph.getState(config);
  return { graph, log, value: state.tasks[0]?.interrupts[0]?.value as Record<string, unknown> };
}

describe("plan review in the human-in-the-loop shape", () => {
  it("interrupts with one approve_plan action request whose args are the tasks, next to kind, goal, tasks and errors", async () => {
    const { value } = await paused();
    const tasks = plan.tasks.map(({ blocks: _b, ...rest }) => rest);
    expect(value).toEqual({
      kind: "approve_plan",
      goal: "Review me",
      tasks,
      errors: [],
      action_requests: [
        { name: "approve_plan", args: { tasks }, description: 'Review the plan for "Review me": 2 tasks (a, b).' },
      ],
      review_configs: [{ action_name: "approve_plan", allowed_decisions: ["approve", "edit", "reject"] }],
    });
  });

  it("runs the plan when resumed with an approve decision", async () => {
    const { graph, log } = await paused();
    const out = await graph.invoke(new Command({ resume: { decisions: [{ type: "approve" }] } }), config);
    expect(log.started).toEqual(["a", "b"]);
    expect(Object.values(out.tasks).map((t) => [t.id, t.status])).toEqual([
      ["a", "done"],
      ["b", "done"],
    ]);
  });

  it("runs the edited plan when resumed with an edit decision's edited_action args", async () => {
    const { graph, log } = await paused();
    const edited_action = { name: "approve_plan", args: { tasks: [task("c", [], { title: "Instead" })] } };
    const out = await graph.invoke(new Command({ resume: { decisions: [{ type: "edit", edited_action }] } }), config);
    expect(log.started).toEqual(["c"]);
    expect(out.planSource).toBe("human");
  });

  it("skips every task with the reviewer's message when resumed with a reject decision", async () => {
    const { graph, log } = await paused();
    const out = await graph.invoke(
      new Command({ resume: { decisions: [{ type: "reject", message: "too long" }] } }),
      config,
    );
    expect(log.started).toEqual([]);
    expect(Object.values(out.tasks).map((t) => t.status)).toEqual(["skipped", "skipped"]);
    expect(out.notes).toContain("plan rejected by the reviewer: too long");
  });

  it("still takes the orchestrator's own decision forms", async () => {
    const { graph, log } = await paused();
    await graph.invoke(new Command({ resume: { action: "approve" } }), config);
    expect(log.started).toEqual(["a", "b"]);
  });

  it.each(["edited_action", "editedAction"])(
    "runs the edited plan of an edit decision whose %s args hold the tasks as JSON text (Agent Chat UI's Edit)",
    async (key) => {
      const { graph, log } = await paused();
      const tasks = JSON.stringify([task("c", [], { title: "Instead" })].map(({ blocks: _b, ...rest }) => rest));
      const decision = { type: "edit", [key]: { name: "approve_plan", args: { tasks } } };
      const out = await graph.invoke(new Command({ resume: { decisions: [decision] } }), config);
      expect(log.started).toEqual(["c"]);
      expect(out.planSource).toBe("human");
    },
  );

  it("takes Agent Inbox's older accept as an approval and a respond decision as a rejection with its words", async () => {
    const accepted = await paused();
    await accepted.graph.invoke(new Command({ resume: { decisions: [{ type: "accept" }] } }), config);
    expect(accepted.log.started).toEqual(["a", "b"]);
    const responded = await paused();
    const out = await responded.graph.invoke(
      new Command({ resume: { decisions: [{ type: "respond", message: "not now" }] } }),
      config,
    );
    expect(responded.log.started).toEqual([]);
    expect(out.notes).toContain("plan rejected by the reviewer: not now");
  });

  it.each([
    ["an ignore decision", { decisions: [{ type: "ignore" }] }],
    ["the dismiss action", { action: "dismiss" }],
  ])("ends the run on %s: every task skipped, no answer written but the dismissal", async (_name, resume) => {
    const { graph, log } = await paused();
    const out = await graph.invoke(new Command({ resume }), config);
    const state = await graph.getState(config);
    expect(state.next).toEqual([]);
    expect(log.started).toEqual([]);
    expect(out.stopReason).toBe("plan dismissed by the reviewer");
    expect(out.answer).toBe("The plan was dismissed: nothing ran.");
    expect(out.messages.map((m) => m.text)).toEqual([
      'Waiting for your review of the plan for "Review me": 2 tasks (a, b).',
      "The plan was dismissed: nothing ran.",
    ]);
    expect(Object.values(out.tasks).map((t) => [t.status, t.reason])).toEqual([
      ["skipped", "plan dismissed by the reviewer"],
      ["skipped", "plan dismissed by the reviewer"],
    ]);
  });

  it("asks again, naming the bad field, when an edited plan's JSON text does not parse", async () => {
    const { graph } = await paused();
    const edited_action = { name: "approve_plan", args: { tasks: "[{not json" } };
    await graph.invoke(new Command({ resume: { decisions: [{ type: "edit", edited_action }] } }), config);
    const state = await graph.getState(config);
    const value = state.tasks[0]?.interrupts[0]?.value as { errors: string[] };
    expect(value.errors).toEqual([
      "The review answer was not understood: Invalid input: expected array, received string (at decisions.0.edited_action.args.tasks)",
    ]);
    expect(state.values.messages.at(-1)?.text).toContain("Problems: The review answer was not understood");
  });
});
