import { randomUUID } from "node:crypto";
import { Redis } from "ioredis";
import { messageText, type Handler } from "./openai-server.js";

/** The Redis of the queue tests (`.ci/run` sets it when a server answers on 127.0.0.1:6379). */
export const REDIS_URL = process.env.REDIS_URL;
if (!REDIS_URL) console.warn("The Redis queue tier is skipped: REDIS_URL is not set (.ci/run sets it).");

/** Queue URLs with a fresh key prefix each, and the removal of every key under them. */
export function queuePrefixes(name: string): {
  url: () => string;
  prefixOf: (url: string) => string;
  cleanUp: () => Promise<void>;
} {
  const prefixes: string[] = [];
  return {
    url: () => {
      const prefix = `i15-${name}-${process.pid}-${randomUUID().slice(0, 8)}`;
      prefixes.push(prefix);
      return `${REDIS_URL}${REDIS_URL!.includes("?") ? "&" : "?"}prefix=${prefix}`;
    },
    prefixOf: (url) => new URL(url).searchParams.get("prefix")!,
    cleanUp: async () => {
      const redis = new Redis(REDIS_URL!);
      for (const prefix of prefixes.splice(0)) {
        const keys = await redis.keys(`${prefix}:*`);
        if (keys.length) await redis.del(...keys);
      }
      redis.disconnect();
    },
  };
}

/** Which model call a request is: `<run>/<task>` from the goal (`queued run N`) and the worker prompt, `<run>/synthesis` otherwise. */
export const markerOf = (body: Parameters<Handler>[0]): string => {
  const text = body.messages.map(messageText).join("\n");
  return `${/queued run (\d+)/.exec(text)?.[1] ?? "?"}/${/Your task "(\w+)"/.exec(text)?.[1] ?? "synthesis"}`;
};

/** A loopback handler that counts the model requests per marker; `special` may answer a request itself. */
export const countingHandler = (
  counts: Map<string, number>,
  special?: (marker: string, request: Parameters<Handler>[2]) => ReturnType<Handler> | undefined,
): Handler => {
  return (body, _index, request) => {
    const marker = markerOf(body);
    counts.set(marker, (counts.get(marker) ?? 0) + 1);
    return special?.(marker, request) ?? { content: `result of ${marker}`, delayMs: 20 };
  };
};
