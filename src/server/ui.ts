import { Client } from "@langchain/langgraph-sdk";
import { readEnvironment } from "../env.js";
import { ConfigError, RunInProgressError } from "../errors.js";
import { isOrchestratorEvent } from "../events.js";
import { redriveUpdate } from "../orchestration/redrive.js";
import type { State } from "../state.js";
import { pause, ViewFeed } from "../web/feed.js";
import { refusal, type ViewSource } from "../web/routes.js";
import { viewStateOf, type ViewState } from "../web/run-view.js";

/** How often a followed thread with no active run is asked for a new one (a run started from Studio, say). */
export const IDLE_POLL_MS = 1_000;
/** The node a re-drive's state update is written as: the graph's worker node, as `createOrchestrator().redrive` does. */
const REDRIVE_AS_NODE = "worker";
const STREAM_MODES: ("custom" | "values")[] = ["custom", "values"];
const ACTIVE = ["running", "pending"] as const;

/** A followed thread: its feed, how many pages show it, and the switch of its watcher. */
export interface Followed {
  feed: ViewFeed;
  followers: number;
  stop: AbortController;
}

/** Feeds of followed threads by thread id (the promise: concurrent first looks share it). */
export type FollowedThreads = Map<string, Promise<Followed | undefined>>;

/**
 * The web view's data on a LangGraph server, through the SDK: the threads the server keeps, and for each followed
 * thread its checkpoint and the stream of its active run (joined from the start: custom events and values). One feed
 * and one watcher per followed thread, however many pages show it: `followed` may be shared by the sources of many
 * callers, since each caller's access to a thread is asked of the API (with its own `client`) before it is shown.
 */
export function serverViewSource(client: Client, followed: FollowedThreads = new Map()): ViewSource {
  return {
    threads: async () => {
      const threads = await client.threads.search<ViewState>({ limit: 50, sortBy: "updated_at", sortOrder: "desc" });
      return threads.map((thread) => ({
        threadId: thread.thread_id,
        goal: thread.values?.goal ?? "",
        status: thread.status,
        updatedAt: thread.updated_at,
      }));
    },
    has: (threadId) => unlessMissing(client.threads.get(threadId)).then(Boolean),
    follow: async (threadId, signal) => {
      // A feed opened by another caller is shared only once the API says this caller may see the thread.
      if (followed.has(threadId) && !(await unlessMissing(client.threads.get(threadId)))) return undefined;
      const shared = followed.get(threadId);
      const opening = shared ?? startFollowing(client, threadId);
      if (!shared) followed.set(threadId, opening);
      // An opening refused to the caller who started it is forgotten; a caller sharing it opens its own feed.
      const entry = await opening.catch((error: unknown) => {
        if (followed.get(threadId) === opening) followed.delete(threadId);
        if (!shared) throw error;
        return startFollowing(client, threadId);
      });
      if (!entry) {
        if (followed.get(threadId) === opening) followed.delete(threadId);
        return undefined;
      }
      entry.followers++;
      const release = () => {
        if (--entry.followers > 0) return;
        entry.stop.abort();
        if (followed.get(threadId) === opening) followed.delete(threadId);
      };
      // A page that left while the feed was opening is released at once: its abort has already fired.
      if (signal.aborted) release();
      else signal.addEventListener("abort", release, { once: true });
      return entry.feed;
    },
    redrive: async (threadId, taskIds) => {
      const thread = await client.threads.get(threadId);
      if (thread.status === "busy") throw new RunInProgressError(threadId);
      const { values } = await client.threads.getState<State>(threadId);
      await client.threads.updateState(threadId, {
        values: redriveUpdate(values, taskIds).update,
        asNode: REDRIVE_AS_NODE,
      });
      const graphId = typeof thread.metadata?.graph_id === "string" ? thread.metadata.graph_id : "orchestrator";
      await client.runs.create(threadId, graphId, { input: null, streamMode: STREAM_MODES });
    },
  };
}

/** The API's answer, or undefined when it could not give one (an unknown thread); a refusal is thrown on. */
const unlessMissing = <T>(call: Promise<T>): Promise<T | undefined> =>
  call.catch((error: unknown) => {
    if (refusal(error)) throw error;
    return undefined;
  });

/** Loads a thread's checkpoint into a new feed and starts watching it; undefined for an unknown thread. */
async function startFollowing(client: Client, threadId: string): Promise<Followed | undefined> {
  const snapshot = await unlessMissing(client.threads.getState<ViewState>(threadId));
  if (!snapshot) return undefined;
  const feed = new ViewFeed(threadId, snapshot.values?.goal ?? "");
  feed.load(viewStateOf(snapshot), true);
  const stop = new AbortController();
  void watch(client, feed, stop.signal);
  return { feed, followers: 0, stop };
}

/**
 * Follows a thread until `signal`: joins the stream of each run that becomes active (from its start, so no event
 * is missed) and loads the checkpoint whenever the thread changed, so a run that ended between two looks is caught
 * up with too.
 */
async function watch(client: Client, feed: ViewFeed, signal: AbortSignal): Promise<void> {
  let updatedAt: string | undefined;
  let joined: string | undefined;
  while (!signal.aborted) {
    try {
      const thread = await client.threads.get(feed.threadId, { signal });
      const active = thread.status === "busy" ? await activeRun(client, feed.threadId, signal) : undefined;
      if (active && active !== joined) {
        joined = active;
        feed.runStarted();
        for await (const part of client.runs.joinStream(feed.threadId, active, {
          signal,
          lastEventId: "-1",
          streamMode: STREAM_MODES,
        })) {
          if (part.event === "custom" && isOrchestratorEvent(part.data)) feed.event(part.data);
          else if (part.event === "values") feed.load(part.data as ViewState, false);
        }
      } else if (thread.updated_at === updatedAt) {
        await pause(IDLE_POLL_MS, signal);
        continue;
      }
      updatedAt = thread.updated_at;
      if (!signal.aborted) feed.load(viewStateOf(await client.threads.getState<ViewState>(feed.threadId)), true);
    } catch {
      if (!signal.aborted) await pause(IDLE_POLL_MS, signal);
    }
  }
}

/** The id of the thread's running (or else pending) run, if any. */
async function activeRun(client: Client, threadId: string, signal: AbortSignal): Promise<string | undefined> {
  for (const status of ACTIVE) {
    const [run] = await client.runs.list(threadId, { status, limit: 1, signal });
    if (run) return run.run_id;
  }
  return undefined;
}

/** Request headers that describe the hop to this server, not the caller: never sent on to the API. */
const HOP_HEADERS = new Set([
  "accept",
  "accept-encoding",
  "connection",
  "content-length",
  "content-type",
  "expect",
  "host",
  "keep-alive",
  "te",
  "trailer",
  "transfer-encoding",
  "upgrade",
]);

/** The caller's headers, its credentials among them, to send on to the API so that it authenticates the caller. */
export function forwardedHeaders(request: Request): Record<string, string> {
  return Object.fromEntries([...request.headers].filter(([name]) => !HOP_HEADERS.has(name.toLowerCase())));
}

let apiUrl: string | undefined;
const followedHere: FollowedThreads = new Map();

/**
 * The view source of this LangGraph server for one request: its own API on loopback, at the port the server exports
 * to its app as `PORT` (never the origin a request names: its Host header is the client's to choose), called with
 * the caller's own headers and no key of the server's, so the server's `auth` handler sees the caller: the same
 * identity and the same per-user filters as on `/threads`.
 */
export function ownViewSource(request: Request): ViewSource {
  if (!apiUrl) {
    const { port } = readEnvironment();
    if (!port)
      throw new ConfigError(
        "The web view cannot reach this server's API: PORT is not set (the LangGraph server sets it to the port it listens on).",
      );
    apiUrl = `http://localhost:${port}`;
  }
  const client = new Client({ apiUrl, apiKey: null, defaultHeaders: forwardedHeaders(request) });
  return serverViewSource(client, followedHere);
}
