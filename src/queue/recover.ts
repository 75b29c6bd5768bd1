import type { BaseCheckpointSaver, CheckpointTuple } from "@langchain/langgraph";
import type { SettingsInput } from "../index.js";
import { connect, DELIVER_ONCE, resolveQueueOptions, type QueueOptions } from "./connection.js";
import { runQueue, type RunJobData } from "./runs.js";

/** A run the checkpointer holds unfinished: started (its input checkpointed), no answer yet, not waiting for a human. */
interface UnfinishedRun {
  threadId: string;
  goal: string;
  runId: string;
  /** The settings it started under, as its state keeps them. */
  settings?: SettingsInput;
}

/**
 * Where `recoverRuns` looks for runs: a checkpointer, or an open checkpointer (`openCheckpointer`'s handle), which
 * lists its threads and reads only each one's latest checkpoint instead of every checkpoint there is.
 */
export type RecoverSource = BaseCheckpointSaver | { saver: BaseCheckpointSaver; threadIds(): Promise<string[]> };

/** The latest root checkpoint of every thread in `source`. */
async function latestCheckpoints(source: RecoverSource): Promise<Map<string, CheckpointTuple>> {
  const latest = new Map<string, CheckpointTuple>();
  if ("threadIds" in source) {
    for (const threadId of await source.threadIds()) {
      const tuple = await source.saver.getTuple({ configurable: { thread_id: threadId, checkpoint_ns: "" } });
      if (tuple) latest.set(threadId, tuple);
    }
    return latest;
  }
  for await (const tuple of source.list({})) {
    const { thread_id: threadId, checkpoint_ns: namespace } = tuple.config.configurable ?? {};
    if (typeof threadId !== "string" || (namespace ?? "") !== "") continue;
    const seen = latest.get(threadId);
    if (!seen || seen.checkpoint.id < tuple.checkpoint.id) latest.set(threadId, tuple);
  }
  return latest;
}

/** The unfinished runs of `source`'s threads. */
async function unfinishedRuns(source: RecoverSource): Promise<UnfinishedRun[]> {
  const runs: UnfinishedRun[] = [];
  for (const [threadId, tuple] of await latestCheckpoints(source)) {
    const values = tuple.checkpoint.channel_values as {
      goal?: unknown;
      runId?: unknown;
      answer?: unknown;
      runSettings?: SettingsInput;
    };
    const waitsForHuman = tuple.pendingWrites?.some(([, channel]) => channel === "__interrupt__") ?? false;
    if (typeof values.goal !== "string" || typeof values.runId !== "string" || values.answer || waitsForHuman) continue;
    runs.push({
      threadId,
      goal: values.goal,
      runId: values.runId,
      ...(values.runSettings ? { settings: values.runSettings } : {}),
    });
  }
  return runs;
}

/**
 * Re-enqueues every unfinished run of the shared checkpointer that has no job on the queue (its Redis lost it: a
 * restart without persistence, an eviction): same thread, same run id, so an executor continues it from its last
 * checkpoint, under the settings it started with (its state keeps them). Returns the threads re-enqueued. Give it
 * the handle of `openCheckpointer` rather than its saver: a saver alone can only be read whole.
 */
export async function recoverRuns(queue: QueueOptions, source: RecoverSource): Promise<string[]> {
  const options = resolveQueueOptions(queue);
  const unfinished = await unfinishedRuns(source);
  const connection = await connect(options.url);
  const runs = runQueue(options, connection);
  try {
    const recovered: string[] = [];
    for (const { threadId, goal, runId, settings } of unfinished) {
      if (await runs.getJob(threadId)) continue;
      const data: RunJobData = { goal, runId, ...(settings ? { settings } : {}) };
      await runs.add("run", data, { jobId: threadId, ...DELIVER_ONCE });
      recovered.push(threadId);
    }
    return recovered;
  } finally {
    await runs.close();
    connection.disconnect();
  }
}
