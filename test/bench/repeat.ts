import { median } from "./stats.js";

/** Small real runs are repeated and their median kept: one noisy timer tick should not decide a figure. */
export const REPEATS = 5;

/** Runs `measure` `times` times in a row; the median of its numeric result. */
export async function medianOf(times: number, measure: (i: number) => Promise<number>): Promise<number> {
  const values: number[] = [];
  for (let i = 0; i < times; i++) values.push(await measure(i));
  return median(values);
}
