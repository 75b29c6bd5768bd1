import { setTimeout as delay } from "node:timers/promises";
import { describe, expect, it } from "vitest";
import { createOrchestrator, functionWorker } from "../../src/index.js";
import type { OrchestratorEvent } from "../../src/events.js";
import { task } from "../helpers/fixtures.js";
import { scriptedProvider } from "../helpers/scripted-model.js";
import { deferred } from "../helpers/wait.js";

/** Counts a worker's invocations in flight, and the most at once. */
function inFlight() {
  const counter = { now: 0, most: 0, total: 0 };
  const track = async <T>(work: () => Promise<T>): Promise<T> => {
    counter.now++;
    counter.total++;
    counter.most = Math.max(counter.most, counter.now);
    try {
      return await work();
    } finally {
      counter.now--;
    }
  };
  return { counter, track };
}

const orchestratorWith = (run: () => Promise<string>) =>
  createOrchestrator({
    checkpointer: "memory",
    models: scriptedProvider({}, { configured: false }),
    workers: [functionWorker({ name: "stubborn", description: "Ignores its abort signal.", run })],
  });

const plan = { tasks: [task("a", [], { worker: "stubborn" }), task("b", [], { worker: "stubborn" })] };

describe("a worker that ignores its abort signal", () => {
  it.each(["continuous", "waves"] as const)(
    "keeps its slot until it settles, so maxParallel 1 never runs two at once (%s scheduling)",
    async (scheduling) => {
      const { counter, track } = inFlight();
      // 400 ms of work that never looks at its signal, under a 50 ms time limit.
      const orchestrator = await orchestratorWith(() => track(() => delay(400, "late")));
      const summary = await orchestrator.run("stubborn work", {
        plan,
        settings: { maxParallel: 1, workerTimeoutMs: 50, maxRetries: 1, scheduling, replan: "never" },
      });
      expect(counter).toEqual({ now: 0, most: 1, total: 4 });
      expect(summary.deadLetters.map((letter) => [letter.taskId, letter.error.kind])).toEqual([
        ["a", "timeout"],
        ["b", "timeout"],
      ]);
    },
  );

  it("that never settles is dead-lettered as hung after the grace period, reported, and does not wedge the run", async () => {
    const { counter, track } = inFlight();
    const never = deferred();
    const events: OrchestratorEvent[] = [];
    let calls = 0;
    const orchestrator = await orchestratorWith(() =>
      ++calls === 1 ? track(() => never.promise.then(() => "too late")) : Promise.resolve("b done"),
    );
    const summary = await orchestrator.run("one hangs", {
      plan,
      settings: { maxParallel: 1, workerTimeoutMs: 50, hungGraceMs: 200, replan: "never" },
      onEvent: (event) => events.push(event),
    });
    expect(summary.tasks.map((t) => [t.id, t.status])).toEqual([
      ["a", "dead"],
      ["b", "done"],
    ]);
    const letter = summary.deadLetters[0]!;
    expect(letter.error).toEqual({
      kind: "hung",
      message:
        "attempt 1 was stopped (attempt 1 timed out after 50 ms) but its worker was still running 200 ms later: it ignores its abort signal, so it was abandoned",
      retryable: false,
    });
    expect(letter.attempts).toHaveLength(1);
    expect(summary.notes).toContain(
      'Task "a": its worker ignored its time limit and was abandoned still running (it may hold resources until it ends).',
    );
    expect(events.filter((e) => e.type === "task.failed" || e.type === "task.dead").map((e) => e.type)).toEqual([
      "task.failed",
      "task.dead",
    ]);
    expect(counter.now).toBe(1);
    never.resolve();
  });
});
