import { OrchestratorError } from "../errors.js";
import { assetResponse } from "./assets.js";
import type { ViewFeed } from "./feed.js";
import type { LaidOutView } from "./layout.js";
import { missingThreadPage, threadListPage, threadPage, UI_BASE, type ThreadEntry } from "./page.js";

/** Where the web view's pages get their data: the CLI's one run, or the threads of a LangGraph server. */
export interface ViewSource {
  threads(): Promise<ThreadEntry[]>;
  /** Whether the thread exists. */
  has(threadId: string): Promise<boolean>;
  /** The thread's feed, kept live while `signal` is not aborted; undefined for an unknown thread. */
  follow(threadId: string, signal: AbortSignal): Promise<ViewFeed | undefined>;
  /** Re-drives dead letters of the thread (all when `taskIds` is empty). */
  redrive(threadId: string, taskIds: string[]): Promise<void>;
}

/** The least time between two pictures sent on one event stream (bursts of events coalesce). */
export const SSE_INTERVAL_MS = 50;
const HEARTBEAT_MS = 15_000;

const html = (body: string, status = 200) =>
  new Response(body, { status, headers: { "content-type": "text/html; charset=utf-8" } });

/** The status of an error that is the caller's credentials refused (401) or lacking a right (403), if it is one. */
export function refusal(error: unknown): 401 | 403 | undefined {
  const status = (error as { status?: unknown } | undefined)?.status;
  return status === 401 || status === 403 ? status : undefined;
}

/**
 * Answers the web view's routes under `/ui` (the thread list, a thread's page, its event stream and re-drive,
 * the assets); undefined for any other path, so the caller can pass it on. A source that refuses the caller
 * (401, 403) is answered with its status.
 */
export async function handleUi(request: Request, source: ViewSource): Promise<Response | undefined> {
  try {
    return await route(request, source);
  } catch (error) {
    const status = refusal(error);
    if (!status) throw error;
    return Response.json({ error: (error as Error).message }, { status });
  }
}

async function route(request: Request, source: ViewSource): Promise<Response | undefined> {
  const path = new URL(request.url).pathname;
  if (path === UI_BASE || path === `${UI_BASE}/`) return html(threadListPage(await source.threads()));
  if (path.startsWith(`${UI_BASE}/assets/`)) return assetResponse(path.slice(`${UI_BASE}/assets/`.length));
  const match = /^\/ui\/threads\/([^/]+)(\/events|\/redrive|\/tasks\/[^/]+)?$/.exec(path);
  if (!match) return undefined;
  const threadId = decodeURIComponent(match[1]!);
  if (match[2]?.startsWith("/tasks/"))
    return taskDetail(source, threadId, decodeURIComponent(match[2].slice("/tasks/".length)));
  if (match[2] === "/redrive")
    return request.method === "POST" ? redrive(request, source, threadId) : new Response("Use POST.", { status: 405 });
  if (match[2] === "/events") return eventStream(request, source, threadId);
  return (await source.has(threadId)) ? html(threadPage(threadId)) : html(missingThreadPage(threadId), 404);
}

async function redrive(request: Request, source: ViewSource, threadId: string): Promise<Response> {
  // JSON only: a cross-site form cannot send it without a CORS preflight, which these routes never grant.
  if (!request.headers.get("content-type")?.startsWith("application/json")) {
    return Response.json({ error: "Send the re-drive as application/json." }, { status: 415 });
  }
  const taskIds = await request.json().then(
    (body: unknown) => (body as { taskIds?: unknown } | null)?.taskIds,
    () => undefined,
  );
  if (!Array.isArray(taskIds) || !taskIds.every((id) => typeof id === "string")) {
    return Response.json(
      { error: 'Expected a JSON body { "taskIds": [...] } (empty: every dead letter).' },
      { status: 400 },
    );
  }
  try {
    if (!(await source.has(threadId))) return Response.json({ error: `No thread "${threadId}".` }, { status: 404 });
    await source.redrive(threadId, taskIds);
    return Response.json({ ok: true }, { status: 202 });
  } catch (error) {
    const status = refusal(error) ?? (error instanceof OrchestratorError ? 409 : 500);
    return Response.json({ error: (error as Error).message }, { status });
  }
}

/** One task with its output and attempts (the event stream leaves them out: they are the bulk of a run's picture). */
async function taskDetail(source: ViewSource, threadId: string, taskId: string): Promise<Response> {
  const stop = new AbortController();
  try {
    const task = (await source.follow(threadId, stop.signal))?.view().tasks.find((t) => t.id === taskId);
    return task
      ? Response.json(task)
      : Response.json({ error: `No task "${taskId}" on thread "${threadId}".` }, { status: 404 });
  } finally {
    stop.abort();
  }
}

/**
 * The picture as the event stream sends it: each task's output and attempt log replaced by their sizes, so the page
 * knows when to fetch them again.
 */
export const streamed = (view: LaidOutView) => ({
  ...view,
  tasks: view.tasks.map(({ output, attemptLog, ...task }) => ({
    ...task,
    outputChars: output?.length ?? 0,
    attemptRecords: attemptLog.length,
  })),
});

/** Server-sent events: the laid-out picture (without outputs and attempt logs) as JSON, at once and after every change (coalesced). */
async function eventStream(request: Request, source: ViewSource, threadId: string): Promise<Response> {
  const stop = new AbortController();
  if (request.signal.aborted) stop.abort();
  else request.signal.addEventListener("abort", () => stop.abort(), { once: true });
  const feed = await source.follow(threadId, stop.signal);
  if (!feed) {
    stop.abort();
    return Response.json({ error: `No thread "${threadId}".` }, { status: 404 });
  }
  const encoder = new TextEncoder();
  let timer: NodeJS.Timeout | undefined;
  let last = 0;
  const stream = new ReadableStream<Uint8Array>({
    start(controller) {
      // The page left while its feed was opening: nothing to send, nothing to keep alive.
      if (stop.signal.aborted) return controller.close();
      const enqueue = (text: string) => {
        if (!stop.signal.aborted) controller.enqueue(encoder.encode(text));
      };
      const send = () => {
        timer = undefined;
        last = Date.now();
        enqueue(`data: ${JSON.stringify(streamed(feed.view()))}\n\n`);
      };
      const unsubscribe = feed.subscribe(() => {
        if (timer) return;
        timer = setTimeout(send, Math.max(0, last + SSE_INTERVAL_MS - Date.now()));
      });
      const heartbeat = setInterval(() => enqueue(": keep-alive\n\n"), HEARTBEAT_MS);
      stop.signal.addEventListener(
        "abort",
        () => {
          unsubscribe();
          clearTimeout(timer);
          clearInterval(heartbeat);
          try {
            controller.close();
          } catch {
            // already closed by the reader
          }
        },
        { once: true },
      );
      send();
    },
    cancel() {
      stop.abort();
    },
  });
  return new Response(stream, {
    headers: { "content-type": "text/event-stream", "cache-control": "no-cache", connection: "keep-alive" },
  });
}
