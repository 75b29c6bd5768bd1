/**
 * A process that takes file locks when told to, for the lock race tests. Argument: the lock directory.
 *
 * Reads commands on stdin, one a line: `take <thread>` tries the thread's lock once and keeps it if won;
 * `release` lets every held lock go. Answers each with one JSON line on stdout: {@link RacerReply}. The first
 * line it prints is `{"ready":true,"pid":N}`.
 */
import { createInterface } from "node:readline";
import { fileLock, type Release } from "../../src/persistence/thread-lock.js";
import { ThreadBusyError } from "../../src/errors.js";

/** One answer of a racer. */
export type RacerReply =
  | { ready: true; pid: number }
  | { thread: string; won: true }
  | { thread: string; won: false; error: string; message: string; code?: string }
  | { released: number };

const say = (reply: RacerReply) => process.stdout.write(`${JSON.stringify(reply)}\n`);
const lock = fileLock(process.argv[2]!);
const held: Release[] = [];

say({ ready: true, pid: process.pid });
for await (const line of createInterface({ input: process.stdin })) {
  const [command, thread = ""] = line.split(" ");
  if (command === "take") {
    try {
      held.push(await lock.acquire(thread));
      say({ thread, won: true });
    } catch (error) {
      const { name, message, code } = error as NodeJS.ErrnoException;
      say({
        thread,
        won: false,
        error: error instanceof ThreadBusyError ? "ThreadBusyError" : name,
        message,
        ...(code ? { code } : {}),
      });
    }
  } else if (command === "release") {
    const releases = held.splice(0);
    for (const release of releases) await release();
    say({ released: releases.length });
  }
}
