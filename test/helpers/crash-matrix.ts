import { beforeAll, describe, expect, it } from "vitest";
import { join } from "node:path";
import { CHILD_DEADLINE_MS, executions, runChild, type ChildRun } from "./crash.js";
import type { CrashChildOptions } from "./crash-child.js";
import type { SettingsInput } from "../../src/settings.js";

/** Longer than any test: a step with this latency is still running when the kill comes. */
const HOLD_MS = 300_000;

interface KillPoint {
  name: string;
  /** The stdout line of the child at which it is killed at once. */
  when: (line: string) => boolean;
  /** Latencies of the killed run that differ from the normal ones: what must still be running at the kill. */
  held?: { latencies?: Record<string, number>; synthesizerMs?: number };
  /** Tasks whose work had finished before the kill. */
  finishedBefore: string[];
}

const KILL_POINTS: KillPoint[] = [
  { name: "before the first wave", when: (line) => line === "EVENT plan.created", finishedBefore: [] },
  // Killed once a's result is stored (not merely returned), while b is still running.
  { name: "mid-wave, with one worker finished", when: (line) => line === "CHECKPOINTED a", held: { latencies: { b: HOLD_MS } }, finishedBefore: ["a"] },
  { name: "during synthesis", when: (line) => line === "EVENT synthesis.started", held: { synthesizerMs: HOLD_MS }, finishedBefore: ["a", "b", "c", "d"] },
];

const LATENCIES = { a: 30, b: 1_200, c: 30, d: 30 };
const SYNTHESIZER_MS = 1_200;

/**
 * The crash matrix for one checkpointer: kill a run at each point, resume it in a new process, and check that
 * every task ends done exactly once, finished work is not repeated, and the result equals an uninterrupted run.
 */
export function crashMatrix(name: string, specFor: (label: string) => string, dir: () => string, settings: SettingsInput = {}): void {
  describe(`crash and resume on ${name}`, () => {
    const options = (label: string, resume: boolean, execLog: string): CrashChildOptions => ({
      spec: specFor(label),
      // Unique per test process: Postgres thread locks are per database, and other runs may share it.
      threadId: `crash-${label}-${process.pid}`,
      execLog,
      resume,
      latencies: LATENCIES,
      synthesizerMs: SYNTHESIZER_MS,
      settings,
    });

    // The uninterrupted run every resumed run is compared with.
    let baseline: ChildRun;
    beforeAll(async () => {
      baseline = await runChild({ ...options("baseline", false, join(dir(), "baseline.log")), latencies: { a: 1, b: 1, c: 1, d: 1 }, synthesizerMs: 1 });
    }, CHILD_DEADLINE_MS + 10_000);

    it("runs uninterrupted to every task done, each once", () => {
      expect(baseline.killed).toBe(false);
      expect(baseline.summary!.statuses).toEqual({ a: "done", b: "done", c: "done", d: "done" });
      expect(executions(join(dir(), "baseline.log"))).toEqual({ starts: { a: 1, b: 1, c: 1, d: 1 }, ends: { a: 1, b: 1, c: 1, d: 1 } });
    });

    for (const point of KILL_POINTS) {
      it(
        `resumes after a SIGKILL ${point.name}`,
        async () => {
          const label = point.name.replace(/\W+/g, "-");
          const execLog = join(dir(), `${label}.log`);
          const normal = options(label, false, execLog);
          const killed = await runChild(
            { ...normal, latencies: { ...normal.latencies, ...point.held?.latencies }, synthesizerMs: point.held?.synthesizerMs ?? normal.synthesizerMs },
            point.when,
          );
          expect(killed.killed).toBe(true);
          expect(killed.summary).toBeUndefined();
          const before = executions(execLog);
          for (const id of point.finishedBefore) expect(before.ends[id], `${id} finished before the kill`).toBe(1);

          const resumed = await runChild(options(label, true, execLog), undefined);
          const after = executions(execLog);
          expect(resumed.summary!.statuses).toEqual({ a: "done", b: "done", c: "done", d: "done" });
          for (const id of point.finishedBefore) expect(after.starts[id], `${id} ran once in total`).toBe(1);
          for (const id of ["a", "b", "c", "d"]) expect(after.ends[id], `${id} finished`).toBeGreaterThanOrEqual(1);
          expect(resumed.summary!.outputs).toEqual(baseline.summary!.outputs);
          expect(resumed.summary!.answer).toBe(baseline.summary!.answer);
          // Two child processes, each bounded by its deadline.
        },
        2 * CHILD_DEADLINE_MS + 10_000,
      );
    }
  });
}
