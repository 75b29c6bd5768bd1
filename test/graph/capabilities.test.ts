import { describe, expect, it } from "vitest";
import { RegistryError } from "../../src/errors.js";
import { functionWorker, WorkerRegistry } from "../../src/workers/registry.js";
import { harness, planReply, task } from "../helpers/fixtures.js";
import { scriptedProvider } from "../helpers/scripted-model.js";

const worker = (name: string, capabilities?: string[]) =>
  functionWorker({
    name,
    description: `The ${name}.`,
    ...(capabilities ? { capabilities } : {}),
    run: async (input) => `${name} did ${input.task.id}`,
  });

describe("capability-based selection", () => {
  it("lists each worker's capabilities in the planner's prompt and asks for requires, then sends a task to a worker lacking one back for repair", async () => {
    let plans = 0;
    const models = scriptedProvider({
      planner: () =>
        ++plans === 1
          ? planReply([task("search", [], { worker: "writer", requires: ["web_search"] })])
          : planReply([task("search", [], { worker: "searcher", requires: ["web_search"] })]),
      synthesizer: () => "answer",
    });
    const h = harness({ models, workers: () => [worker("writer", ["prose"]), worker("searcher", ["web_search"])] });
    const summary = await h.run({ goal: "find it" });
    const [first, repair] = models.callsOf("planner");
    expect(first!.system).toContain(
      "- writer: The writer. (capabilities: prose)\n- searcher: The searcher. (capabilities: web_search)",
    );
    expect(first!.system).toContain("lists it in `requires`");
    expect(repair!.prompt).toContain(
      'Task "search" requires capability "web_search", which worker "writer" lacks: use searcher.',
    );
    expect(summary.tasks).toMatchObject([{ id: "search", worker: "searcher", status: "done" }]);
  });

  it("rejects a caller's plan whose task requires a capability its worker lacks", async () => {
    const h = harness({ workers: () => [worker("writer"), worker("searcher", ["web_search"])] });
    await expect(
      h.run({ goal: "g", plan: { tasks: [task("a", [], { worker: "writer", requires: ["web_search"] })] } }),
    ).rejects.toThrow('Task "a" requires capability "web_search", which worker "writer" lacks: use searcher.');
  });

  it("refuses a worker whose capability is not a lowercase word", () => {
    expect(() => new WorkerRegistry([worker("writer", ["Web Search"])])).toThrow(
      new RegistryError(
        'Worker "writer" has capability "Web Search": capabilities are lowercase words (e.g. "web_search").',
      ),
    );
  });
});
