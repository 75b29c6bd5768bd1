import { describe, expect, it } from "vitest";
import { retryAfterMs, retryWaitMs } from "../../src/workers/backoff.js";

const wait = (fields: Partial<Parameters<typeof retryWaitMs>[0]>) =>
  retryWaitMs({ kind: "server", retry: 1, limitMs: 60_000, ...fields });

describe("the wait before a retry", () => {
  it("is exponential with jitter between half and all of the nominal delay", () => {
    expect([1, 2, 3].map((retry) => wait({ retry, random: () => 0 }))).toEqual([250, 500, 1000]);
    expect([1, 2, 3].map((retry) => wait({ retry, random: () => 0.999_999 }))).toEqual([500, 1000, 2000]);
  });

  it("is capped at 10 s, at the attempt's time limit and at the run's deadline", () => {
    expect(wait({ retry: 12, random: () => 1 })).toBe(10_000);
    expect(wait({ retryAfterMs: 3_600_000 })).toBe(10_000);
    expect(wait({ retryAfterMs: 5000, limitMs: 800 })).toBe(800);
    expect(wait({ retryAfterMs: 5000, deadlineAt: Date.now() + 300 })).toBeLessThanOrEqual(300);
    expect(wait({ retryAfterMs: 5000, deadlineAt: Date.now() - 10 })).toBe(0);
  });

  it("takes Retry-After over back-off, and is none for failures the next rung changes", () => {
    expect(wait({ kind: "rate_limit", retryAfterMs: 1500 })).toBe(1500);
    expect(wait({ kind: "empty" })).toBe(0);
    expect(wait({ kind: "schema", retryAfterMs: 0 })).toBe(0);
  });
});

describe("a Retry-After header", () => {
  const headers = (values: Record<string, string>) => (name: string) => values[name];

  it("reads delay-seconds, an HTTP-date and OpenAI's retry-after-ms", () => {
    const now = Date.parse("2026-12-07T12:00:00Z");
    expect(retryAfterMs(headers({ "retry-after": "2" }), now)).toBe(2000);
    expect(retryAfterMs(headers({ "retry-after": "Mon, 07 Dec 2026 12:00:05 GMT" }), now)).toBe(5000);
    expect(retryAfterMs(headers({ "retry-after": "Mon, 07 Dec 2026 11:00:00 GMT" }), now)).toBe(0);
    expect(retryAfterMs(headers({ "retry-after-ms": "750", "retry-after": "9" }), now)).toBe(750);
  });

  it("is none when absent or unreadable", () => {
    expect(retryAfterMs(headers({}))).toBeUndefined();
    expect(retryAfterMs(headers({ "retry-after": "soon" }))).toBeUndefined();
  });
});
