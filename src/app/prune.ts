import { rmSync } from "node:fs";
import type { CheckpointerHandle } from "../persistence/checkpointer.js";
import { ConfigError, ThreadBusyError } from "../errors.js";
import { openAIProvider } from "../models.js";
import { defaultRegistry } from "../workers/defaults.js";
import { runNamespace } from "../workers/memory.js";
import { compileOrchestrator } from "../../graphs/orchestrator.js";

/** What {@link pruneThreads} deletes. */
export interface PruneOptions {
  /** Threads whose last checkpoint is older than this (ms) are deleted, if finished. */
  olderThanMs: number;
  /** The time the age is measured from (default: now). */
  now?: number;
  /** The run log of a thread, deleted with it (none when absent). */
  runLog?: (threadId: string) => string | undefined;
  /** Lists what would be deleted and deletes nothing. */
  dryRun?: boolean;
}

/** Why a thread was kept: too recent, not finished (running on, interrupted, stopped mid-run), or held by a run now. */
export type KeptBecause = "recent" | "unfinished" | "running";

/** The threads deleted (or, dry, that would be) and those kept, with why. */
export interface PruneResult {
  pruned: string[];
  kept: Record<string, KeptBecause>;
}

/**
 * Deletes finished threads older than `olderThanMs`: their checkpoints, their runs' shared memory in the store and
 * their run logs. A thread is finished when its last checkpoint has nothing left to run and waits for no answer;
 * a thread some run holds (its lock is taken) is never touched, and each deleted thread is held while it goes.
 */
export async function pruneThreads(handle: CheckpointerHandle, options: PruneOptions): Promise<PruneResult> {
  // Only read (getState): no worker or model runs.
  const deps = { registry: defaultRegistry(), models: openAIProvider() };
  const graph = compileOrchestrator(deps, { checkpointer: handle.saver, store: handle.store });
  const cutoff = (options.now ?? Date.now()) - options.olderThanMs;
  const result: PruneResult = { pruned: [], kept: {} };
  for (const threadId of await handle.threadIds()) {
    let release: () => Promise<void>;
    try {
      release = await handle.lock.acquire(threadId);
    } catch (error) {
      if (!(error instanceof ThreadBusyError)) throw error;
      result.kept[threadId] = "running";
      continue;
    }
    try {
      const snapshot = await graph.getState({ configurable: { thread_id: threadId } });
      const waiting = snapshot.next.length > 0 || snapshot.tasks.some((task) => (task.interrupts ?? []).length > 0);
      if (waiting) result.kept[threadId] = "unfinished";
      else if (Date.parse(snapshot.createdAt ?? "") > cutoff) result.kept[threadId] = "recent";
      else {
        if (!options.dryRun) await deleteThread(handle, threadId, options.runLog?.(threadId));
        result.pruned.push(threadId);
      }
    } finally {
      await release();
    }
  }
  return result;
}

/** Deletes a thread's store entries (every run's memory namespace), run log and checkpoints, the checkpoints last. */
async function deleteThread(handle: CheckpointerHandle, threadId: string, runLog: string | undefined): Promise<void> {
  const runIds = new Set<string>();
  for await (const tuple of handle.saver.list({ configurable: { thread_id: threadId } })) {
    const runId = tuple.checkpoint.channel_values.runId;
    if (typeof runId === "string" && runId) runIds.add(runId);
  }
  for (const runId of runIds) {
    for (;;) {
      const items = await handle.store.search(runNamespace(runId), { limit: 100 });
      if (items.length === 0) break;
      await Promise.all(items.map((item) => handle.store.delete(item.namespace, item.key)));
    }
  }
  if (runLog) rmSync(runLog, { force: true });
  await handle.saver.deleteThread(threadId);
}

const UNIT_MS = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/** Parses an age such as `30d`, `12h`, `90m` or `45s`; a clear error naming the bad value otherwise. */
export function parseAge(value: string, flag = "--older-than"): number {
  const match = /^(\d+)([smhd])$/.exec(value.trim());
  if (!match)
    throw new ConfigError(`Invalid ${flag} ${JSON.stringify(value)}: use a number and a unit, e.g. 30d, 12h, 90m.`);
  return Number(match[1]) * UNIT_MS[match[2] as keyof typeof UNIT_MS];
}
