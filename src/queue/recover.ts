import type { BaseCheckpointSaver, CheckpointTuple } from "@langchain/langgraph";
import { connect, DELIVER_ONCE, resolveQueueOptions, type QueueOptions } from "./connection.js";
import { runQueue, type RunJobData } from "./runs.js";

/** A run the checkpointer holds unfinished: started (its input checkpointed), no answer yet, not waiting for a human. */
interface UnfinishedRun {
  threadId: string;
  goal: string;
  runId: string;
}

/** The latest root checkpoint of every thread in `saver`. */
async function latestCheckpoints(saver: BaseCheckpointSaver): Promise<Map<string, CheckpointTuple>> {
  const latest = new Map<string, CheckpointTuple>();
  for await (const tuple of saver.list({})) {
    const { thread_id: threadId, checkpoint_ns: namespace } = tuple.config.configurable ?? {};
    if (typeof threadId !== "string" || (namespace ?? "") !== "") continue;
    const seen = latest.get(threadId);
    if (!seen || seen.checkpoint.id < tuple.checkpoint.id) latest.set(threadId, tuple);
  }
  return latest;
}

/** The unfinished runs of `saver`'s threads. */
async function unfinishedRuns(saver: BaseCheckpointSaver): Promise<UnfinishedRun[]> {
  const runs: UnfinishedRun[] = [];
  for (const [threadId, tuple] of await latestCheckpoints(saver)) {
    const values = tuple.checkpoint.channel_values as { goal?: unknown; runId?: unknown; answer?: unknown };
    const waitsForHuman = tuple.pendingWrites?.some(([, channel]) => channel === "__interrupt__") ?? false;
    if (typeof values.goal !== "string" || typeof values.runId !== "string" || values.answer || waitsForHuman) continue;
    runs.push({ threadId, goal: values.goal, runId: values.runId });
  }
  return runs;
}

/**
 * Re-enqueues every unfinished run of the shared checkpointer that has no job on the queue (its Redis lost it: a
 * restart without persistence, an eviction): same thread, same run id, so an executor continues it from its last
 * checkpoint. The run's own settings were in the lost job: it continues under the executor's. Returns the threads
 * re-enqueued.
 */
export async function recoverRuns(queue: QueueOptions, saver: BaseCheckpointSaver): Promise<string[]> {
  const options = resolveQueueOptions(queue);
  const unfinished = await unfinishedRuns(saver);
  const connection = await connect(options.url);
  const runs = runQueue(options, connection);
  try {
    const recovered: string[] = [];
    for (const { threadId, goal, runId } of unfinished) {
      if (await runs.getJob(threadId)) continue;
      const data: RunJobData = { goal, runId };
      await runs.add("run", data, { jobId: threadId, ...DELIVER_ONCE });
      recovered.push(threadId);
    }
    return recovered;
  } finally {
    await runs.close();
    connection.disconnect();
  }
}
