import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { join } from "node:path";
import { CHILD_DEADLINE_MS, executions, runChild, type ChildRun } from "./crash.js";
import type { CrashChildOptions } from "./crash-child.js";
import {
  describeRequest,
  HeldCall,
  startOpenAIServer,
  type OpenAIServer,
  type Reply,
  type RequestView,
} from "./openai-server.js";
import type { ReviewDecision } from "../../src/state.js";
import { resolveSettings, type SettingsInput } from "../../src/settings.js";

/** Longer than any test: a step with this latency is still running when the kill comes. */
const HOLD_MS = 300_000;

/** The planner-side model calls of a run, which the loopback server can hold open until the kill. */
type Phase = "planning" | "expansion" | "replan" | "synthesis";

interface KillPoint {
  name: string;
  /** The stdout line of the child at which it is killed at once… */
  when?: (line: string) => boolean;
  /** …or once every one of these lines was printed, in any order… */
  whenAll?: string[];
  /** …or the model call the loopback server holds: the child is killed as soon as that call is held. */
  hold?: Phase;
  /**
   * Latencies of the killed run that differ from the normal ones: what must still be running at the kill (with
   * `planStreamMs`, the loopback planner writes the plan over that time).
   */
  held?: { latencies?: Record<string, number>; synthesizerMs?: number; planStreamMs?: number };
  /** Settings of the killed run and of its resume over the configuration's; they do not change the result. */
  settings?: SettingsInput;
  /** The resume's answer to a pending review. */
  answer?: ReviewDecision;
  /** Tasks whose work had finished before the kill. */
  finishedBefore: string[];
  /** No worker is in flight at the kill, so every task runs exactly once over both processes. */
  noWorkerInFlight?: boolean;
  /** The kill comes inside an eager pool (continuous scheduling, the default): not a point of waves. */
  eager?: boolean;
}

/** One way of running the crash goal, with its own uninterrupted baseline. */
interface Configuration {
  /** The plan comes from the loopback planner model (real ChatOpenAI), not from the input. */
  planner: boolean;
  settings: SettingsInput;
  latencies: Record<string, number>;
  /** The tasks whose workers run, and every task's final status. */
  workerTasks: string[];
  statuses: Record<string, string>;
  killPoints: KillPoint[];
}

const INPUT_PLAN: Configuration = {
  planner: false,
  settings: {},
  latencies: { a: 30, b: 1_200, c: 30, d: 30 },
  workerTasks: ["a", "b", "c", "d"],
  statuses: { a: "done", b: "done", c: "done", d: "done" },
  killPoints: [
    { name: "before the first wave", when: (line) => line === "EVENT plan.created", finishedBefore: [] },
    // Killed once a's result is stored (not merely returned), while b is still running.
    {
      name: "mid-wave, with one worker finished",
      when: (line) => line === "CHECKPOINTED a",
      held: { latencies: { b: HOLD_MS } },
      finishedBefore: ["a"],
    },
    {
      name: "during synthesis",
      when: (line) => line === "EVENT synthesis.started",
      held: { synthesizerMs: HOLD_MS },
      finishedBefore: ["a", "b", "c", "d"],
    },
    // Killed once a's result is stored and the pool has recorded that a landed (and so launched c), while b is still
    // running: the resume replays that record, so c is launched in the same place of the call order. (A checkpointer
    // may store the record before a's own write, as Postgres can: a kill between them runs a again.)
    {
      name: "mid-pool, after a landing is recorded",
      whenAll: ["CHECKPOINTED a", "LANDED a"],
      held: { latencies: { b: HOLD_MS } },
      finishedBefore: ["a"],
      eager: true,
    },
  ],
};

/**
 * The planner plans a, b, c (after a, complex) and d (after b and c); c is expanded into c.one and c.two when it
 * becomes ready, and the planner is asked after every wave whether to replan. Rounds: plan → a, b → replan,
 * expand c → c.one, c.two → replan → d → synthesis. In an eager pool, a's landing hands back (c is ready to
 * expand).
 */
const PLANNER_MODEL: Configuration = {
  planner: true,
  settings: { strategy: "top-down", replan: "after-wave" },
  latencies: {},
  workerTasks: ["a", "b", "c.one", "c.two", "d"],
  statuses: { a: "done", b: "done", c: "done", d: "done", "c.one": "done", "c.two": "done" },
  killPoints: [
    { name: "during planning", hold: "planning", finishedBefore: [], noWorkerInFlight: true },
    // With one slot, a's landing makes the complex c ready while b is not launched yet: the pool records it and hands
    // back to expand c. The kill comes right there; the resume replays the record, so b is not launched in that pool
    // either, and every task runs once.
    {
      name: "after a hand-back in the middle of a pool",
      whenAll: ["CHECKPOINTED a", "LANDED a"],
      settings: { maxParallel: 1 },
      finishedBefore: ["a"],
      noWorkerInFlight: true,
      eager: true,
    },
    // The plan streams for seconds: a, streamed first, has started, finished and been recorded as landed while the
    // planner is still writing. The resume asks the planner again and replays the records: a is not run again.
    {
      name: "while the plan streams, after a task started early landed",
      whenAll: ["CHECKPOINTED a", "LANDED a"],
      held: { planStreamMs: 4_000 },
      finishedBefore: ["a"],
      eager: true,
    },
    {
      name: "while a plan review is pending",
      when: (line) => line === "REVIEW PENDING",
      settings: { reviewPlan: true },
      answer: { action: "approve" },
      finishedBefore: [],
      noWorkerInFlight: true,
    },
  ],
};

const planned = (id: string, title: string, dependsOn: string[], complex = false) => ({
  id,
  title,
  description: `${title}.`,
  worker: "step",
  dependsOn,
  expectedOutput: "A step's output.",
  estimatedCost: 1,
  complex,
});

/** Which planner-side call a request is. */
function phaseOf(view: RequestView): Phase | undefined {
  if (view.structured === "replan") return "replan";
  if (view.structured === "plan") return view.prompt.includes("Break this task") ? "expansion" : "planning";
  return view.system.includes("You write the final answer") ? "synthesis" : undefined;
}

/** The loopback planner and synthesizer: the same plan, expansion and "continue" every time; an answer from the prompt. */
function plannerReply(view: RequestView): Reply {
  switch (phaseOf(view)) {
    case "planning":
      return {
        structured: {
          rationale: "Two independent steps, a complex one after a, and d last.",
          tasks: [
            planned("a", "Fast A", []),
            planned("b", "Slow B", []),
            planned("c", "C after A", ["a"], true),
            planned("d", "D after B and C", ["b", "c"]),
          ],
        },
      };
    case "expansion":
      return {
        structured: {
          rationale: "C in two parts.",
          tasks: [planned("one", "C part one", []), planned("two", "C part two", [])],
        },
      };
    case "replan":
      return { structured: { decision: "continue", reason: "on track", addTasks: [], cancelTaskIds: [] } };
    case "synthesis":
      return { content: `ANSWER ${view.prompt.length}: ${view.prompt.match(/^### .*$/gm)?.join(" | ")}` };
    default:
      throw new Error(`unexpected model call: ${view.prompt.slice(0, 80)}`);
  }
}

/** A line predicate that is true once every one of `lines` has been seen. */
function seenAll(lines: string[]): (line: string) => boolean {
  const missing = new Set(lines);
  return (line) => missing.delete(line) && missing.size === 0;
}

/**
 * The crash matrix for one checkpointer: kill a run at each point, resume it in a new process, and check that
 * every task ends done, finished work is not repeated, and the result equals an uninterrupted run. With
 * `planner`, the plan comes from the real ChatOpenAI against a loopback server, which holds the planner-side
 * call of a kill point open until the kill (planning, a replan, a top-down expansion); a pending plan review is
 * held by the run itself.
 */
export function crashMatrix(
  name: string,
  specFor: (label: string) => string,
  dir: () => string,
  { settings = {}, planner = false }: { settings?: SettingsInput; planner?: boolean } = {},
): void {
  const config = planner ? PLANNER_MODEL : INPUT_PLAN;
  describe(`crash and resume on ${name}`, () => {
    let model: OpenAIServer | undefined;
    /** The call the loopback model holds, while a kill point wants one held. */
    let holding: { phase: Phase; call: HeldCall } | undefined;
    /** How long the loopback planner takes to write the plan, while a kill point wants it slow. */
    let planStreamMs = 0;
    const options = (
      label: string,
      resume: boolean,
      execLog: string,
      extra: SettingsInput = {},
    ): CrashChildOptions => ({
      spec: specFor(label),
      // Unique per test process: Postgres thread locks are per database, and other runs may share it.
      threadId: `crash-${label}-${process.pid}`,
      execLog,
      resume,
      latencies: config.latencies,
      synthesizerMs: 1_200,
      settings: { ...config.settings, ...settings, ...extra },
      ...(model ? { modelUrl: model.url } : {}),
    });

    // The uninterrupted run every resumed run is compared with.
    let baseline: ChildRun;
    beforeAll(async () => {
      if (config.planner) {
        model = await startOpenAIServer({
          handler: (body, index, request) => {
            const view = describeRequest(body, index);
            const phase = phaseOf(view);
            const reply = {
              ...plannerReply(view),
              ...(phase === "planning" && planStreamMs ? { streamMs: planStreamMs } : {}),
            };
            const held = holding?.phase === phaseOf(view) ? holding : undefined;
            return held ? held.call.serve(request, reply) : reply;
          },
        });
      }
      const fast = Object.fromEntries(config.workerTasks.map((id) => [id, 1]));
      baseline = await runChild({
        ...options("baseline", false, join(dir(), "baseline.log")),
        latencies: fast,
        synthesizerMs: 1,
      });
    }, CHILD_DEADLINE_MS + 10_000);
    afterAll(async () => {
      await model?.close();
    });

    it("runs uninterrupted to every task done, each once", () => {
      expect(baseline.killed).toBe(false);
      expect(baseline.summary!.statuses).toEqual(config.statuses);
      const once = Object.fromEntries(config.workerTasks.map((id) => [id, 1]));
      expect(executions(join(dir(), "baseline.log"))).toEqual({ starts: once, ends: once });
    });

    const eager = resolveSettings({ context: { ...config.settings, ...settings } }).scheduling === "continuous";
    for (const point of config.killPoints.filter((point) => eager || !point.eager)) {
      // Two child processes, each bounded by its deadline.
      it(`resumes after a SIGKILL ${point.name}`, { timeout: 2 * CHILD_DEADLINE_MS + 10_000 }, async () => {
        const label = point.name.replace(/\W+/g, "-");
        const execLog = join(dir(), `${label}.log`);
        const normal = options(label, false, execLog, point.settings);
        const call = new HeldCall();
        holding = point.hold ? { phase: point.hold, call } : undefined;
        planStreamMs = point.held?.planStreamMs ?? 0;
        const killed = await runChild(
          {
            ...normal,
            latencies: { ...normal.latencies, ...point.held?.latencies },
            synthesizerMs: point.held?.synthesizerMs ?? normal.synthesizerMs,
            waitAtReview: true,
          },
          point.hold ? call.arrived.promise : point.whenAll ? seenAll(point.whenAll) : point.when,
        ).finally(() => {
          holding = undefined;
          planStreamMs = 0;
        });
        expect(killed.killed).toBe(true);
        expect(killed.summary).toBeUndefined();
        const before = executions(execLog);
        for (const id of point.finishedBefore) expect(before.ends[id], `${id} finished before the kill`).toBe(1);

        const resumed = await runChild(
          { ...normal, resume: true, ...(point.answer ? { answer: point.answer } : {}) },
          undefined,
        );
        const after = executions(execLog);
        expect(resumed.summary!.status).toBe("done");
        expect(resumed.summary!.statuses).toEqual(config.statuses);
        for (const id of point.finishedBefore) expect(after.starts[id], `${id} ran once in total`).toBe(1);
        for (const id of config.workerTasks) expect(after.ends[id], `${id} finished`).toBeGreaterThanOrEqual(1);
        if (point.noWorkerInFlight) {
          const once = Object.fromEntries(config.workerTasks.map((id) => [id, 1]));
          expect(after, "every task ran exactly once").toEqual({ starts: once, ends: once });
        }
        expect(resumed.summary!.outputs).toEqual(baseline.summary!.outputs);
        expect(resumed.summary!.answer).toBe(baseline.summary!.answer);
      });
    }
  });
}
