// @ts-check
/**
 * Import boundaries: imports point one way.
 *
 *   cli, a2a → queue, server → index → app → graphs → nodes → orchestration → plan → workers → persistence, root files
 *
 * A layer may import any layer below it, never one above. The root vocabulary files (src/*.ts but
 * index.ts, and src/budget/) import only each other; persistence imports only root files. examples/ sits beside the
 * kernel: it imports only workers/, plan/ and root files, and only cli/ imports it. server/ may import
 * cli/ (the dev-server launcher's entry-point check), never the reverse. cli/ may import queue/ (the
 * --queue, executor, task-worker and status commands), never the reverse. src/web/ is the web view both
 * serve (view model, layout, page, routes): it imports only root files, and only cli/, server/ and a2a/ import it.
 * src/a2a/ serves the orchestrator as an A2A agent (an entry point beside cli/ and server/): it imports cli/ (exit
 * codes, flags), web/ (the loopback Host check), index and the kernel; server/ may import it (the dev server's /a2a mount). The A2A worker kind lives
 * in workers/.
 * src/app/ is the only src/ folder that imports graphs/. No cycles. Type-only imports count (tsPreCompilationDeps).
 * test/** is exempt from layering, but its imports of project files must resolve.
 *
 * Run: npm run lint (or: npx depcruise src nodes graphs test --config .dependency-cruiser.cjs).
 * test/unit/boundaries.test.ts runs the same rules over the real tree and over test/fixtures/boundaries.
 */

/**
 * Folders of the project as regex fragments; ROOT is the root vocabulary: a file of src/ (but index.ts), or of
 * src/budget/ (usage, budgets and the meter: vocabulary in a folder of its own).
 */
const ROOT = "src/(?!index\\.ts$)[^/]+$|src/budget/";
const INDEX = "src/index\\.ts$";
const PERSISTENCE = "src/persistence/";
const WORKERS = "src/workers/";
const PLAN = "src/plan/";
const ORCHESTRATION = "src/orchestration/";
const NODES = "nodes/";
const GRAPHS = "graphs/";
const APP = "src/app/";
const CLI = "src/cli/";
const SERVER = "src/server/";
const QUEUE = "src/queue/";
const EXAMPLES = "src/examples/";
const WEB = "src/web/";
const A2A = "src/a2a/";

/** Anchors fragments at the start of a path (paths are relative to the directory depcruise runs in). */
const any = (...fragments) => `^(?:${fragments.join("|")})`;

/** Project code, as opposed to node_modules and node: built-ins. */
const PROJECT = any("src/", NODES, GRAPHS);

/** Everything a layer may import besides itself, bottom up. */
const KERNEL = [ROOT, PERSISTENCE, WORKERS, PLAN, ORCHESTRATION, NODES, GRAPHS, APP];
const below = (layer) => KERNEL.slice(0, KERNEL.indexOf(layer));

/**
 * One rule per layer: files under `from` may import project files only under `allowed`.
 * The rule's name is what a violation reports, so each name says who broke which boundary.
 */
const onlyImports = (name, from, allowed, comment) => ({
  name,
  comment,
  severity: "error",
  from: { path: any(from) },
  to: { path: PROJECT, pathNot: any(...allowed) },
});

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    onlyImports(
      "root-imports-only-root",
      ROOT,
      [ROOT],
      "A root vocabulary file (src/*.ts but index.ts, or src/budget/) imports only other root files: nothing in another subfolder, graphs/ or nodes/.",
    ),
    onlyImports(
      "persistence-imports-only-root",
      PERSISTENCE,
      [PERSISTENCE, ROOT],
      "src/persistence/ imports only root files.",
    ),
    onlyImports(
      "workers-imports-only-below",
      WORKERS,
      [WORKERS, ...below(WORKERS)],
      "src/workers/ imports only persistence/ and root files.",
    ),
    onlyImports(
      "plan-imports-only-below",
      PLAN,
      [PLAN, ...below(PLAN)],
      "src/plan/ imports only workers/, persistence/ and root files.",
    ),
    onlyImports(
      "orchestration-imports-only-below",
      ORCHESTRATION,
      [ORCHESTRATION, ...below(ORCHESTRATION)],
      "src/orchestration/ imports only plan/, workers/, persistence/ and root files.",
    ),
    onlyImports(
      "nodes-imports-only-below",
      NODES,
      [NODES, ...below(NODES)],
      "nodes/ imports only orchestration/, plan/, workers/, persistence/ and root files.",
    ),
    onlyImports(
      "graphs-imports-only-below",
      GRAPHS,
      [GRAPHS, ...below(GRAPHS)],
      "graphs/ imports only nodes/ and the layers below it.",
    ),
    onlyImports(
      "app-imports-only-below",
      APP,
      [APP, ...below(APP)],
      "src/app/ imports only graphs/ and the layers below it.",
    ),
    onlyImports(
      "index-imports-only-below",
      INDEX,
      [...KERNEL],
      "src/index.ts re-exports the kernel (app/ and below); never cli/, server/, queue/ or examples/.",
    ),
    onlyImports(
      "examples-imports-only-workers-plan-root",
      EXAMPLES,
      [EXAMPLES, WORKERS, PLAN, ROOT],
      "src/examples/ sits beside the kernel: it imports only workers/, plan/ and root files.",
    ),
    onlyImports(
      "web-imports-only-root",
      WEB,
      [WEB, ROOT],
      "src/web/ (the web view the CLI and the server serve) imports only root files.",
    ),
    onlyImports(
      "cli-imports-only-below",
      CLI,
      [CLI, QUEUE, WEB, INDEX, EXAMPLES, ...KERNEL],
      "src/cli/ imports queue/, web/, index, the kernel and examples/; never server/.",
    ),
    onlyImports(
      "server-imports-only-below",
      SERVER,
      [SERVER, CLI, WEB, A2A, INDEX, ...KERNEL],
      "src/server/ imports cli/, web/, a2a/, index and the kernel; never queue/ or examples/.",
    ),
    onlyImports(
      "a2a-imports-only-below",
      A2A,
      [A2A, CLI, WEB, INDEX, ...KERNEL],
      "src/a2a/ imports cli/, web/ (the loopback Host check), index and the kernel; never server/, queue/ or examples/.",
    ),
    onlyImports(
      "queue-imports-only-below",
      QUEUE,
      [QUEUE, INDEX, ...KERNEL],
      "src/queue/ imports index and the kernel; never cli/, server/, web/ or examples/.",
    ),
    {
      name: "only-app-imports-graphs",
      comment:
        "src/app/ is the only src/ folder that imports graphs/ (src/index.ts re-exports the graph through the layering rule).",
      severity: "error",
      from: { path: "^src/", pathNot: any(APP, INDEX) },
      to: { path: any(GRAPHS) },
    },
    {
      name: "no-circular",
      comment: "No import cycles in src/, nodes/ or graphs/ (type-only imports included).",
      severity: "error",
      from: { path: PROJECT },
      to: { circular: true },
    },
    {
      name: "imports-resolve",
      comment: "Every relative import of src/, nodes/, graphs/ and test/ resolves to a file.",
      severity: "error",
      from: { path: any("src/", NODES, GRAPHS, "test/") },
      to: { couldNotResolve: true },
    },
  ],
  options: {
    doNotFollow: { path: ["node_modules"] },
    // test/bench/deepagents/ is the deepagents peer's own package, installed by the bench on demand (not by `npm ci`).
    exclude: {
      path: [
        "(^|/)node_modules/",
        "^test/fixtures/",
        "^test/bench/deepagents/",
        "^\\.langgraph_api/",
        "^\\.orchestrator/",
        "^coverage/",
      ],
    },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: "tsconfig.json" },
    enhancedResolveOptions: {
      exportsFields: ["exports"],
      conditionNames: ["import", "require", "node", "default", "types"],
      mainFields: ["module", "main", "types", "typings"],
      extensions: [".ts", ".js", ".mjs", ".cjs", ".json"],
    },
    skipAnalysisNotInRules: true,
    cache: false,
    reporterOptions: {
      text: { highlightFocused: true },
    },
  },
};
