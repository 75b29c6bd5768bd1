import { describe, expect, it } from "vitest";
import { agentWorker, createOrchestrator } from "../../src/index.js";
import { openAIProvider } from "../../src/models.js";
import type { SettingsInput } from "../../src/settings.js";
import { loopbackServers } from "../helpers/loopback.js";
import { describeRequest, type Reply } from "../helpers/openai-server.js";
import { task } from "../helpers/fixtures.js";

const serve = loopbackServers();

/**
 * Runs one agent task against the loopback server, whose worker requests answer `fault(n)` (n from 1), and returns
 * the gaps between the server's own arrival times of those requests, the task's attempt records and the summary.
 */
async function runAgainst(fault: (n: number) => Reply, settings: SettingsInput = {}) {
  let calls = 0;
  const server = await serve((body) => {
    const { system, prompt } = describeRequest(body);
    if (system.includes("final answer")) return { content: "the answer" };
    return prompt.includes('Your task "a"') ? fault(++calls) : { content: "?" };
  });
  const orchestrator = await createOrchestrator({
    checkpointer: "memory",
    models: openAIProvider({ openaiBaseUrl: server.url, openaiApiKey: "test-key" }),
    workers: [agentWorker({ name: "agent", description: "An LLM worker.", systemPrompt: "You do the task." })],
    settings: { replan: "never", maxRetries: 2, workerTimeoutMs: 10_000, ...settings },
  });
  const summary = await orchestrator.run("back off", { plan: { tasks: [task("a", [], { worker: "agent" })] } });
  const state = await orchestrator.state(summary.threadId);
  const times = server.requests
    .filter((r) => describeRequest(r.body!).prompt.includes('Your task "a"'))
    .map((r) => r.time);
  const attempts = state.results?.a?.attempts ?? summary.deadLetters[0]?.attempts ?? [];
  await orchestrator.close();
  return { gaps: times.slice(1).map((time, i) => time - times[i]!), attempts, summary };
}

const fail = (status: number, extra: Partial<Extract<Reply, { fault: "status" }>> = {}): Reply => ({
  fault: "status",
  status,
  ...extra,
});

describe("back-off between attempts, seen from the provider", () => {
  it("waits at least 250 ms before retrying a 5xx, and records the wait in the attempt's log", async () => {
    const { gaps, attempts, summary } = await runAgainst((n) => (n === 1 ? fail(500) : { content: "recovered" }));
    expect(summary.tasks[0]?.status).toBe("done");
    expect(gaps).toHaveLength(1);
    expect(gaps[0]).toBeGreaterThanOrEqual(250);
    expect(attempts[0]?.waitMs).toBeGreaterThanOrEqual(250);
    expect(attempts[0]?.waitMs).toBeLessThanOrEqual(500);
    expect(attempts[1]?.waitMs).toBeUndefined();
  });

  it("doubles the wait after a second 429 without Retry-After (never below half the nominal delay)", async () => {
    const { gaps, attempts } = await runAgainst((n) => (n <= 2 ? fail(429) : { content: "recovered" }));
    expect(gaps).toHaveLength(2);
    expect(gaps[0]).toBeGreaterThanOrEqual(250);
    expect(gaps[1]).toBeGreaterThanOrEqual(500);
    expect(attempts[1]?.waitMs).toBeGreaterThanOrEqual(500);
    expect(attempts[1]?.waitMs).toBeLessThanOrEqual(1000);
  });

  it("honours Retry-After given in seconds", async () => {
    const { gaps, attempts } = await runAgainst((n) =>
      n === 1 ? fail(429, { retryAfterSeconds: 1 }) : { content: "recovered" },
    );
    expect(gaps[0]).toBeGreaterThanOrEqual(1000);
    expect(attempts[0]?.waitMs).toBeGreaterThanOrEqual(990);
  });

  it("honours Retry-After given as an HTTP-date", async () => {
    // An HTTP-date has whole seconds: two seconds ahead, cut down, is at least one second after the request.
    const { gaps } = await runAgainst((n) =>
      n === 1 ? fail(503, { retryAfter: new Date(Date.now() + 2000).toUTCString() }) : { content: "recovered" },
    );
    expect(gaps[0]).toBeGreaterThanOrEqual(1000);
    expect(gaps[0]).toBeLessThan(4000);
  });

  it("caps a long Retry-After at the attempt's time limit", async () => {
    const { gaps, attempts } = await runAgainst(
      (n) => (n === 1 ? fail(429, { retryAfterSeconds: 3600 }) : { content: "recovered" }),
      { workerTimeoutMs: 1200 },
    );
    expect(attempts[0]?.waitMs).toBe(1200);
    expect(gaps[0]).toBeGreaterThanOrEqual(1200);
    expect(gaps[0]).toBeLessThan(5000);
  });

  it("never waits past the run's deadline: the task ends with the budget instead", async () => {
    const started = Date.now();
    const { gaps, summary } = await runAgainst(() => fail(429, { retryAfterSeconds: 30 }), { deadlineMs: 1500 });
    expect(gaps).toEqual([]);
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(summary.tasks[0]?.status).not.toBe("done");
  });

  it("does not wait before retrying a failure the next rung changes (an empty reply)", async () => {
    const { attempts } = await runAgainst((n) => (n === 1 ? { content: "" } : { content: "recovered" }));
    expect(attempts[0]).toMatchObject({ ok: false, error: { kind: "empty" } });
    expect(attempts[0]?.waitMs).toBeUndefined();
  });
});
