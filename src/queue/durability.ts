import type { Redis } from "ioredis";
import { redact } from "../persistence/checkpointer.js";
import { connect } from "./connection.js";

/** One setting of the server, or undefined when it does not let us read it (CONFIG disabled, as on some hosted Redis). */
async function configOf(connection: Redis, name: string): Promise<string | undefined> {
  try {
    const reply = (await connection.config("GET", name)) as string[];
    return reply[1];
  } catch {
    return undefined;
  }
}

/**
 * What makes the Redis at `connection` unfit to hold the queue, as BullMQ states its requirements: it keeps nothing
 * across a restart (neither AOF nor RDB snapshots), or it may evict keys (`maxmemory-policy` other than
 * `noeviction`). An empty list when it is fit.
 */
export async function durabilityProblems(connection: Redis): Promise<string[]> {
  const [appendonly, save, policy] = await Promise.all(
    ["appendonly", "save", "maxmemory-policy"].map((name) => configOf(connection, name)),
  );
  if (appendonly === undefined && save === undefined && policy === undefined)
    return ["its configuration cannot be read (CONFIG is disabled), so persistence and eviction are unchecked"];
  const problems: string[] = [];
  if (appendonly === "no" && save !== undefined && save.trim() === "")
    problems.push("it does not persist (appendonly no, no RDB save points): a restart loses every queued job");
  if (policy !== undefined && policy !== "noeviction")
    problems.push(`its maxmemory-policy is ${policy}: under memory pressure it may evict the queue's keys`);
  return problems;
}

/** A warning for an executor's stderr when the queue's Redis may lose or evict jobs; "" when it is fit. */
export async function durabilityWarning(url: string): Promise<string> {
  const connection = await connect(url);
  try {
    const problems = await durabilityProblems(connection);
    if (!problems.length) return "";
    return (
      `Warning: the job queue's Redis at ${redact(url)} may lose runs: ${problems.join("; ")}. ` +
      "Run it with appendonly yes (or RDB save points) and maxmemory-policy noeviction, as BullMQ requires; " +
      "runs whose jobs were lost are re-enqueued from the checkpointer by npm run queue -- recover.\n"
    );
  } finally {
    connection.disconnect();
  }
}
