import { describe, expect, it } from "vitest";
import { partialPlanTasks, PlanStreamHandler } from "../../src/plan/plan-stream.js";

const tasks = Array.from({ length: 6 }, (_, i) => ({
  id: `t${i}`,
  title: `Task ${i} {with braces} in its "title"`,
  worker: "researcher",
  dependsOn: i ? [`t${i - 1}`] : [],
  ...(i === 2 ? { meta: { nested: { deeper: true } } } : {}),
}));
const json = JSON.stringify({ rationale: "A plan } with { braces.", tasks });

/** The token after which each task is handed out, when the text is cut in tokens of `size` characters. */
function handOuts(size: number): { at: number; id: string }[] {
  const out: { at: number; id: string }[] = [];
  let token = 0;
  const handler = new PlanStreamHandler((task) => out.push({ at: token, id: (task as { id: string }).id }));
  for (let i = 0; i < json.length; i += size, token++) handler.handleLLMNewToken(json.slice(i, i + size), {}, "run");
  return out;
}

/** The same, parsing the whole text after every token: a task is complete once the next one has begun. */
function everyToken(size: number): { at: number; id: string }[] {
  const out: { at: number; id: string }[] = [];
  for (let end = size, token = 0; end - size < json.length; end += size, token++) {
    const seen = partialPlanTasks(json.slice(0, end)) ?? [];
    for (let k = out.length; k < seen.length - 1; k++) out.push({ at: token, id: (seen[k] as { id: string }).id });
  }
  return out;
}

describe("the plan stream's reader", () => {
  it.each([1, 2, 3, 5, 8, 13, 40])(
    "hands out each task at the token where the next begins, in tokens of %i characters, braces in strings and nested objects included",
    (size) => {
      const expected = everyToken(size);
      expect(expected.map((handed) => handed.id)).toEqual(["t0", "t1", "t2", "t3", "t4"]);
      expect(handOuts(size)).toEqual(expected);
    },
  );
});
