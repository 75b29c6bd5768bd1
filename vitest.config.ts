import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // Two files at a time: most system tests wait on servers and child processes, so on 2 cores the suite runs in
    // about half the time of vitest's default here (cores - 1 = one file at a time).
    maxWorkers: 2,
    testTimeout: 30_000,
    hookTimeout: 60_000,
    env: { LANGSMITH_TRACING: "false", LANGCHAIN_TRACING_V2: "false", OPENAI_API_KEY: "", OPENAI_BASE_URL: "" },
  },
});
