import { monitorEventLoopDelay } from "node:perf_hooks";

/** Runs `work` while sampling how late the event loop runs (1 ms resolution): its value, and the delay's p99 and max in ms. */
export async function withLoopDelay<T>(work: () => Promise<T>): Promise<{ value: T; p99Ms: number; maxMs: number }> {
  const delay = monitorEventLoopDelay({ resolution: 1 });
  delay.enable();
  let value: T;
  try {
    value = await work();
  } finally {
    delay.disable();
  }
  return { value, p99Ms: delay.percentile(99) / 1e6, maxMs: delay.max / 1e6 };
}
