import { setTimeout as sleep } from "node:timers/promises";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { Readable } from "node:stream";
import { ConfigError, RunInProgressError } from "../errors.js";
import type { OrchestratorEvent } from "../events.js";
import { chosenDeadLetters } from "../orchestration/redrive.js";
import { pause, ViewFeed } from "../web/feed.js";
import { foreignHostResponse, isLoopbackHost } from "../web/host.js";
import { threadPath } from "../web/page.js";
import { handleUi, type ViewSource } from "../web/routes.js";
import type { ViewState } from "../web/run-view.js";

/** How long the CLI keeps its web view up after the run, unless Ctrl-C ends it sooner. */
export const LINGER_MS = 120_000;
/** The least time between two checkpoint reads while a page is open: the run, in this process, comes first. */
const REFRESH_SPACING_MS = 200;

/** What the CLI's web view shows and how it re-drives. */
export interface WebViewOptions {
  threadId: string;
  goal: string;
  /** Reads the thread's checkpointed state. */
  state: () => Promise<ViewState>;
  /** Re-drives dead letters (all when empty); events of that run go to `onEvent` of the returned view. */
  redrive: (taskIds: string[]) => Promise<unknown>;
  /** Port on 127.0.0.1 (default 0: any free port). */
  port?: number;
  host?: string;
}

/** The CLI's web view of one run: a local HTTP server with the page, fed by the run's events and checkpoints. */
export interface WebView {
  /** The page of the run. */
  readonly url: string;
  /** A lifecycle event of the run. */
  onEvent(event: OrchestratorEvent): void;
  /** The run stopped: the page shows the checkpointed state as it is now. */
  settle(): Promise<void>;
  /** Keeps the page up for `ms` after the last re-drive from the page finished, or until `stop` is aborted. */
  linger(ms: number, stop: AbortSignal): Promise<void>;
  close(): Promise<void>;
}

/**
 * Reads checkpoints one at a time while events come in: a poke during a read asks for one more read after it,
 * so the page catches up with the run without a read per event.
 */
class Refresher {
  private reading: Promise<void> | undefined;
  private again = false;

  constructor(private readonly read: () => Promise<void>) {}

  poke(): void {
    if (this.reading) {
      this.again = true;
      return;
    }
    this.reading = this.loop().finally(() => {
      this.reading = undefined;
    });
  }

  /** Settles when no read is in flight. */
  async idle(): Promise<void> {
    while (this.reading) await this.reading;
  }

  private async loop(): Promise<void> {
    for (;;) {
      this.again = false;
      await this.read().catch(() => undefined);
      if (!this.again) return;
      await sleep(REFRESH_SPACING_MS);
    }
  }
}

/** Starts the web view's server and shows the thread's checkpointed state at once. */
export async function startWebView(options: WebViewOptions): Promise<WebView> {
  const feed = new ViewFeed(options.threadId, options.goal);
  let running = true;
  let redriving: Promise<unknown> | undefined;
  const refresher = new Refresher(async () => {
    if (feed.subscribers > 0) feed.load(await options.state(), false);
  });
  const settle = async () => {
    await refresher.idle();
    feed.load(await options.state(), true);
    running = false;
  };
  const source: ViewSource = {
    threads: async () => [{ threadId: options.threadId, goal: feed.view().goal, status: running ? "running" : "idle" }],
    has: async (threadId) => threadId === options.threadId,
    follow: async (threadId) => {
      if (threadId !== options.threadId) return undefined;
      if (running) refresher.poke();
      return feed;
    },
    redrive: async (threadId, taskIds) => {
      if (running) throw new RunInProgressError(threadId);
      // Checked before the re-drive starts: the page's request is answered before the run ends.
      chosenDeadLetters(
        feed.view().deadLetters.map((letter) => letter.taskId),
        taskIds,
      );
      running = true;
      feed.runStarted();
      redriving = options.redrive(taskIds).finally(settle);
    },
  };
  let port = 0;
  const server = createServer((request, response) =>
    serve(request, response, source, threadPath(options.threadId), port).catch(() => response.destroy()),
  );
  port = await listen(server, options.port ?? 0, options.host ?? "127.0.0.1");
  const url = `http://${options.host ?? "127.0.0.1"}:${port}${threadPath(options.threadId)}`;
  feed.runStarted();
  return {
    url,
    onEvent: (event) => {
      feed.event(event);
      refresher.poke();
    },
    settle,
    linger: async (ms, stop) => {
      while (!stop.aborted) {
        const before = redriving;
        await pause(ms, stop);
        if (redriving === before) break;
        await redriving?.catch(() => undefined);
      }
      await redriving?.catch(() => undefined);
    },
    close: () =>
      new Promise<void>((done) => {
        server.closeAllConnections();
        server.close(() => done());
      }),
  };
}

/** Listens on the port; a port that cannot be had is a `ConfigError` naming it. */
function listen(server: ReturnType<typeof createServer>, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once("error", (error: NodeJS.ErrnoException) =>
      reject(
        new ConfigError(
          `Cannot serve the web view on ${host}:${port} (${error.code ?? error.message}); pick another --ui-port, or 0 for any free port.`,
        ),
      ),
    );
    server.listen(port, host, () => {
      const address = server.address();
      resolve(typeof address === "object" && address ? address.port : port);
    });
  });
}

/**
 * Answers one request through the shared routes: node's request as a fetch `Request`, the `Response` streamed back.
 * A `Host` other than a loopback name with this `port` is refused; a request that cannot be read is a 400.
 */
async function serve(
  request: IncomingMessage,
  response: ServerResponse,
  source: ViewSource,
  home: string,
  port: number,
): Promise<void> {
  const closed = new AbortController();
  response.on("close", () => closed.abort());
  const reply = isLoopbackHost(request.headers.host, port)
    ? await answer(request, source, home, closed.signal)
    : foreignHostResponse(request.headers.host, port);
  response.writeHead(reply.status, Object.fromEntries(reply.headers));
  if (reply.body) {
    try {
      for await (const chunk of reply.body) response.write(chunk);
    } catch {
      // the client went away
    }
  }
  response.end();
}

/** The shared routes' answer to a request that names this server. */
async function answer(request: IncomingMessage, source: ViewSource, home: string, signal: AbortSignal) {
  let fetchRequest: Request;
  try {
    // The URL's origin is fixed: the request names only a path (its Host was checked, never parsed).
    const url = new URL(request.url ?? "/", "http://127.0.0.1");
    if (url.pathname === "/") return new Response(null, { status: 302, headers: { location: home } });
    const body = request.method === "POST" ? (Readable.toWeb(request) as ReadableStream<Uint8Array>) : undefined;
    fetchRequest = new Request(url, {
      method: request.method,
      headers: request.headers as Record<string, string>,
      body,
      signal,
      duplex: "half",
    } as RequestInit);
  } catch (error) {
    return Response.json({ error: `Bad request: ${(error as Error).message}` }, { status: 400 });
  }
  const answered = await handleUi(fetchRequest, source).catch((error: unknown) =>
    Response.json({ error: (error as Error).message }, { status: 500 }),
  );
  return answered ?? new Response("Not found.", { status: 404 });
}
