/** The only module that reads process.env: every environment input of the package, typed. */
export interface Environment {
  openaiApiKey?: string;
  openaiBaseUrl?: string;
  postgresUrl?: string;
  checkpointer?: string;
  /** The job queue of `--queue`, the executor, the task worker and `npm run queue` (a redis:// URL). */
  queueUrl?: string;
  /** The LangGraph server the example client talks to, and its key. */
  langgraphApiUrl?: string;
  langgraphApiKey?: string;
  /** Port of `npm run dev`; in the LangGraph server, the port it listens on (it sets PORT), where the web view calls its API. */
  port?: string;
  /** A workers file (JSON) the server's graph takes its workers from instead of the defaults. */
  workersFile?: string;
}

/** Reads the environment variables the package understands. */
export function readEnvironment(env: NodeJS.ProcessEnv = process.env): Environment {
  const clean = (value: string | undefined) => (value && value.trim() !== "" ? value.trim() : undefined);
  return {
    openaiApiKey: clean(env.OPENAI_API_KEY),
    openaiBaseUrl: clean(env.OPENAI_BASE_URL),
    postgresUrl: clean(env.POSTGRES_URL),
    checkpointer: clean(env.ORCHESTRATOR_CHECKPOINTER),
    queueUrl: clean(env.ORCHESTRATOR_QUEUE),
    langgraphApiUrl: clean(env.LANGGRAPH_API_URL),
    langgraphApiKey: clean(env.LANGGRAPH_API_KEY) ?? clean(env.LANGSMITH_API_KEY),
    port: clean(env.PORT),
    workersFile: clean(env.ORCHESTRATOR_WORKERS),
  };
}
