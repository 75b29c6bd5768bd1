import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { main } from "../../src/cli/main.js";
import { RESEARCH_GOAL } from "../../src/examples/research/index.js";
import type { ModelProvider } from "../../src/models.js";
import { captureCli } from "../helpers/cli-io.js";
import { planReply, task } from "../helpers/fixtures.js";
import { scriptedProvider, type ModelCall } from "../helpers/scripted-model.js";

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "research-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const capture = (models?: ModelProvider) => captureCli(dir, models);

const toolResults = (call: ModelCall) =>
  call.messages.filter((m) => m._getType() === "tool").map((m) => String(m.content));

describe("npm start -- --example research", () => {
  it("runs its team: the agent reads the bundled MCP server's notes, the catalogue fills memory, the citation graph lists the sources", async () => {
    const models = scriptedProvider({
      planner: () =>
        planReply([
          task("research", [], { worker: "researcher", requires: ["search"] }),
          task("sources", [], { worker: "catalogue", requires: [] }),
          task("brief", ["research", "sources"], { worker: "editor", requires: ["citations"] }),
        ]),
      worker: (call) => {
        const results = toolResults(call);
        if (results.length === 0)
          return { toolCalls: [{ name: "search_notes", args: { query: "heat pump cold climate" } }] };
        if (results.length === 1) return { toolCalls: [{ name: "read_note", args: { id: "hp-cold" } }] };
        return "Cold-climate heat pumps keep working to about -25 °C [hp-cold].";
      },
      synthesizer: (call) =>
        call.prompt.includes("- [hp-cold] Heat pumps in cold climates")
          ? "A heat pump works; see [hp-cold]."
          : "no sources",
    });
    const { out, io } = capture(models);
    expect(await main(["--example", "research", "--checkpointer", "memory"], io)).toBe(0);
    expect(out.stdout.split("\n")[0]).toBe("A heat pump works; see [hp-cold].");
    const [, , last] = models.callsOf("worker");
    expect(toolResults(last!)[0]).toContain("hp-cold: Heat pumps in cold climates");
    expect(toolResults(last!)[1]).toContain("Cold-climate heat pumps keep a COP near 2 at -15 °C");
    expect(models.callsOf("planner")[0]!.prompt).toContain(RESEARCH_GOAL);
    expect(models.callsOf("planner")[0]!.system).toContain("(capabilities: citations)");
  });

  it("says what it needs when no model is configured", async () => {
    const { out, io } = capture();
    expect(await main(["--example", "research", "--checkpointer", "memory"], io)).toBe(2);
    expect(out.stderr).toBe(
      'No model is configured for the planner role. Set OPENAI_API_KEY (and optionally OPENAI_BASE_URL for any OpenAI-compatible server), set the model to "provider:model" (e.g. --planner-model anthropic:claude-sonnet-4-5 with its package installed and its key set), pass a model factory to createOrchestrator, or pass a plan (--plan).\n',
    );
  });
});
