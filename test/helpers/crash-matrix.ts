import { describe, expect, it } from "vitest";
import { join } from "node:path";
import { executions, runChild, type ChildRun } from "./crash.js";
import type { CrashChildOptions } from "./crash-child.js";
import type { SettingsInput } from "../../src/settings.js";

interface KillPoint {
  name: string;
  when: (line: string) => boolean;
  delayMs: number;
  /** Tasks whose work had finished before the kill. */
  finishedBefore: string[];
}

const KILL_POINTS: KillPoint[] = [
  { name: "before the first wave", when: (line) => line === "EVENT plan.created", delayMs: 0, finishedBefore: [] },
  { name: "mid-wave, with one worker finished", when: (line) => line === "FINISHED a", delayMs: 200, finishedBefore: ["a"] },
  { name: "during synthesis", when: (line) => line === "EVENT synthesis.started", delayMs: 100, finishedBefore: ["a", "b", "c", "d"] },
];

const LATENCIES = { a: 30, b: 1_200, c: 30, d: 30 };
const SYNTHESIZER_MS = 1_200;

/**
 * The crash matrix for one checkpointer: kill a run at each point, resume it in a new process, and check that
 * every task ends done exactly once, finished work is not repeated, and the result equals an uninterrupted run.
 */
export function crashMatrix(name: string, specFor: (label: string) => string, dir: () => string, settings: SettingsInput = {}): void {
  describe(`crash and resume on ${name}`, () => {
    let baseline: ChildRun;
    const options = (label: string, resume: boolean, execLog: string): CrashChildOptions => ({
      spec: specFor(label),
      threadId: `crash-${label}`,
      execLog,
      resume,
      latencies: LATENCIES,
      synthesizerMs: SYNTHESIZER_MS,
      settings,
    });

    it("runs uninterrupted as the baseline", async () => {
      baseline = await runChild({ ...options("baseline", false, join(dir(), "baseline.log")), latencies: { a: 1, b: 1, c: 1, d: 1 }, synthesizerMs: 1 });
      expect(baseline.summary!.statuses).toEqual({ a: "done", b: "done", c: "done", d: "done" });
    });

    for (const point of KILL_POINTS) {
      it(`resumes after a SIGKILL ${point.name}`, async () => {
        const label = point.name.replace(/\W+/g, "-");
        const execLog = join(dir(), `${label}.log`);
        const killed = await runChild(options(label, false, execLog), point.when, point.delayMs);
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
      });
    }
  });
}
