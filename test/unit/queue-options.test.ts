import { describe, expect, it } from "vitest";
import { ConfigError, QueueUrlError } from "../../src/errors.js";
import { resolveQueueOptions } from "../../src/queue/connection.js";

describe("queue options", () => {
  it("take the key prefix from the URL's ?prefix= and connect without it", () => {
    expect(resolveQueueOptions({ url: "redis://127.0.0.1:6379/2?prefix=team-a" })).toEqual({ url: "redis://127.0.0.1:6379/2", prefix: "team-a", maxQueued: 1000 });
  });

  it("default the prefix and the bound on queued runs", () => {
    expect(resolveQueueOptions({ url: "rediss://cache.example:6380" })).toMatchObject({ prefix: "orchestrator", maxQueued: 1000 });
  });

  it("refuse a Postgres URL, saying why the queue is on Redis, without the password", () => {
    const error = (() => {
      try {
        resolveQueueOptions({ url: "postgres://app:secret@db/x" });
      } catch (caught) {
        return caught as Error;
      }
    })();
    expect(error).toBeInstanceOf(QueueUrlError);
    expect(error?.message).toContain("postgres://app:***@db/x");
    expect(error?.message).toContain("Node 22.12");
    expect(error?.message).not.toContain("secret");
  });

  it("refuse a URL that is not one, naming it", () => {
    expect(() => resolveQueueOptions({ url: "localhost:6379" })).toThrow(/Unknown job queue URL "localhost:6379"/);
  });

  it("name a bad prefix or bound with its value", () => {
    expect(() => resolveQueueOptions({ url: "redis://h?prefix=a:b" })).toThrow(ConfigError);
    expect(() => resolveQueueOptions({ url: "redis://h?prefix=a:b" })).toThrow('Invalid queue option prefix: "a:b"');
    expect(() => resolveQueueOptions({ url: "redis://h", maxQueued: 0 })).toThrow("Invalid queue option maxQueued: 0");
  });
});
