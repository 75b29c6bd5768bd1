import { createHash, randomBytes } from "node:crypto";
import { linkSync, mkdirSync, readFileSync, unlinkSync, writeFileSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { LockFileError, OrchestratorError, ThreadBusyError } from "../errors.js";

/** Releases a held lock. */
export type Release = () => Promise<void>;

/** Keeps two invocations off one thread at the same time. */
export interface ThreadLock {
  /** Takes the thread or throws `ThreadBusyError` at once. */
  acquire(threadId: string): Promise<Release>;
}

/** A lock within this process. */
export function processLock(): ThreadLock {
  const held = new Set<string>();
  return {
    async acquire(threadId) {
      if (held.has(threadId)) throw new ThreadBusyError(threadId, "in this process");
      held.add(threadId);
      return async () => void held.delete(threadId);
    },
  };
}

/** Lock files this process holds, whichever orchestrator took them. */
const heldFiles = processLock();

/**
 * Whether the process runs. A process killed but not yet reaped by its parent (a zombie, state `Z` in
 * `/proc/<pid>/stat`) answers signal 0, yet holds nothing any more: it counts as dead.
 */
const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM" && !zombie(pid);
  }
  return !zombie(pid);
};

/** Whether /proc says the process is a zombie (false where there is no /proc). */
function zombie(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // The command name (in parentheses) may hold spaces and parentheses: the state follows the last ")".
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) === "Z";
  } catch {
    return false;
  }
}

/** How often one claim retries while the lock file keeps changing hands under it. */
const MAX_TRIES = 200;

/** What a claim ends in: the file is ours, it belongs to this live process, or it kept changing hands. */
type Claim = "won" | number | "contended";

/** The guard file that whoever takes over the stale lock file at `path`, holding `content`, must hold first. */
export function takeOverPath(path: string, content: string): string {
  const digest = createHash("sha256").update(basename(path)).update("\0").update(content).digest("hex");
  return join(dirname(path), `${digest.slice(0, 32)}.takeover`);
}

/**
 * A lock across processes on one machine: a lock file per thread holding the owner's pid (and a nonce). A file
 * left by a process that died (SIGKILL, crash) is stale and taken over.
 *
 * Why two processes can never both hold it:
 * - A lock file appears whole or not at all. Its content is written to a private temp file first, which is
 *   then hard-linked to the lock path; `link` fails with EEXIST if the path exists, atomically. So a reader
 *   never sees an empty or half-written lock file, and never takes one for stale.
 * - Only two things remove a lock file: its owner releasing it, and a take-over of a file whose owner is dead.
 *   Every file's content is unique (pid and nonce). Taking over the file holding C needs the guard file
 *   `takeOverPath(path, C)`, claimed by this same procedure; its holder re-reads the lock file and removes it
 *   only if it still holds C. While the guard is held the file cannot stop holding C without being removed,
 *   and nobody else may remove it (its owner is dead; other takers need the guard), so nothing can come
 *   between that check and the unlink. After a take-over, everyone competes again through `link`: one wins.
 * - A taker that dies holding its guard leaves the guard stale, and the next taker takes the guard over the
 *   same way (a guard of the guard): each level needs another death inside that short window.
 * A pid that was reused by an unrelated live process reads as busy until its file is deleted.
 */
export function fileLock(directory: string): ThreadLock {
  mkdirSync(directory, { recursive: true });
  return {
    async acquire(threadId) {
      const path = join(directory, `${encodeURIComponent(threadId)}.lock`);
      const releaseLocal = await heldFiles.acquire(path).catch(() => {
        throw new ThreadBusyError(threadId, "in this process");
      });
      let claim: Claim;
      try {
        claim = await claimFile(path, `${process.pid} ${randomBytes(8).toString("hex")}\n`, threadId);
      } catch (error) {
        await releaseLocal();
        if (error instanceof OrchestratorError) throw error;
        const why = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
        throw new LockFileError(`Cannot take the lock file ${path} of thread "${threadId}" (${why}).`, {
          cause: error,
        });
      }
      if (claim !== "won") {
        await releaseLocal();
        throw new ThreadBusyError(
          threadId,
          claim === "contended" ? "in another process (its lock file kept changing hands)" : `in process ${claim}`,
        );
      }
      return async () => {
        try {
          removeFile(path);
        } finally {
          await releaseLocal();
        }
      };
    },
  };
}

/** Creates the file at `path` holding `content` (see {@link fileLock}), taking it over if its owner is dead. */
async function claimFile(path: string, content: string, threadId: string): Promise<Claim> {
  const temp = join(dirname(path), `.${process.pid}-${randomBytes(6).toString("hex")}.tmp`);
  writeFileSync(temp, content, { flag: "wx" });
  try {
    for (let tries = 0; tries < MAX_TRIES; tries++) {
      if (linked(temp, path)) return "won";
      const seen = readFile(path);
      // Released or taken over since the link failed: try again.
      if (seen === undefined) continue;
      const owner = ownerOf(seen, path, threadId);
      if (owner !== process.pid && alive(owner)) return owner;
      const guard = takeOverPath(path, seen);
      if ((await claimFile(guard, content, threadId)) !== "won") {
        // Another process is taking it over: wait for it to finish, then see who holds the lock.
        await new Promise((resolve) => setTimeout(resolve, 2 + Math.random() * 8));
        continue;
      }
      try {
        if (readFile(path) === seen) unlinkSync(path);
      } finally {
        removeFile(guard);
      }
    }
    return "contended";
  } finally {
    removeFile(temp);
  }
}

/** Links `from` to `to`; false when `to` exists. */
function linked(from: string, to: string): boolean {
  try {
    linkSync(from, to);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "EEXIST") return false;
    throw error;
  }
}

/** The file's text, or undefined when there is no file. */
function readFile(path: string): string | undefined {
  try {
    return readFileSync(path, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
}

function removeFile(path: string): void {
  try {
    unlinkSync(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
  }
}

/** The pid a lock file names; a clear error when it names none. */
function ownerOf(content: string, path: string, threadId: string): number {
  const pid = /^(\d+)(?:\s|$)/.exec(content)?.[1];
  if (pid === undefined) {
    throw new LockFileError(
      `The lock file ${path} of thread "${threadId}" holds no process id (it holds ${JSON.stringify(content.slice(0, 80))}). ` +
        "If no run is using the thread, delete the file.",
    );
  }
  return Number(pid);
}
