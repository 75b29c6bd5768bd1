import { defineConfig } from "vitest/config";

/**
 * Files that load the whole machine (forty CLI processes at once): they run after the rest, on their own, so that
 * other files' CLI processes are not starved past their deadlines on 2 cores.
 */
const ALONE = ["test/system/postgres-connections.test.ts"];

export default defineConfig({
  test: {
    // Two files at a time: most system tests wait on servers and child processes, so on 2 cores the suite runs in
    // about half the time of vitest's default here (cores - 1 = one file at a time).
    maxWorkers: 2,
    testTimeout: 30_000,
    hookTimeout: 60_000,
    env: { LANGSMITH_TRACING: "false", LANGCHAIN_TRACING_V2: "false", OPENAI_API_KEY: "", OPENAI_BASE_URL: "" },
    projects: [
      { extends: true, test: { name: "suite", include: ["test/**/*.test.ts"], exclude: ALONE } },
      { extends: true, test: { name: "alone", include: ALONE, sequence: { groupOrder: 1 } } },
    ],
  },
});
