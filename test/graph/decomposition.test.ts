/**
 * Decomposition at several complexities: the planner prompt states how many tasks a goal of each kind deserves and
 * the `effort` bound; a scripted planner follows those rules, and the orchestrator's validator and scheduler act on
 * the plans it returns: one task for a fact (its output is the answer), one task per item of a comparison, an open
 * research plan bounded by `effort`, and a top-down goal expanded down to `maxDepth`.
 */
import { describe, expect, it } from "vitest";
import { effortRule } from "../../src/prompts.js";
import { parseSettings, planTaskLimit, type SettingsInput } from "../../src/settings.js";
import { echoWorker, harness, planReply, task } from "../helpers/fixtures.js";
import { scriptedProvider, type ModelCall, type Reply } from "../helpers/scripted-model.js";

const ANGLES = ["history", "economics", "technology", "policy", "ethics", "health", "climate", "culture"];

/** A planner that follows the prompt's effort rules: the goal's kind decides the tasks, within the prompt's limit. */
function rulePlanner(call: ModelCall): Reply {
  expect(call.system).toContain("A simple fact or a single lookup is ONE task");
  const goal = /Goal:\n(.*)/.exec(call.prompt)?.[1] ?? "";
  if (call.prompt.includes("Break this task")) return expansion(call);
  if (goal.startsWith("What is")) return planReply([task("lookup")]);
  const compared = /^Compare (.*)$/.exec(goal)?.[1];
  if (compared) return planReply(compared.split(/, | and /).map((item) => task(item.toLowerCase())));
  if (goal.startsWith("Survey")) return planReply([task("survey", [], { complex: true })]);
  // Open research: one task per angle. Asked to repair, it keeps to the limit the repair request names.
  const limit = Number(/exceed maxTasks=(\d+)/.exec(call.prompt)?.[1] ?? ANGLES.length);
  return planReply(ANGLES.slice(0, limit).map((angle) => task(angle)));
}

/** Each expansion: two subtasks, the first complex again. */
function expansion(call: ModelCall): Reply {
  expect(call.prompt).toMatch(/Break this task into at most \d+ subtasks/);
  return planReply([task("deeper", [], { complex: true }), task("plain")]);
}

function run(goal: string, settings: SettingsInput = {}) {
  const models = scriptedProvider({ planner: rulePlanner, synthesizer: () => "SYNTHESIS" });
  const h = harness({ models, settings, workers: (log) => [echoWorker(log, { delayMs: 20 })] });
  return { models, h, summary: h.run({ goal }) };
}

describe("the planner prompt's effort rules", () => {
  it("say how many tasks each kind of goal deserves and how far each effort goes", () => {
    const auto = effortRule(parseSettings({}));
    expect(auto).toContain("A simple fact or a single lookup is ONE task");
    expect(auto).toContain("one task per item compared (usually 2-4)");
    expect(auto).toContain("one task per distinct angle (5-10");
    expect(effortRule(parseSettings({ effort: "low" }))).toContain("Effort is low");
    expect([undefined, "low", "medium", "high"].map((effort) => planTaskLimit(parseSettings({ effort })))).toEqual([
      30, 3, 8, 30,
    ]);
    expect(planTaskLimit(parseSettings({ effort: "medium", maxTasks: 5 }))).toBe(5);
  });

  it("reject an effort that is not one of auto, low, medium, high, naming the value", () => {
    expect(() => parseSettings({ effort: "huge" })).toThrow(/effort="huge"/);
  });
});

describe("decomposition at several complexities", () => {
  it("plans a one-fact goal as one task whose output is the answer, with no synthesizer call", async () => {
    const { models, h, summary } = run("What is the capital of France?");
    const result = await summary;
    expect(result.tasks.map((t) => [t.id, t.status])).toEqual([["lookup", "done"]]);
    expect(models.callsOf("synthesizer")).toHaveLength(0);
    expect(result.answer).toBe(result.tasks[0]!.output);
    expect(result.answer).not.toBe("");
    expect(h.events.find((e) => e.type === "synthesis.finished")).toMatchObject({ mode: "direct" });
  });

  it("plans a comparison as one parallel task per item and one synthesis over all of them", async () => {
    const { models, h, summary } = run("Compare Rust, Go and Zig");
    const result = await summary;
    expect(result.tasks.map((t) => [t.id, t.dependsOn, t.status])).toEqual([
      ["rust", [], "done"],
      ["go", [], "done"],
      ["zig", [], "done"],
    ]);
    expect(h.log.maxRunning).toBe(3);
    expect(models.callsOf("synthesizer")).toHaveLength(1);
    expect(models.callsOf("synthesizer")[0]!.prompt).toMatch(/### rust:[\s\S]*### go:[\s\S]*### zig:/);
    expect(result.answer).toBe("SYNTHESIS");
  });

  it("runs an open research goal as one task per angle under the default effort", async () => {
    const { models, summary } = run("Research the effects of remote work");
    const result = await summary;
    expect(result.tasks.map((t) => t.id)).toEqual(ANGLES);
    expect(result.tasks.every((t) => t.status === "done")).toBe(true);
    expect(models.callsOf("planner")).toHaveLength(1);
  });

  it("sends an open research plan over the low effort bound back for repair, naming the bound, and runs what fits", async () => {
    const { models, summary } = run("Research the effects of remote work", { effort: "low" });
    const result = await summary;
    const planner = models.callsOf("planner");
    expect(planner[0]!.system).toContain("Use at most 3 tasks.");
    expect(planner[0]!.system).toContain("Effort is low");
    expect(planner).toHaveLength(2);
    expect(planner[1]!.prompt).toContain("8 tasks exceed maxTasks=3; merge or drop 5.");
    expect(result.tasks.map((t) => [t.id, t.status])).toEqual([
      ["history", "done"],
      ["economics", "done"],
      ["technology", "done"],
    ]);
    expect(result.notes).toContain("The plan was repaired 1 time(s) before it validated.");
  });

  it("expands a top-down goal down to maxDepth and runs the deepest complex task as it is", async () => {
    const { models, h, summary } = run("Survey the field", { strategy: "top-down", maxDepth: 2 });
    const result = await summary;
    const expansions = models.callsOf("planner").filter((call) => call.prompt.includes("Break this task"));
    expect(expansions.map((call) => /Task "([^"]+)"/.exec(call.prompt)?.[1])).toEqual(["survey", "survey.deeper"]);
    const { values } = await h.graph.getState({ configurable: { thread_id: "thread-1" } });
    const tasks = Object.values(values.tasks as Record<string, { id: string; depth: number; status: string }>);
    expect(result.tasks.map((t) => t.status)).toEqual(Array(5).fill("done"));
    expect(tasks.map((t) => [t.id, t.depth, t.status])).toEqual([
      ["survey", 0, "done"],
      ["survey.deeper", 1, "done"],
      ["survey.plain", 1, "done"],
      ["survey.deeper.deeper", 2, "done"],
      ["survey.deeper.plain", 2, "done"],
    ]);
    // Only leaves run: the expanded tasks are done when their subtasks are.
    expect([...h.log.started].sort()).toEqual(["survey.deeper.deeper", "survey.deeper.plain", "survey.plain"]);
  });
});
