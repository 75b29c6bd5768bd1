import { EventEmitter } from "node:events";
import { describe, expect, it, vi } from "vitest";
import { RELAY_WINDOW_MS, type SignalSource, signalsOncePerPress } from "../../src/cli/shutdown.js";

/** A process's signals and a clock the test moves. */
function fakeProcess() {
  const source = new EventEmitter();
  let now = 0;
  const signals = signalsOncePerPress(source as unknown as SignalSource, RELAY_WINDOW_MS, () => now);
  const got: string[] = [];
  const send = (signal: string, at: number) => ((now = at), source.emit(signal));
  return { source, signals, got, send, at: (time: number) => void (now = time) };
}

describe("signals once per press", () => {
  it("takes a Ctrl-C relayed within the window as the same press, and the next press after it", () => {
    const { signals, got, send } = fakeProcess();
    signals.on("SIGINT", () => got.push("SIGINT"));
    send("SIGINT", 0);
    send("SIGINT", 3);
    send("SIGINT", RELAY_WINDOW_MS - 1);
    expect(got).toEqual(["SIGINT"]);
    send("SIGINT", RELAY_WINDOW_MS);
    send("SIGINT", RELAY_WINDOW_MS + 40);
    expect(got).toEqual(["SIGINT", "SIGINT"]);
  });

  it("always counts a different signal, and tells every listener of a press once", () => {
    const { signals, got, send } = fakeProcess();
    signals.on("SIGINT", () => got.push("first SIGINT"));
    signals.on("SIGINT", () => got.push("second SIGINT"));
    signals.on("SIGTERM", () => got.push("SIGTERM"));
    send("SIGINT", 0);
    send("SIGTERM", 1);
    send("SIGTERM", 2);
    expect(got).toEqual(["first SIGINT", "second SIGINT", "SIGTERM"]);
  });

  it("listens to the process only while it has listeners, so that otherwise a signal acts as it would", () => {
    const { source, signals, got, send, at } = fakeProcess();
    const listener = () => got.push("SIGINT");
    expect(source.listenerCount("SIGINT")).toBe(0);
    signals.on("SIGINT", listener);
    expect(source.listenerCount("SIGINT")).toBe(1);
    send("SIGINT", 0);
    // A relay that comes after the listener changed is still the press already taken.
    signals.off("SIGINT", listener);
    signals.on("SIGINT", listener);
    send("SIGINT", 10);
    expect(got).toEqual(["SIGINT"]);
    at(RELAY_WINDOW_MS + 10);
    signals.off("SIGINT", listener);
    expect(source.listenerCount("SIGINT")).toBe(0);
  });

  it("keeps taking a press's relays for the rest of its window after the last listener left, then lets go", () => {
    vi.useFakeTimers();
    try {
      const { source, signals, got, send, at } = fakeProcess();
      const listener = () => got.push("SIGINT");
      signals.on("SIGINT", listener);
      send("SIGINT", 0);
      at(200);
      signals.off("SIGINT", listener);
      // The command is winding down: npm's relay must not find the process without a handler (it would be killed).
      expect(source.listenerCount("SIGINT")).toBe(1);
      send("SIGINT", 250);
      expect(got).toEqual(["SIGINT"]);
      vi.advanceTimersByTime(RELAY_WINDOW_MS - 200);
      expect(source.listenerCount("SIGINT")).toBe(0);
    } finally {
      vi.useRealTimers();
    }
  });
});
