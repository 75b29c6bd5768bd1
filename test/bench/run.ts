/**
 * `npm run bench [-- --json] [--quick] [--only a,b]`: the benchmark harness of issue 7 (not part of `npm test`).
 * Tracing is switched off before LangChain loads: with no network, LangSmith would hold the process ~86 s.
 */
process.env.LANGSMITH_TRACING = "false";
process.env.LANGCHAIN_TRACING_V2 = "false";
process.env.OPENAI_API_KEY = "";
process.env.OPENAI_BASE_URL = "";

const { main } = await import("./main.js");
process.exitCode = await main(process.argv.slice(2));
