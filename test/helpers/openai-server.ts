import {
  createServer,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from "node:http";
import type { AddressInfo } from "node:net";
import { deferred, type Deferred } from "./wait.js";

/** One message of a chat completions request, as ChatOpenAI sends it. */
export interface ChatMessage {
  role: string;
  content?: string | { type: string; text?: string }[] | null;
  name?: string;
  tool_call_id?: string;
  tool_calls?: { id: string; type: string; function: { name: string; arguments: string } }[];
}

/** A function tool declared in a request. */
export interface ChatTool {
  type: string;
  function: { name: string; description?: string; parameters?: unknown; strict?: boolean };
}

/** The body of `POST /v1/chat/completions` (the fields this server reads; the rest is kept as sent). */
export interface ChatRequest {
  model: string;
  messages: ChatMessage[];
  stream?: boolean;
  stream_options?: { include_usage?: boolean };
  tools?: ChatTool[];
  tool_choice?: string | { type: string; function?: { name: string } };
  response_format?: { type: string; json_schema?: { name: string; schema?: unknown; strict?: boolean } };
  [key: string]: unknown;
}

/** A tool call the assistant makes; `id` defaults to `call_<index>_<name>`. */
export interface ToolCallReply {
  name: string;
  args: Record<string, unknown>;
  id?: string;
}

/** A failure to inject: an HTTP error status, a response that never comes, or a 200 with a broken body. */
export type Fault =
  | { fault: "status"; status: number; retryAfterSeconds?: number; retryAfter?: string; message?: string }
  | { fault: "hang" }
  | { fault: "malformed" };

/**
 * What the handler answers: text, tool calls, a structured object, or a fault; `delayMs` waits before answering, and
 * `streamMs` spreads a streamed answer over that time, in pieces of 20 characters (as a model writing it would), and
 * delays an unstreamed one by that time.
 */
export type Reply = ({ content: string } | { toolCalls: ToolCallReply[] } | { structured: unknown } | Fault) & {
  delayMs?: number;
  streamMs?: number;
};

/** What a handler knows of the connection: `signal` aborts when the client closes the request before the reply is sent. */
export interface RequestContext {
  signal: AbortSignal;
}

/**
 * A model call a test holds open: `serve` keeps the request waiting until the client hangs up (a cancelled call, a
 * killed process) while `held` is set, and answers at once otherwise. `arrived` resolves when a call is held,
 * `hungUp` when the client closed it.
 */
export class HeldCall {
  readonly arrived: Deferred = deferred();
  readonly hungUp: Deferred = deferred();
  held = true;

  async serve(request: RequestContext, reply: Reply): Promise<Reply> {
    if (!this.held) return reply;
    this.arrived.resolve();
    await new Promise((resolve) => request.signal.addEventListener("abort", resolve, { once: true }));
    this.hungUp.resolve();
    return reply;
  }
}

/** Picks the reply to a chat request; `index` counts chat requests from 0. Throwing answers 500. */
export type Handler = (body: ChatRequest, index: number, request: RequestContext) => Reply | Promise<Reply>;

/** A request the server received, whatever its path. */
export interface ReceivedRequest {
  method: string;
  path: string;
  /** Parsed JSON body; undefined when empty or not JSON. */
  body: ChatRequest | undefined;
  headers: IncomingHttpHeaders;
  /** `Date.now()` when the body was read. */
  time: number;
  /** `Date.now()` when the whole answer had been written (a stream's last event), if it was. */
  answeredAt?: number;
}

/** A running loopback server. */
export interface OpenAIServer {
  /** Base URL ending in `/v1`, for `OPENAI_BASE_URL` or `configuration.baseURL`. */
  readonly url: string;
  readonly requests: ReceivedRequest[];
  /** Chat completion requests only, in arrival order. */
  chatRequests(): ChatRequest[];
  /** Stops listening and destroys open connections, hanging ones included. */
  close(): Promise<void>;
}

interface Usage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
}

interface Answer {
  content: string | null;
  toolCalls: { id: string; name: string; arguments: string }[];
}

const CHAT_PATH = "/v1/chat/completions";

/** Tokens as a model would roughly count them: a quarter of the characters. */
export const estimateTokens = (chars: number): number => Math.ceil(chars / 4);

/** Starts an OpenAI-compatible chat completions server on 127.0.0.1 and a free port. */
export async function startOpenAIServer(options: { handler: Handler }): Promise<OpenAIServer> {
  const requests: ReceivedRequest[] = [];
  const closing = new AbortController();
  let chatCount = 0;
  const server = createServer((req, res) => {
    void serve(req, res).catch((error: unknown) => sendError(res, 500, errorMessage(error)));
  });

  async function serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    // Aborted when the client hangs up before the whole reply went out (a cancelled or timed-out call).
    const hungUp = new AbortController();
    res.once("close", () => {
      if (!res.writableFinished) hungUp.abort();
    });
    const raw = await readBody(req);
    const body = parseJson(raw) as ChatRequest | undefined;
    const path = (req.url ?? "/").split("?")[0] ?? "/";
    const received: ReceivedRequest = {
      method: req.method ?? "GET",
      path,
      body,
      headers: req.headers,
      time: Date.now(),
    };
    requests.push(received);
    if (req.method !== "POST" || path !== CHAT_PATH) return sendError(res, 404, `no route for ${req.method} ${path}`);
    if (!body || !Array.isArray(body.messages)) return sendError(res, 400, "the body must be a JSON chat request");
    const index = chatCount++;
    let reply: Reply;
    try {
      reply = await options.handler(body, index, { signal: hungUp.signal });
    } catch (error) {
      return sendError(res, 500, `handler failed: ${errorMessage(error)}`);
    }
    if (!(await sleep(reply.delayMs ?? 0, closing.signal)) || res.destroyed) return;
    await respond(res, body, reply, index, closing.signal);
    if (res.writableEnded) received.answeredAt = Date.now();
  }

  await listen(server);
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/v1`,
    requests,
    chatRequests: () => requests.filter((r) => r.path === CHAT_PATH && r.body).map((r) => r.body as ChatRequest),
    close: () => {
      closing.abort();
      return closeServer(server);
    },
  };
}

function listen(server: Server): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}

function parseJson(raw: string): unknown {
  try {
    return raw ? JSON.parse(raw) : undefined;
  } catch {
    return undefined;
  }
}

/** Resolves true after `ms`, or false as soon as `signal` aborts. */
function sleep(ms: number, signal: AbortSignal): Promise<boolean> {
  if (signal.aborted) return Promise.resolve(false);
  if (ms <= 0) return Promise.resolve(true);
  return new Promise((resolve) => {
    const onAbort = () => (clearTimeout(timer), resolve(false));
    const timer = setTimeout(() => (signal.removeEventListener("abort", onAbort), resolve(true)), ms);
    signal.addEventListener("abort", onAbort, { once: true });
  });
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

async function respond(
  res: ServerResponse,
  body: ChatRequest,
  reply: Reply,
  index: number,
  closing: AbortSignal,
): Promise<void> {
  if ("fault" in reply) {
    respondFault(res, body, reply);
    return;
  }
  const answer = toAnswer(body, reply);
  const usage = usageOf(body, answer);
  if (body.stream) await sendStream(res, body, answer, usage, index, reply.streamMs ?? 0, closing);
  // Unstreamed, the answer comes whole once it is written: after `streamMs`.
  else if (await sleep(reply.streamMs ?? 0, closing)) sendJson(res, 200, completion(body, answer, usage, index));
}

function respondFault(res: ServerResponse, body: ChatRequest, fault: Fault): void {
  if (fault.fault === "hang") return;
  if (fault.fault === "malformed") {
    sendMalformed(res, Boolean(body.stream));
    return;
  }
  // `retryAfter` is the header as sent (an HTTP-date, say); `retryAfterSeconds` a number of seconds.
  const retryAfter = fault.retryAfter ?? fault.retryAfterSeconds?.toString();
  const headers: Record<string, string> = retryAfter === undefined ? {} : { "retry-after": retryAfter };
  sendError(res, fault.status, fault.message ?? `injected fault: HTTP ${fault.status}`, headers);
}

function toAnswer(body: ChatRequest, reply: Reply): Answer {
  if ("content" in reply) return { content: reply.content, toolCalls: [] };
  if ("toolCalls" in reply) return { content: null, toolCalls: reply.toolCalls.map(toToolCall) };
  if (!("structured" in reply)) throw new Error("a fault has no answer");
  const json = JSON.stringify(reply.structured);
  const tool = body.response_format?.type === "json_schema" ? undefined : structuredToolName(body);
  return tool
    ? { content: null, toolCalls: [{ id: `call_0_${tool}`, name: tool, arguments: json }] }
    : { content: json, toolCalls: [] };
}

function toToolCall(call: ToolCallReply, index: number): Answer["toolCalls"][number] {
  return { id: call.id ?? `call_${index}_${call.name}`, name: call.name, arguments: JSON.stringify(call.args) };
}

/** The tool a structured answer goes to: the one `tool_choice` forces, else the first declared. */
function structuredToolName(body: ChatRequest): string | undefined {
  const forced = typeof body.tool_choice === "object" ? body.tool_choice.function?.name : undefined;
  return forced ?? body.tools?.[0]?.function.name;
}

/** Plain text of a message's content. */
export function messageText(message: ChatMessage | undefined): string {
  const content = message?.content;
  if (typeof content === "string") return content;
  return (content ?? []).map((part) => part.text ?? "").join("");
}

function usageOf(body: ChatRequest, answer: Answer): Usage {
  const promptChars = body.messages.reduce(
    (sum, m) => sum + messageText(m).length + (m.tool_calls ? JSON.stringify(m.tool_calls).length : 0),
    0,
  );
  const outputChars =
    (answer.content ?? "").length + answer.toolCalls.reduce((sum, c) => sum + c.name.length + c.arguments.length, 0);
  const prompt_tokens = estimateTokens(promptChars);
  const completion_tokens = estimateTokens(outputChars);
  return { prompt_tokens, completion_tokens, total_tokens: prompt_tokens + completion_tokens };
}

const finishReason = (answer: Answer) => (answer.toolCalls.length ? "tool_calls" : "stop");

function envelope(body: ChatRequest, index: number, object: string) {
  return {
    id: `chatcmpl-${index}`,
    object,
    created: Math.floor(Date.now() / 1000),
    model: body.model,
    system_fingerprint: "fp_loopback",
  };
}

function completion(body: ChatRequest, answer: Answer, usage: Usage, index: number) {
  const tool_calls = answer.toolCalls.map((c) => ({
    id: c.id,
    type: "function",
    function: { name: c.name, arguments: c.arguments },
  }));
  const message = {
    role: "assistant",
    content: answer.content,
    refusal: null,
    ...(tool_calls.length ? { tool_calls } : {}),
  };
  return {
    ...envelope(body, index, "chat.completion"),
    choices: [{ index: 0, message, logprobs: null, finish_reason: finishReason(answer) }],
    usage,
  };
}

/**
 * The deltas of a streamed answer: role, content in pieces, then each tool call's header and arguments; `size` is
 * the length of a piece (by default a quarter of the text).
 */
function deltas(answer: Answer, size?: number): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [{ role: "assistant", content: answer.toolCalls.length ? null : "" }];
  for (const piece of pieces(answer.content ?? "", size)) out.push({ content: piece });
  answer.toolCalls.forEach((call, index) => {
    out.push({ tool_calls: [{ index, id: call.id, type: "function", function: { name: call.name, arguments: "" } }] });
    for (const piece of pieces(call.arguments, size))
      out.push({ tool_calls: [{ index, function: { arguments: piece } }] });
  });
  return out;
}

/** Splits text into a few chunks so clients really assemble a stream. */
function pieces(text: string, size = Math.max(1, Math.ceil(text.length / 4))): string[] {
  const out: string[] = [];
  for (let i = 0; i < text.length; i += size) out.push(text.slice(i, i + size));
  return out;
}

async function sendStream(
  res: ServerResponse,
  body: ChatRequest,
  answer: Answer,
  usage: Usage,
  index: number,
  streamMs: number,
  closing: AbortSignal,
): Promise<void> {
  const head = envelope(body, index, "chat.completion.chunk");
  const chunk = (delta: Record<string, unknown>, finish_reason: string | null = null) => ({
    ...head,
    choices: [{ index: 0, delta, logprobs: null, finish_reason }],
  });
  res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache", connection: "keep-alive" });
  const all = deltas(answer, streamMs > 0 ? 20 : undefined);
  // Each piece is written at its share of `streamMs` from the start, so the stream's end does not drift with the load.
  const start = Date.now();
  for (const [i, delta] of all.entries()) {
    if (streamMs > 0 && !(await sleep(start + (streamMs * i) / all.length - Date.now(), closing))) return;
    if (res.destroyed) return;
    writeEvent(res, chunk(delta));
  }
  writeEvent(res, chunk({}, finishReason(answer)));
  if (body.stream_options?.include_usage) writeEvent(res, { ...head, choices: [], usage });
  res.end("data: [DONE]\n\n");
}

function writeEvent(res: ServerResponse, data: unknown): void {
  res.write(`data: ${JSON.stringify(data)}\n\n`);
}

function sendMalformed(res: ServerResponse, stream: boolean): void {
  if (!stream) {
    res.writeHead(200, { "content-type": "application/json" });
    return void res.end('{"id":"chatcmpl-broken","object":"chat.completion","choices":[{"index":0,"message":{"role":');
  }
  res.writeHead(200, { "content-type": "text/event-stream" });
  res.end('data: {"id":"chatcmpl-broken","object":"chat.completion.chunk","choices":[{"delta":{"content":"par\n\n');
}

function sendJson(res: ServerResponse, status: number, data: unknown, headers: Record<string, string> = {}): void {
  if (res.headersSent || res.destroyed) return;
  res.writeHead(status, { "content-type": "application/json", ...headers });
  res.end(JSON.stringify(data));
}

function sendError(res: ServerResponse, status: number, message: string, headers: Record<string, string> = {}): void {
  const type = status === 429 ? "rate_limit_error" : status >= 500 ? "server_error" : "invalid_request_error";
  sendJson(res, status, { error: { message, type, param: null, code: null } }, headers);
}

/** What routes of a scripted handler see of a request. */
export interface RequestView {
  body: ChatRequest;
  index: number;
  messages: ChatMessage[];
  /** Text of the system (or developer) messages. */
  system: string;
  /** Text of the last user message. */
  prompt: string;
  /** Names of the declared tools, a function-calling structured output included. */
  tools: string[];
  /** Name of the requested structured output (json_schema name or forced tool), if any. */
  structured: string | undefined;
}

/** Builds the view of a chat request that routes match on. */
export function describeRequest(body: ChatRequest, index = 0): RequestView {
  const messages = body.messages;
  const system = messages
    .filter((m) => m.role === "system" || m.role === "developer")
    .map(messageText)
    .join("\n");
  const lastUser = [...messages].reverse().find((m) => m.role === "user");
  const schemaName = body.response_format?.type === "json_schema" ? body.response_format.json_schema?.name : undefined;
  const forced = typeof body.tool_choice === "object" ? body.tool_choice.function?.name : undefined;
  const tools = (body.tools ?? []).map((t) => t.function.name);
  return { body, index, messages, system, prompt: messageText(lastUser), tools, structured: schemaName ?? forced };
}

/** A scripted answer: when `when` matches (substring/RegExp of system + prompt, or a predicate), reply. */
export interface Route {
  when?: string | RegExp | ((view: RequestView) => boolean);
  reply: Reply | ((view: RequestView) => Reply | Promise<Reply>);
  /** How many requests this route may answer; unlimited when omitted. */
  times?: number;
}

function matches(route: Route, view: RequestView): boolean {
  const { when } = route;
  if (when === undefined) return true;
  if (typeof when === "function") return when(view);
  const text = `${view.system}\n${view.prompt}`;
  return typeof when === "string" ? text.includes(when) : when.test(text);
}

/** A handler answering with the first route that matches and has uses left; no match answers 500. */
export function scriptedHandler(routes: Route[]): Handler {
  const used = new Map<Route, number>();
  return (body, index) => {
    const view = describeRequest(body, index);
    const route = routes.find((r) => (r.times === undefined || (used.get(r) ?? 0) < r.times) && matches(r, view));
    if (!route) throw new Error(`no scripted route for request ${index}: ${view.prompt.slice(0, 80)}`);
    used.set(route, (used.get(route) ?? 0) + 1);
    return typeof route.reply === "function" ? route.reply(view) : route.reply;
  };
}

/** A task's script: what the model answers to the `turn`-th request of that task's own loop. */
export type TaskScript = (body: ChatRequest, turn: number) => Reply;

/** The task a worker's request belongs to: named in its first user message (later turns are tool results or reminders). */
export const taskOf = (body: ChatRequest): string | undefined =>
  /Your task "([^"]+)"/.exec(messageText(body.messages.find((m) => m.role === "user")))?.[1];

/**
 * A loopback server where each task's requests follow that task's script and the synthesizer answers "the answer";
 * `byTask` keeps every task's requests in arrival order. Any other request fails the call.
 */
export async function taskScriptServer(
  scripts: Record<string, TaskScript>,
): Promise<{ server: OpenAIServer; byTask: Record<string, ChatRequest[]> }> {
  const byTask: Record<string, ChatRequest[]> = {};
  const server = await startOpenAIServer({
    handler: (body) => {
      if (describeRequest(body).system.includes("You write the final answer")) return { content: "the answer" };
      const id = taskOf(body);
      const script = id ? scripts[id] : undefined;
      if (!id || !script) throw new Error(`unexpected request: ${messageText(body.messages.at(-1)).slice(0, 80)}`);
      byTask[id] ??= [];
      byTask[id].push(body);
      return script(body, byTask[id].length - 1);
    },
  });
  return { server, byTask };
}
