/**
 * Import boundaries (.dependency-cruiser.cjs, the same rules `npm run lint` runs): the real tree keeps them,
 * and fixture trees under test/fixtures/boundaries that break them on purpose are caught, by rule and file.
 */
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { cruise, format, type ICruiseOptions, type ICruiseResult, type IViolation } from "dependency-cruiser";
import extractDepcruiseOptions from "dependency-cruiser/config-utl/extract-depcruise-options";
import extractTSConfig from "dependency-cruiser/config-utl/extract-ts-config";
import { beforeAll, describe, expect, it } from "vitest";

const ROOT = resolve(import.meta.dirname, "../..");
const CONFIG = resolve(ROOT, ".dependency-cruiser.cjs");
const TSCONFIG = resolve(ROOT, "tsconfig.json");
const FIXTURES = resolve(ROOT, "test/fixtures/boundaries");
/** What `npm run lint` cruises; a fixture tree has some of these folders. */
const SCOPE = ["src", "nodes", "graphs", "test"];

interface Check {
  result: ICruiseResult;
  /** One line per violation: `rule: from → to`, or `rule: a → b → a` for a cycle. */
  lines: string[];
  /** What the CLI prints (the `err` reporter). */
  report: string;
}

let options: ICruiseOptions;
let tsConfig: ReturnType<typeof extractTSConfig>;

function describeViolation(violation: IViolation): string {
  const path = violation.cycle
    ? [violation.from, ...violation.cycle.map((step) => step.name)]
    : [violation.from, violation.to];
  return `${violation.rule.name}: ${path.join(" → ")}`;
}

/** Cruises `baseDir` as if it were the project root, with the project's rules. */
async function check(baseDir: string): Promise<Check> {
  const folders = SCOPE.filter((folder) => existsSync(resolve(baseDir, folder)));
  const { output } = await cruise(folders, { ...options, baseDir, tsConfig: { fileName: TSCONFIG } }, undefined, {
    tsConfig,
  });
  if (typeof output === "string") throw new Error(`cruise returned a report, not a result: ${output}`);
  const { output: report } = await format(output, { outputType: "err" });
  return { result: output, lines: output.summary.violations.map(describeViolation).sort(), report: String(report) };
}

beforeAll(async () => {
  options = await extractDepcruiseOptions(CONFIG);
  tsConfig = extractTSConfig(TSCONFIG);
});

describe("the real tree", () => {
  let real: Check;
  beforeAll(async () => {
    real = await check(ROOT);
  });

  it("keeps every import boundary and has no import cycle", () => {
    expect(real.lines, real.report).toEqual([]);
  });

  it("is cruised whole: every layer, the tests, and type-only imports", () => {
    const cruised = real.result.modules.map((module) => module.source);
    for (const file of [
      "src/index.ts",
      "src/state.ts",
      "src/app/orchestrator.ts",
      "graphs/orchestrator.ts",
      "nodes/worker.ts",
      "src/cli/main.ts",
    ]) {
      expect(cruised).toContain(file);
    }
    expect(cruised.some((file) => file.startsWith("test/unit/"))).toBe(true);
    expect(cruised.some((file) => file.startsWith("test/fixtures/"))).toBe(false);
    const typeOnly = real.result.modules
      .flatMap((module) => module.dependencies)
      .filter((dep) => dep.dependencyTypes.includes("type-only"));
    expect(typeOnly.length).toBeGreaterThan(0);
  });
});

describe("a fixture tree that uses every allowed kind of import", () => {
  it("passes the check", async () => {
    const allowed = await check(resolve(FIXTURES, "allowed"));
    expect(allowed.lines, allowed.report).toEqual([]);
    expect(allowed.result.summary.totalCruised).toBeGreaterThanOrEqual(15);
  });
});

describe("a fixture tree with one forbidden import per file", () => {
  const cases: { what: string; rule: string; from: string; to: string }[] = [
    {
      what: "a root file importing a subfolder (type-only)",
      rule: "root-imports-only-root",
      from: "src/deps.ts",
      to: "src/workers/registry.ts",
    },
    {
      what: "persistence importing workers",
      rule: "persistence-imports-only-root",
      from: "src/persistence/store.ts",
      to: "src/workers/registry.ts",
    },
    {
      what: "a worker importing orchestration",
      rule: "workers-imports-only-below",
      from: "src/workers/execute.ts",
      to: "src/orchestration/dispatch.ts",
    },
    {
      what: "a worker importing orchestration dynamically",
      rule: "workers-imports-only-below",
      from: "src/workers/lazy.ts",
      to: "src/orchestration/dispatch.ts",
    },
    {
      what: "the planner importing an example",
      rule: "plan-imports-only-below",
      from: "src/plan/planner.ts",
      to: "src/examples/trip.ts",
    },
    {
      what: "orchestration importing a node",
      rule: "orchestration-imports-only-below",
      from: "src/orchestration/policy.ts",
      to: "nodes/names.ts",
    },
    {
      what: "a node importing the CLI",
      rule: "nodes-imports-only-below",
      from: "nodes/synthesizer.ts",
      to: "src/cli/report.ts",
    },
    {
      what: "a graph importing app",
      rule: "graphs-imports-only-below",
      from: "graphs/wiring.ts",
      to: "src/app/run.ts",
    },
    {
      what: "app importing the CLI",
      rule: "app-imports-only-below",
      from: "src/app/orchestrator.ts",
      to: "src/cli/report.ts",
    },
    {
      what: "index re-exporting an example",
      rule: "index-imports-only-below",
      from: "src/index.ts",
      to: "src/examples/trip.ts",
    },
    {
      what: "an example importing orchestration",
      rule: "examples-imports-only-workers-plan-root",
      from: "src/examples/bookings.ts",
      to: "src/orchestration/dispatch.ts",
    },
    {
      what: "the CLI importing the server",
      rule: "cli-imports-only-below",
      from: "src/cli/main.ts",
      to: "src/server/app.ts",
    },
    {
      what: "the server importing graphs",
      rule: "only-app-imports-graphs",
      from: "src/server/client.ts",
      to: "graphs/main.ts",
    },
    {
      what: "the server importing an example",
      rule: "server-imports-only-below",
      from: "src/server/demo.ts",
      to: "src/examples/trip.ts",
    },
    {
      what: "the queue importing the CLI",
      rule: "queue-imports-only-below",
      from: "src/queue/job.ts",
      to: "src/cli/report.ts",
    },
    {
      what: "the queue importing the web view",
      rule: "queue-imports-only-below",
      from: "src/queue/view.ts",
      to: "src/web/page.ts",
    },
    {
      what: "the web view importing orchestration",
      rule: "web-imports-only-root",
      from: "src/web/feed.ts",
      to: "src/orchestration/dispatch.ts",
    },
    { what: "an import of a missing file", rule: "imports-resolve", from: "src/workers/broken.ts", to: "./missing.js" },
  ];
  let violations: Check;
  beforeAll(async () => {
    violations = await check(resolve(FIXTURES, "violations"));
  });

  for (const { what, rule, from, to } of cases) {
    it(`reports ${what} under ${rule}, naming ${from}`, () => {
      expect(violations.lines).toContain(`${rule}: ${from} → ${to}`);
      expect(violations.report).toContain(`${rule}: ${from} → ${to}`);
    });
  }

  it("fails the check with exactly those violations and no others", () => {
    expect(violations.result.summary.error).toBe(cases.length);
    expect(violations.lines).toEqual(cases.map(({ rule, from, to }) => `${rule}: ${from} → ${to}`).sort());
  });
});

describe("a fixture tree with an import cycle", () => {
  it("reports the cycle under no-circular, type-only edge included", async () => {
    const cycle = await check(resolve(FIXTURES, "cycle"));
    expect(cycle.lines).toEqual(["no-circular: src/plan/a.ts → src/plan/b.ts → src/plan/a.ts"]);
    expect(cycle.report).toContain("no-circular: src/plan/a.ts");
  });
});
