import { Hono } from "hono";
import { z } from "zod";
import { a2aOnServer } from "../a2a/mount.js";
import { readEnvironment } from "../env.js";
import { SettingsSchema } from "../settings.js";
import { foreignHostResponse, isLoopbackHost } from "../web/host.js";
import { handleUi, type ViewSource } from "../web/routes.js";
import { resolveAsDismiss } from "./resolve.js";
import { ownViewSource } from "./ui.js";

/** The run settings as a JSON schema Studio can render: the input side (defaults shown, nothing required), draft-07. */
export const contextJsonSchema = () => z.toJSONSchema(SettingsSchema, { io: "input", target: "draft-7" });

/**
 * Extra routes of the LangGraph server (`http.app` in langgraph.json): the live web view of runs under `/ui`
 * (`/ui` lists the threads, `/ui/threads/<threadId>` shows one), and the context schema filled in when
 * `@langchain/langgraph-api` returns none (1.5.1 and 2.0.0 do so for graphs whose state is a `StateSchema`), so
 * Studio can show and edit the settings per assistant.
 */
export const app = new Hono();
app.get("/assistants/:assistantId/schemas", async (c, next) => {
  await next();
  if (c.res.status !== 200) return;
  const body = (await c.res.clone().json()) as Record<string, unknown>;
  const schema = body.context_schema ?? contextJsonSchema();
  c.res = Response.json({ ...body, config_schema: body.config_schema ?? schema, context_schema: schema });
});
app.use("*", resolveAsDismiss);
app.all("/ui/*", async (c, next) => (await ui(c.req.raw)) ?? next());
app.all("/ui", async (c) => (await ui(c.req.raw))!);
// The orchestrator as an A2A agent (docs/a2a.md): card at /a2a/.well-known/agent-card.json, JSON-RPC at /a2a.
app.all("/a2a/*", (c) => a2aOnServer(c.req.raw));
app.all("/a2a", (c) => a2aOnServer(c.req.raw));

/**
 * The web view's answer from this server's own API, asked as the caller; 403 to a request naming another host than
 * this server on a loopback name (DNS rebinding); a 503 saying why when that API cannot be reached.
 */
async function ui(request: Request): Promise<Response | undefined> {
  let source: ViewSource;
  try {
    source = ownViewSource(request);
  } catch (error) {
    return Response.json({ error: (error as Error).message }, { status: 503 });
  }
  const port = Number(readEnvironment().port);
  const host = request.headers.get("host");
  return isLoopbackHost(host, port) ? handleUi(request, source) : foreignHostResponse(host, port);
}
