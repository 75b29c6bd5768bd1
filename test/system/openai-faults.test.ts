import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { agentWorker, createOrchestrator } from "../../src/index.js";
import { openAIProvider } from "../../src/models.js";
import { startOpenAIServer, describeRequest, type OpenAIServer, type Reply } from "../helpers/openai-server.js";
import { task } from "../helpers/fixtures.js";

/** Per task marker: how the endpoint misbehaves for that task's requests. */
const FAULTS: Record<string, (attempt: number) => Reply> = {
  flaky: (n) =>
    n === 1 ? { fault: "status", status: 500, message: "upstream exploded" } : { content: "flaky recovered" },
  limited: (n) =>
    n === 1
      ? { fault: "status", status: 429, retryAfterSeconds: 1, message: "slow down" }
      : { content: "limited recovered" },
  hung: () => ({ fault: "hang" }),
  garbled: () => ({ fault: "malformed" }),
  fatal: () => ({ fault: "status", status: 401, message: "invalid api key" }),
};

describe("the real OpenAI client against a misbehaving endpoint", () => {
  let server: OpenAIServer;
  const seen: Record<string, number> = {};
  let replans = 0;

  beforeAll(async () => {
    server = await startOpenAIServer({
      handler: (body) => {
        const { system, prompt } = describeRequest(body);
        if (system.includes("final answer"))
          return {
            content: `ANSWER: ${Object.keys(FAULTS)
              .filter((id) => prompt.includes(`### ${id}:`))
              .join(", ")}`,
          };
        if (prompt.includes("Decide whether the plan still reaches the goal")) {
          replans++;
          return {
            structured: {
              decision: "continue",
              reason: "the failures are the endpoint's",
              addTasks: [],
              cancelTaskIds: [],
            },
          };
        }
        const id = Object.keys(FAULTS).find((marker) => prompt.includes(`Your task "${marker}"`))!;
        seen[id] = (seen[id] ?? 0) + 1;
        return FAULTS[id]!(seen[id]!);
      },
    });
  });
  afterAll(() => server.close());

  it("ends with an answer and a dead-letter queue naming exactly the broken tasks, in seconds", async () => {
    // Only the hanging task has a short time limit. With one short limit for all, a loaded machine let the
    // 401 task's first attempt time out before the 401 arrived: a timeout is rightly retried, so it showed 2 attempts.
    const orchestrator = await createOrchestrator({
      checkpointer: "memory",
      models: openAIProvider({ openaiBaseUrl: server.url, openaiApiKey: "test-key" }),
      workers: [
        agentWorker({ name: "agent", description: "An LLM worker.", systemPrompt: "You do the task you are given." }),
        agentWorker({
          name: "impatient_agent",
          description: "An LLM worker with a short time limit.",
          systemPrompt: "You do the task you are given.",
          timeoutMs: 400,
        }),
      ],
      settings: { maxRetries: 1, workerTimeoutMs: 10_000 },
    });
    const started = Date.now();
    const summary = await orchestrator.run("survive a bad endpoint", {
      plan: {
        tasks: Object.keys(FAULTS).map((id) => task(id, [], { worker: id === "hung" ? "impatient_agent" : "agent" })),
      },
    });
    const elapsed = Date.now() - started;

    expect(elapsed).toBeLessThan(8_000);
    expect(summary.tasks.map((t) => [t.id, t.status, t.attempts])).toEqual([
      ["flaky", "done", 2],
      ["limited", "done", 2],
      ["hung", "dead", 2],
      ["garbled", "dead", 2],
      ["fatal", "dead", 1],
    ]);
    const letters = Object.fromEntries(
      summary.deadLetters.map((l) => [l.taskId, l.attempts.map((a) => a.error!.kind)]),
    );
    expect(letters).toEqual({ hung: ["timeout", "timeout"], garbled: ["schema", "schema"], fatal: ["auth"] });
    expect(summary.answer).toBe("ANSWER: flaky, limited");
    const state = await orchestrator.state(summary.threadId);
    const limited = state.results.limited!.attempts;
    expect(limited[0]!.error).toMatchObject({ kind: "rate_limit", retryable: true });
    expect(limited[1]!.params).toEqual({ model: "gpt-4o", temperature: 0.2, note: "fallback model" });
    // Each attempt of the hanging task ran to its own time limit (a fresh limit per attempt, not a reused signal).
    const hung = state.results.hung!.attempts;
    expect(hung.map((a) => a.error!.message)).toEqual([
      "attempt 1 timed out after 400 ms",
      "attempt 2 timed out after 400 ms",
    ]);
    for (const attempt of hung) expect(attempt.durationMs).toBeGreaterThanOrEqual(399);
    // One request per attempt and no client-level retries. A hanging attempt's request may be cut by its time
    // limit before it even reaches the server on a loaded machine, so that task counts at most one per attempt.
    const { hung: hungRequests, ...answered } = seen;
    expect(answered).toEqual({ flaky: 2, limited: 2, garbled: 2, fatal: 1 });
    expect(hungRequests ?? 0).toBeLessThanOrEqual(2);
    expect(replans).toBe(1);
    expect(summary.notes).toContain("The planner kept the plan: the failures are the endpoint's");
    await orchestrator.close();
  });
});
