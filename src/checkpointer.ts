import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { MemorySaver, type BaseCheckpointSaver } from "@langchain/langgraph";
import { CheckpointerSpecError } from "./errors.js";

/** Where the CLI keeps checkpoints by default. */
export const DEFAULT_CHECKPOINTER = "sqlite:.orchestrator/checkpoints.db";

/** An open checkpointer and how to release it. */
export interface CheckpointerHandle {
  saver: BaseCheckpointSaver;
  /** `memory`, `sqlite` or `postgres`. */
  kind: "memory" | "sqlite" | "postgres";
  /** The SQLite file, when there is one (run logs go next to it). */
  path?: string;
  close(): Promise<void>;
}

export interface CheckpointerOptions {
  /** Postgres schema for the checkpoint tables (default `public`). */
  schema?: string;
}

/** Opens a checkpointer from a spec: `memory`, `sqlite:PATH` (or `sqlite::memory:`), or `postgres://…`. */
export async function openCheckpointer(spec: string, options: CheckpointerOptions = {}): Promise<CheckpointerHandle> {
  if (spec === "memory") return { saver: new MemorySaver(), kind: "memory", close: async () => {} };
  if (spec.startsWith("sqlite:")) {
    const path = spec.slice("sqlite:".length);
    if (!path) throw new CheckpointerSpecError(spec);
    const { SqliteSaver } = await import("@langchain/langgraph-checkpoint-sqlite");
    if (path !== ":memory:") mkdirSync(dirname(path), { recursive: true });
    const saver = SqliteSaver.fromConnString(path);
    return {
      saver,
      kind: "sqlite",
      ...(path !== ":memory:" ? { path } : {}),
      close: async () => {
        if (saver.db.open) saver.db.close();
      },
    };
  }
  if (/^postgres(ql)?:\/\//.test(spec)) {
    const { PostgresSaver } = await import("@langchain/langgraph-checkpoint-postgres");
    const saver = PostgresSaver.fromConnString(spec, options.schema ? { schema: options.schema } : {});
    await saver.setup();
    return { saver, kind: "postgres", close: () => saver.end() };
  }
  throw new CheckpointerSpecError(spec);
}
