/** The A2A protocol over HTTP without express: the agent card and the JSON-RPC transport of `@a2a-js/sdk`, on Hono. */
import { createServer, type Server } from "node:http";
import { Readable } from "node:stream";
import {
  A2A_VERSION_HEADER,
  AGENT_CARD_PATH,
  Extensions,
  formatSSEErrorEvent,
  formatSSEEvent,
  HTTP_EXTENSION_HEADER,
  SSE_HEADERS,
} from "@a2a-js/sdk";
import { A2A_LEGACY_PROTOCOL_VERSION } from "@a2a-js/sdk/compat/v0_3";
import { LegacyJsonRpcTransportHandler } from "@a2a-js/sdk/compat/v0_3/server";
import {
  type A2ARequestHandler,
  defaultServerCallContextBuilder,
  JsonRpcTransportHandler,
  UnauthenticatedUser,
  type User,
  validateVersion,
} from "@a2a-js/sdk/server";
import { Hono } from "hono";
import { ConfigError } from "../errors.js";

type RpcError = { code: number; message: string };

/** A JSON-RPC error reply. */
const rpcError = (id: unknown, error: RpcError, status = 200) =>
  Response.json({ jsonrpc: "2.0", id: id ?? null, error }, { status });

/** An async iterable of JSON-RPC replies as a server-sent event stream (an error mid-stream as an `error` event). */
function sseStream(events: AsyncGenerator<unknown>, id: unknown, mapError: (error: unknown) => RpcError): Response {
  const encoder = new TextEncoder();
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const next = await events.next();
        if (next.done) return controller.close();
        controller.enqueue(encoder.encode(formatSSEEvent(next.value)));
      } catch (error) {
        const reply = { jsonrpc: "2.0", id: id ?? null, error: mapError(error) };
        controller.enqueue(encoder.encode(formatSSEErrorEvent(reply)));
        controller.close();
      }
    },
    cancel: async () => void (await events.return(undefined)),
  });
  return new Response(body, { headers: SSE_HEADERS });
}

/** Who a request comes from, as the SDK keeps tasks: each caller sees and cancels only its own. */
export type CallerOf = (headers: Headers) => User;

/**
 * The A2A routes of an agent: `GET /.well-known/agent-card.json` and the JSON-RPC endpoint `POST /` (A2A 1.0; a
 * request without an `A2A-Version` header, or with 0.3, is answered in A2A 0.3 as the SDK's compatibility layer does).
 * `callerOf` names the caller (default: everyone is the same unauthenticated one).
 */
export function a2aRoutes(handler: A2ARequestHandler, callerOf: CallerOf = () => new UnauthenticatedUser()): Hono {
  const current = new JsonRpcTransportHandler(handler);
  const legacy = new LegacyJsonRpcTransportHandler(handler);
  const app = new Hono();
  app.get(`/${AGENT_CARD_PATH}`, async (c) => c.json(await handler.getAgentCard()));
  app.post("/", async (c) => {
    const version = c.req.header(A2A_VERSION_HEADER);
    const useLegacy = (version ?? A2A_LEGACY_PROTOCOL_VERSION) === A2A_LEGACY_PROTOCOL_VERSION;
    const mapError = useLegacy
      ? LegacyJsonRpcTransportHandler.mapToLegacyJSONRPCError
      : JsonRpcTransportHandler.mapToJSONRPCError;
    // A page of any site may POST text/plain here without asking (no CORS preflight): only JSON is a request.
    const type = c.req.header("content-type")?.split(";")[0]?.trim().toLowerCase() ?? "";
    if (type !== "application/json" && !/^application\/[\w.+-]+\+json$/.test(type)) {
      const message = `Send JSON-RPC requests as Content-Type: application/json (got ${JSON.stringify(type)}).`;
      return rpcError(null, { code: -32600, message }, 415);
    }
    const body = (await c.req.json().catch(() => undefined)) as { id?: unknown } | undefined;
    if (body === undefined) return rpcError(null, { code: -32700, message: "Invalid JSON payload." });
    try {
      const context = defaultServerCallContextBuilder({
        extensions: Extensions.parseServiceParameter(c.req.header(HTTP_EXTENSION_HEADER)),
        user: callerOf(c.req.raw.headers),
        headers: Object.fromEntries(c.req.raw.headers),
        requestedVersion: version,
      });
      validateVersion(context.requestedVersion, await handler.getAgentCard(), "JSONRPC");
      const reply = await (useLegacy ? legacy : current).handle(body, context);
      if (typeof (reply as AsyncGenerator)[Symbol.asyncIterator] === "function") {
        return sseStream(reply as AsyncGenerator<unknown>, body.id, mapError);
      }
      return Response.json(reply);
    } catch (error) {
      const mapped = mapError(error);
      return rpcError(body.id, mapped, mapped.code === -32603 ? 500 : 200);
    }
  });
  return app;
}

/** A running HTTP server: its port and how to stop it. */
export interface Listening {
  port: number;
  close(): Promise<void>;
}

/** Serves a fetch handler (a Hono app's `fetch`) on node's HTTP server; a port that cannot be had is a `ConfigError`. */
export function listen(handle: (request: Request) => Response | Promise<Response>, port = 0, host = "127.0.0.1") {
  const server: Server = createServer(async (request, response) => {
    const closed = new AbortController();
    response.on("close", () => closed.abort());
    const url = new URL(request.url ?? "/", `http://${request.headers.host ?? host}`);
    const hasBody = request.method !== "GET" && request.method !== "HEAD";
    const reply = await Promise.resolve(
      handle(
        new Request(url, {
          method: request.method,
          headers: request.headers as Record<string, string>,
          body: hasBody ? (Readable.toWeb(request) as ReadableStream<Uint8Array>) : undefined,
          signal: closed.signal,
          duplex: "half",
        } as RequestInit),
      ),
    ).catch((error: unknown) => Response.json({ error: (error as Error).message }, { status: 500 }));
    response.writeHead(reply.status, Object.fromEntries(reply.headers));
    try {
      for await (const chunk of reply.body ?? []) response.write(chunk);
    } catch {
      // the client went away
    }
    response.end();
  });
  return new Promise<Listening>((resolve, reject) => {
    server.once("error", (error: NodeJS.ErrnoException) =>
      reject(new ConfigError(`Cannot serve on ${host}:${port} (${error.code ?? error.message}); pick another --port.`)),
    );
    server.listen(port, host, () => {
      const address = server.address();
      resolve({
        port: typeof address === "object" && address ? address.port : port,
        close: () =>
          new Promise<void>((done) => {
            server.closeAllConnections();
            server.close(() => done());
          }),
      });
    });
  });
}
