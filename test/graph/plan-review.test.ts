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
});
