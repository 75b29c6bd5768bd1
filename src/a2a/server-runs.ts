/** A2A tasks as runs on a LangGraph server, through its own API: each task's thread is one of the server's threads. */
import { createHash } from "node:crypto";
import type { User } from "@a2a-js/sdk/server";
import { Client } from "@langchain/langgraph-sdk";
import { pendingReview, summarize, workerInterrupt } from "../app/run.js";
import { isOrchestratorEvent } from "../events.js";
import type { RunSummary } from "../index.js";
import type { State } from "../state.js";
import type { A2aRunRequest, A2aRuns } from "./executor.js";

/** The caller's credentials, passed on to the server's API so that its auth decides what the caller may run. */
const CREDENTIAL_HEADERS = ["authorization", "x-api-key", "cookie"];

/**
 * The caller of an A2A request to the server, as the credentials it sends (a digest of them). The SDK keeps each
 * caller's tasks apart: a task can be read, cancelled or continued only with the credentials that started it, while
 * the server's auth decides what those may run. A caller that sends none is the one caller without credentials.
 */
export function credentialsCaller(headers: Headers): User {
  const sent = CREDENTIAL_HEADERS.map((name) => `${name}\0${headers.get(name) ?? ""}`).join("\n");
  const userName = `credentials:${createHash("sha256").update(sent).digest("hex")}`;
  // Not known to be valid: only the server's auth, on each run, says whether they are.
  return { isAuthenticated: false, userName };
}

/**
 * Runs A2A tasks on the LangGraph server at `apiUrl` (the dev server's own API on loopback) as runs of `assistantId`,
 * with the A2A caller's credentials; cancelling a task disconnects its stream, which cancels the run.
 */
export function serverRuns(apiUrl: string, assistantId = "orchestrator"): A2aRuns {
  const clientFor = (headers: Record<string, string> = {}) =>
    new Client({
      apiUrl,
      apiKey: null,
      defaultHeaders: Object.fromEntries(
        CREDENTIAL_HEADERS.flatMap((name) => (headers[name] ? [[name, headers[name]]] : [])),
      ),
    });
  const stream = async (
    client: Client,
    threadId: string,
    payload: { input: Record<string, unknown> } | { command: { resume: unknown } },
    request: Omit<A2aRunRequest, "threadId" | "plan">,
  ): Promise<RunSummary> => {
    let review: ReturnType<typeof pendingReview>;
    let interrupt: unknown;
    const chunks = client.runs.stream(threadId, assistantId, {
      ...payload,
      streamMode: ["custom", "updates"],
      onDisconnect: "cancel",
      signal: request.signal,
    });
    for await (const chunk of chunks) {
      if (chunk.event === "custom" && isOrchestratorEvent(chunk.data)) request.onEvent(chunk.data);
      else if (chunk.event === "updates") {
        review = pendingReview(chunk.data) ?? review;
        interrupt = workerInterrupt(chunk.data) ?? interrupt;
      } else if (chunk.event === "error") {
        throw new Error(`the run failed on the server: ${JSON.stringify(chunk.data)}`);
      }
    }
    const { values } = await client.threads.getState<State>(threadId);
    return summarize(threadId, values, review, interrupt);
  };
  return {
    run: async (goal, request) => {
      const client = clientFor(request.headers);
      await client.threads.create({
        threadId: request.threadId,
        ifExists: "do_nothing",
        metadata: { goal, via: "a2a" },
      });
      return stream(
        client,
        request.threadId,
        { input: { goal, ...(request.plan ? { plan: request.plan } : {}) } },
        request,
      );
    },
    resume: (threadId, answer, request) =>
      stream(clientFor(request.headers), threadId, { command: { resume: answer } }, request),
  };
}
