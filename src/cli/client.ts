/**
 * Example client of the orchestrator on a LangGraph server (`npm run client -- "goal"`), built on
 * `@langchain/langgraph-sdk`: creates a thread, streams a run with live per-task output, answers a plan
 * review, and prints the answer. A composition root: it imports nothing from nodes/ or graphs/.
 */
import { createInterface } from "node:readline/promises";
import { Client } from "@langchain/langgraph-sdk";
import { readEnvironment } from "../env.js";
import { ConfigError, isOrchestratorEvent, parseSettings, type SettingsInput } from "../index.js";
import type { TaskRecord, TaskResult } from "../schemas.js";
import type { ReviewRequest } from "../state.js";
import { finishedStatus, pendingReview, taskSummaries } from "../app/run.js";
import { parseFlags, usageErrorText } from "./args.js";
import { formatEvent, partialLines, reviewListing, runTally } from "./event-lines.js";
import { EXIT, exitCodeHelp } from "./exit-codes.js";
import { isEntryPoint, processIO, type TextIO } from "./io.js";
import { plainTextIO } from "./terminal-text.js";

/** Where the client writes and how it asks: injectable for tests. */
export interface ClientIO extends TextIO {
  /** Asks the user a question and returns the answer (default: a line from stdin). */
  ask?: (question: string) => Promise<string>;
}

/** What the command line asks for. */
export interface ClientOptions {
  goal?: string;
  url: string;
  assistant: string;
  threadId?: string;
  /** Settings sent as the run's context (the graph's context schema). */
  context: SettingsInput;
  /** Approve a plan review without asking. */
  yes: boolean;
  help: boolean;
}

const DEFAULT_URL = "http://localhost:2024";
const STREAM_MODES: ("custom" | "updates")[] = ["custom", "updates"];

const USAGE = `Usage: npm run client -- "<goal>" [options]

Runs a goal on a LangGraph server (npm run dev, or a deployment) through @langchain/langgraph-sdk:
creates a thread, streams the run with live per-task output, answers a plan review, prints the answer.

Options:
  --url <url>          Server URL (default: $LANGGRAPH_API_URL or ${DEFAULT_URL}).
  --assistant <id>     Assistant or graph id (default: orchestrator).
  --thread <id>        Run on an existing thread instead of a new one.
  --review             Pause for plan review (context reviewPlan: true).
  --yes                Approve the plan without asking.
  --context <json>     Run settings as JSON, e.g. '{"maxParallel":4,"workerModel":"gpt-4o"}'.
  -h, --help           Show this help.

${exitCodeHelp(["done", "failed", "usage", "partial", "rejected"])}

The API key, if the server needs one, comes from $LANGGRAPH_API_KEY or $LANGSMITH_API_KEY.
`;

const OPTIONS = {
  url: { type: "string" },
  assistant: { type: "string" },
  thread: { type: "string" },
  review: { type: "boolean" },
  yes: { type: "boolean" },
  context: { type: "string" },
  help: { type: "boolean", short: "h" },
} as const;

/** Parses argv (without node and the script); `env` supplies LANGGRAPH_API_URL. */
export function parseClientArgs(argv: readonly string[], env: NodeJS.ProcessEnv = {}): ClientOptions {
  const { values, positionals } = parseFlags({
    args: [...argv],
    options: OPTIONS,
    allowPositionals: true,
    strict: true,
  });
  let context: Record<string, unknown> = {};
  if (values.context !== undefined) {
    try {
      context = JSON.parse(values.context) as Record<string, unknown>;
    } catch {
      throw new ConfigError(`--context is not JSON: ${values.context}`);
    }
    if (typeof context !== "object" || context === null || Array.isArray(context))
      throw new ConfigError("--context must be a JSON object");
  }
  if (values.review) context = { ...context, reviewPlan: true };
  parseSettings(context, "--context");
  return {
    goal: positionals.length ? positionals.join(" ") : undefined,
    url: values.url ?? readEnvironment(env).langgraphApiUrl ?? DEFAULT_URL,
    assistant: values.assistant ?? "orchestrator",
    threadId: values.thread,
    context: context as SettingsInput,
    yes: values.yes ?? false,
    help: values.help ?? false,
  };
}

/** A review decision, as the graph's review node accepts it on resume. */
type Decision = { action: "approve" } | { action: "reject"; reason?: string };

/** Runs the client; returns the exit code. */
export async function main(argv: readonly string[], given: ClientIO = processIO()): Promise<number> {
  // Worker output, titles and errors from the server never reach the terminal with their escapes.
  const io = plainTextIO(given);
  let options: ClientOptions;
  try {
    options = parseClientArgs(argv, io.env);
  } catch (error) {
    io.stderr(usageErrorText(error));
    return EXIT.usage;
  }
  if (options.help || !options.goal) {
    (options.help ? io.stdout : io.stderr)(USAGE);
    return options.help ? EXIT.done : EXIT.usage;
  }
  const client = new Client({ apiUrl: options.url, apiKey: readEnvironment(io.env).langgraphApiKey ?? null });
  try {
    return await runGoal(client, options as ClientOptions & { goal: string }, io);
  } catch (error) {
    io.stderr(`${describeError(error, options.url)}\n`);
    return EXIT.failed;
  }
}

async function runGoal(client: Client, options: ClientOptions & { goal: string }, io: ClientIO): Promise<number> {
  const threadId = options.threadId ?? (await client.threads.create({ metadata: { goal: options.goal } })).thread_id;
  io.stdout(`thread ${threadId} on ${options.url}\n`);
  let payload: { input: { goal: string } } | { command: { resume: Decision } } = { input: { goal: options.goal } };
  let rejected = false;
  for (;;) {
    const review = await streamRun(client, threadId, options, payload, io);
    if (!review) break;
    const decision = await decide(review, options, io);
    rejected = decision.action === "reject";
    payload = { command: { resume: decision } };
  }
  const { values } = await client.threads.getState<{
    answer?: string;
    deadLetters?: unknown[];
    tasks?: Record<string, TaskRecord>;
    stopReason?: string | null;
  }>(threadId);
  const tasks = taskSummaries(values);
  const tally = runTally({ threadId, tasks, deadLetters: values.deadLetters?.length ?? 0 });
  io.stdout(`\n${values.answer ?? ""}\n\n${tally}\n`);
  if (rejected) return EXIT.rejected;
  if (!values.answer) return EXIT.failed;
  if (finishedStatus(tasks) === "done") return EXIT.done;
  io.stderr(`\n${partialLines({ tasks, stopReason: values.stopReason ?? undefined }).join("\n")}\n`);
  return EXIT.partial;
}

/** Streams one run, printing lifecycle events and each task's result as it lands; returns a pending review, if any. */
async function streamRun(
  client: Client,
  threadId: string,
  options: ClientOptions,
  payload: { input: { goal: string } } | { command: { resume: Decision } },
  io: ClientIO,
): Promise<ReviewRequest | undefined> {
  let review: ReviewRequest | undefined;
  const stream = client.runs.stream(threadId, options.assistant, {
    ...payload,
    context: options.context,
    streamMode: STREAM_MODES,
  });
  for await (const chunk of stream) {
    if (chunk.event === "custom" && isOrchestratorEvent(chunk.data)) {
      io.stdout(`  ${formatEvent(chunk.data)}\n`);
    } else if (chunk.event === "updates") {
      const update = chunk.data as Record<string, unknown>;
      for (const result of workerResults(update)) io.stdout(renderResult(result));
      review = pendingReview(update) ?? review;
    } else if (chunk.event === "error") {
      const data = chunk.data as { error?: string; message?: string } | undefined;
      throw new Error(`the run failed on the server: ${data?.error ?? ""} ${data?.message ?? ""}`.trim());
    }
  }
  return review;
}

/** The results a `worker` node update carries (one per task). */
function workerResults(update: Record<string, unknown>): TaskResult[] {
  const worker = update.worker as { results?: Record<string, TaskResult> } | undefined;
  return Object.values(worker?.results ?? {});
}

function renderResult(result: TaskResult): string {
  const head = `  ── ${result.taskId} [${result.worker}] ${result.status}`;
  if (result.status !== "done") return `${head}: ${result.error?.message ?? "no result"}\n`;
  const text = result.output.length > 400 ? `${result.output.slice(0, 400)}…` : result.output;
  return `${head}\n${text.replace(/^/gm, "     ")}\n`;
}

async function decide(review: ReviewRequest, options: ClientOptions, io: ClientIO): Promise<Decision> {
  io.stdout([...reviewListing(review, "Planning failed; the draft plan:"), ""].join("\n"));
  if (options.yes) {
    io.stdout("approved (--yes)\n");
    return { action: "approve" };
  }
  const ask = io.ask ?? askStdin;
  const answer = (await ask("Approve this plan? [Y/n] ")).trim().toLowerCase();
  if (answer === "" || answer === "y" || answer === "yes") return { action: "approve" };
  const reason = (await ask("Why (optional)? ")).trim();
  return reason ? { action: "reject", reason } : { action: "reject" };
}

async function askStdin(question: string): Promise<string> {
  const rl = createInterface({ input: process.stdin, output: process.stdout });
  try {
    return await rl.question(question);
  } finally {
    rl.close();
  }
}

function describeError(error: unknown, url: string): string {
  const message = error instanceof Error ? error.message : String(error);
  if (/Unable to connect|fetch failed|ECONNREFUSED/.test(message)) {
    return `Cannot reach the LangGraph server at ${url}. Start it with \`npm run dev\` or pass --url.`;
  }
  return `The run failed: ${message}`;
}

if (isEntryPoint(import.meta.url)) {
  process.exitCode = await main(process.argv.slice(2));
}
