/**
 * The package as a user gets it: `npm pack` (which builds dist/ through `prepack`), the tarball installed into a fresh
 * consumer project from the npm cache, then used there from plain Node, from a strict NodeNext TypeScript project and
 * through its `orchestrator` command. One pack and one install serve every case.
 *
 * The install skips dependencies' install scripts: better-sqlite3's native build (about 70 s of CPU) is its own step,
 * not the package's, and nothing here opens a SQLite file (the script uses the memory checkpointer).
 */
import { execFile } from "node:child_process";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { beforeAll, describe, expect, it } from "vitest";
import { tempDirs } from "../helpers/temp-dirs.js";

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const TSC = join(ROOT, "node_modules/typescript/bin/tsc");
const MINUTES = 60_000;
const tempDir = tempDirs("orchestrator-package-");

/** One file of `npm pack --json`'s listing. */
interface PackedFile {
  path: string;
}

let packed: PackedFile[] = [];
let consumer = "";

/** Runs a command, resolving with its exit code and output whatever the code. */
async function outcome(file: string, args: string[], cwd: string, timeout = 3 * MINUTES) {
  try {
    const { stdout, stderr } = await run(file, args, { cwd, timeout, maxBuffer: 64 * 1024 * 1024 });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code?: number; stdout?: string; stderr?: string };
    return { code: failed.code ?? 1, stdout: failed.stdout ?? "", stderr: failed.stderr ?? "" };
  }
}

/** Packs the project and installs the tarball into a new ESM project that depends on nothing else. */
async function packAndInstall(): Promise<void> {
  const dir = tempDir();
  const { stdout } = await run("npm", ["pack", "--json", "--pack-destination", dir], {
    cwd: ROOT,
    timeout: 4 * MINUTES,
    maxBuffer: 16 * 1024 * 1024,
  });
  const [entry] = JSON.parse(stdout) as { filename: string; files: PackedFile[] }[];
  packed = entry!.files;
  consumer = join(dir, "consumer");
  mkdirSync(consumer);
  writeFileSync(join(consumer, "package.json"), JSON.stringify({ name: "consumer", private: true, type: "module" }));
  await run(
    "npm",
    ["install", "--prefer-offline", "--ignore-scripts", "--no-audit", "--no-fund", join(dir, entry!.filename)],
    { cwd: consumer, timeout: 6 * MINUTES },
  );
}

const SCRIPT = `
import { createOrchestrator, functionWorker } from "langgraph-orchestrator";
import { queueStatus } from "langgraph-orchestrator/queue";

const echo = functionWorker({
  name: "echo",
  description: "Says what it did, and what its dependency said.",
  run: async (input) => [\`did \${input.task.id}\`, ...Object.values(input.dependencies).map((dep) => dep.output)].join(" after "),
});
const orchestrator = await createOrchestrator({ checkpointer: "memory", workers: [echo] });
const plan = {
  tasks: [
    { id: "first", title: "First", description: "The first step.", worker: "echo" },
    { id: "second", title: "Second", description: "The second step.", worker: "echo", dependsOn: ["first"] },
  ],
};
const summary = await orchestrator.run("Two steps in order", { plan });
await orchestrator.close();
const tasks = summary.tasks.map(({ id, status, output }) => ({ id, status, output }));
console.log(JSON.stringify({ status: summary.status, tasks, queueStatus: typeof queueStatus }));
`;

const TYPED = `
import { createOrchestrator, functionWorker, type RunSummary, type SettingsInput } from "langgraph-orchestrator";
import { submitRun, type QueueOptions } from "langgraph-orchestrator/queue";

const echo = functionWorker({ name: "echo", description: "Echoes.", run: async (input) => input.task.title });
const settings: SettingsInput = { maxParallel: 2 };
const orchestrator = await createOrchestrator({ checkpointer: "memory", workers: [echo], settings });
const summary: RunSummary = await orchestrator.run("A goal");
const queue: QueueOptions = { url: "redis://127.0.0.1:6379" };
export const uses = [summary.status, queue, submitRun];
`;

const WRONG = `
import type { SettingsInput } from "langgraph-orchestrator";

export const settings: SettingsInput = { maxParallel: "four" };
`;

const TSCONFIG = {
  compilerOptions: { target: "ES2022", module: "NodeNext", moduleResolution: "NodeNext", strict: true, noEmit: true },
  include: ["*.ts"],
};

describe("the installed package", () => {
  beforeAll(packAndInstall, 12 * MINUTES);

  it("ships the compiled package with its types and the web view's assets, no tests, in at most 250 files", () => {
    const paths = packed.map((file) => file.path);
    expect(paths).toEqual(
      expect.arrayContaining([
        "package.json",
        "README.md",
        "dist/src/index.js",
        "dist/src/index.d.ts",
        "dist/src/queue/index.js",
        "dist/src/cli/bin.js",
        "dist/src/web/client/view.js",
        "dist/src/web/client/view.css",
        "dist/src/examples/trip/plan.json",
      ]),
    );
    expect(paths.filter((path) => path.startsWith("test/") || path.includes(".test."))).toEqual([]);
    expect(paths.filter((path) => path.endsWith(".ts") && !path.endsWith(".d.ts"))).toEqual([]);
    expect(paths.length).toBeLessThanOrEqual(250);
  });

  it("completes a 2-task plan with function workers from a plain Node ESM script", async () => {
    writeFileSync(join(consumer, "run.mjs"), SCRIPT);
    const { stdout } = await run(process.execPath, ["run.mjs"], { cwd: consumer, timeout: MINUTES });
    expect(JSON.parse(stdout)).toEqual({
      status: "done",
      tasks: [
        { id: "first", status: "done", output: "did first" },
        { id: "second", status: "done", output: "did second after did first" },
      ],
      queueStatus: "function",
    });
  });

  it(
    "type-checks a strict NodeNext consumer without skipLibCheck, and reports its deliberate type error",
    async () => {
      writeFileSync(join(consumer, "tsconfig.json"), JSON.stringify(TSCONFIG));
      writeFileSync(join(consumer, "typed.ts"), TYPED);
      writeFileSync(join(consumer, "wrong.ts"), WRONG);
      const { code, stdout } = await outcome(process.execPath, [TSC, "-p", "."], consumer, 6 * MINUTES);
      const errors = stdout.split("\n").filter((line) => /error TS\d+/.test(line));
      expect(errors).toHaveLength(1);
      expect(errors[0]).toMatch(/^wrong\.ts\(4,42\): error TS2322: Type 'string' is not assignable to type 'number/);
      expect(code).not.toBe(0);
    },
    7 * MINUTES,
  );

  it(
    "runs `npx orchestrator --help` as compiled JavaScript, with no tsx installed",
    async () => {
      const { stdout } = await run("npx", ["orchestrator", "--help"], { cwd: consumer, timeout: MINUTES });
      expect(stdout).toMatch(/^Usage: orchestrator "<goal>" \[options\]/);
      expect(existsSync(join(consumer, "node_modules/tsx"))).toBe(false);
    },
    MINUTES,
  );
});
