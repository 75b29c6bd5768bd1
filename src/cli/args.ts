import { parseArgs, type ParseArgsConfig } from "node:util";
import { readFileSync } from "node:fs";
import { z } from "zod";
import { SettingsSchema, type SettingsInput } from "../settings.js";
import { ConfigError } from "../errors.js";
import { exitCodeHelp } from "./exit-codes.js";
import { parsePlanInput } from "../plan/validate.js";
import type { PlanInput } from "../schemas.js";
import type { WorkerRegistry } from "../workers/registry.js";
import { loadWorkersFile } from "../workers/workers-file.js";

/** What the command line asks for. */
export interface CliOptions {
  goal?: string;
  threadId?: string;
  resume: boolean;
  checkpointer?: string;
  plan?: PlanInput;
  planFile?: string;
  json: boolean;
  /** Where to write the Markdown run report. */
  report?: string;
  example?: string;
  /** The team of a workers file (`--workers`), instead of the defaults or an example's. */
  workers?: WorkerRegistry;
  /** The workers file it came from, as given. */
  workersFile?: string;
  approve: boolean;
  reject?: string;
  /** Serve the live web view of the run on this port of 127.0.0.1 (0: any free port). */
  uiPort?: number;
  /** Task ids to re-drive from the dead-letter queue; empty = all. */
  redrive?: string[];
  /** The job queue to submit to or follow (`--queue`). */
  queue?: string;
  /** Queue the run and print its thread id instead of following it. */
  detach: boolean;
  /** Follow the queued run on this thread to its end. */
  wait?: string;
  /** Run each task on this job queue's task workers (`--task-queue`). */
  taskQueue?: string;
  help: boolean;
  settings: SettingsInput;
}

const kebab = (key: string) => key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
const SETTING_FLAGS = Object.entries(SettingsSchema.shape).map(([key, schema]) => ({
  key,
  flag: kebab(key),
  schema: schema as z.ZodType,
  boolean: schema.unwrap() instanceof z.ZodBoolean,
  numeric: schema.unwrap() instanceof z.ZodNumber,
  description: schema.description ?? "",
}));

const BASE_OPTIONS = {
  thread: { type: "string" },
  resume: { type: "boolean", default: false },
  checkpointer: { type: "string" },
  plan: { type: "string" },
  json: { type: "boolean", default: false },
  report: { type: "string" },
  example: { type: "string" },
  workers: { type: "string" },
  approve: { type: "boolean", default: false },
  reject: { type: "string" },
  redrive: { type: "string" },
  queue: { type: "string" },
  detach: { type: "boolean", default: false },
  wait: { type: "string" },
  "task-queue": { type: "string" },
  ui: { type: "boolean", default: false },
  "ui-port": { type: "string" },
  help: { type: "boolean", short: "h", default: false },
} as const;

/**
 * node's `parseArgs`, with its errors as a `ConfigError` that names the bad flag and nothing more (node's advice
 * on positionals that start with a dash is cut). Shared by the CLI and the SDK client.
 */
export function parseFlags<T extends ParseArgsConfig>(config: T): ReturnType<typeof parseArgs<T>> {
  try {
    return parseArgs(config);
  } catch (error) {
    throw new ConfigError((error as Error).message.replace(/\. To specify a positional.*$/s, "."));
  }
}

/** What a command prints on stderr for a bad command line: the error, and where to find the usage. */
export const usageErrorText = (error: unknown): string => `${(error as Error).message}\nRun with --help for usage.\n`;

/** The flags that give these settings, as a command line would (`--max-parallel 4`, `--no-chain-dispatch`). */
export function settingsFlags(settings: SettingsInput): string[] {
  return SETTING_FLAGS.flatMap(({ key, flag, boolean }) => {
    const value = (settings as Record<string, unknown>)[key];
    if (value === undefined) return [];
    if (boolean) return [value ? `--${flag}` : `--no-${flag}`];
    return [`--${flag}`, String(value)];
  });
}

/** Parses argv (without node and the script), naming any bad flag or value. */
export function parseCli(argv: readonly string[], examples: readonly string[] = []): CliOptions {
  const options: Record<string, { type: "string" | "boolean"; short?: string; default?: boolean }> = {
    ...BASE_OPTIONS,
  };
  for (const setting of SETTING_FLAGS) {
    options[setting.flag] = { type: setting.boolean ? "boolean" : "string" };
    if (setting.boolean) options[`no-${setting.flag}`] = { type: "boolean" };
  }
  const parsed = parseFlags({ args: [...argv], options, allowPositionals: true, strict: true });
  const values = parsed.values as Record<string, string | boolean | undefined>;
  const settings: Record<string, unknown> = {};
  for (const setting of SETTING_FLAGS) {
    const raw = values[`no-${setting.flag}`] ? false : values[setting.flag];
    if (raw === undefined) continue;
    const value = setting.numeric ? Number(raw) : raw;
    const checked = setting.schema.safeParse(value);
    if (!checked.success || (setting.numeric && (raw === "" || Number.isNaN(value)))) {
      const why = checked.success ? "expected a number" : checked.error.issues[0]?.message;
      throw new ConfigError(`Invalid value for --${setting.flag}: ${JSON.stringify(raw)} (${why})`);
    }
    settings[setting.key] = checked.data;
  }
  const example = values.example as string | undefined;
  if (example !== undefined && !examples.includes(example)) {
    throw new ConfigError(`Unknown example ${JSON.stringify(example)}; available: ${examples.join(", ") || "none"}`);
  }
  const planFile = values.plan as string | undefined;
  const resume = values.resume as boolean;
  const threadId = parseThread("thread", values.thread as string | undefined);
  if (resume && !threadId) throw new ConfigError("--resume needs --thread <id> (the thread to resume)");
  if (parsed.positionals.length > 1) {
    throw new ConfigError(`Expected one goal but got ${parsed.positionals.length} arguments; quote the goal: "…"`);
  }
  return {
    goal: parsed.positionals[0],
    threadId,
    resume,
    checkpointer: values.checkpointer as string | undefined,
    ...(planFile ? { plan: readPlanFile(planFile), planFile } : {}),
    json: values.json as boolean,
    ...(values.report !== undefined ? { report: parseReport(values.report as string) } : {}),
    example,
    ...(values.workers !== undefined
      ? { workers: loadWorkersFile(values.workers as string), workersFile: values.workers as string }
      : {}),
    approve: values.approve as boolean,
    reject: values.reject as string | undefined,
    ...(values.redrive !== undefined ? { redrive: parseRedrive(values.redrive as string) } : {}),
    ...(values.queue !== undefined ? { queue: values.queue as string } : {}),
    detach: values.detach as boolean,
    ...(values.wait !== undefined ? { wait: parseThread("wait", values.wait as string) } : {}),
    ...(values["task-queue"] !== undefined ? { taskQueue: values["task-queue"] as string } : {}),
    ...(values.ui || values["ui-port"] !== undefined
      ? { uiPort: parsePort(values["ui-port"] as string | undefined) }
      : {}),
    help: values.help as boolean,
    settings: settings as SettingsInput,
  };
}

/** Longest thread id: its lock file's name (the id URL-encoded) stays within a file system's 255 bytes. */
const MAX_THREAD_ID = 80;

/** A thread id (`--thread`, `--wait`): 1 to {@link MAX_THREAD_ID} printable ASCII characters, no spaces. */
function parseThread(flag: string, value: string | undefined): string | undefined {
  if (value === undefined || (value.length <= MAX_THREAD_ID && /^[!-~]+$/.test(value))) return value;
  const shown =
    value.length > 40 ? `${JSON.stringify(value.slice(0, 40))}… (${value.length} characters)` : JSON.stringify(value);
  throw new ConfigError(
    `Invalid value for --${flag}: ${shown} (expected a thread id of 1-${MAX_THREAD_ID} letters, digits or punctuation, no spaces)`,
  );
}

/** `all` or a comma-separated list of task ids. */
function parseRedrive(value: string): string[] {
  if (value.trim() === "all") return [];
  const ids = value
    .split(",")
    .map((id) => id.trim())
    .filter(Boolean);
  if (ids.length === 0)
    throw new ConfigError(
      `Invalid value for --redrive: ${JSON.stringify(value)} (use "all" or task ids separated by commas)`,
    );
  return ids;
}

/** `--ui-port`: a TCP port; none given means any free port. */
function parsePort(value: string | undefined): number {
  if (value === undefined) return 0;
  const port = Number(value);
  if (!/^\d+$/.test(value.trim()) || port > 65_535)
    throw new ConfigError(`Invalid value for --ui-port: ${JSON.stringify(value)} (expected a port number, 0-65535)`);
  return port;
}

function parseReport(value: string): string {
  if (value.trim() === "" || value.startsWith("-"))
    throw new ConfigError(
      `Invalid value for --report: ${JSON.stringify(value)} (expected a file name such as report.md)`,
    );
  return value;
}

function readPlanFile(path: string): PlanInput {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    throw new ConfigError(
      `Cannot read plan file ${JSON.stringify(path)}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
    );
  }
  return parsePlanInput(text, `plan file ${path}`);
}

/** What each `--no-…` flag (a setting on by default) turns off, in the words of someone turning it off. */
export const TURNS_OFF: Record<string, string> = {
  chainDispatch:
    "Turns off chain dispatch: in waves, a task's only newly-ready dependent waits for the next wave instead of " +
    "running right after it in the same worker.",
  announcePlan: "Turns off the plan announcement: no AI message listing the plan's tasks is added to `messages`.",
  streamPlan:
    "Turns off streamed planning: no task starts before the planner has written the whole plan and it is validated.",
};

/** The --help text, generated from the settings schema. */
export function usage(examples: readonly string[]): string {
  const settings = SETTING_FLAGS.map(({ key, flag, boolean, description, schema }) => {
    const fallback = (schema as z.ZodDefault<z.ZodType>).parse(undefined);
    if (boolean && fallback) return `${`  --no-${flag}`.padEnd(30)}  ${TURNS_OFF[key] ?? description} (on by default)`;
    const name = boolean ? `--${flag}` : `--${flag} <value>`;
    return `${`  ${name}`.padEnd(30)}  ${description} (default: ${JSON.stringify(fallback)})`;
  });
  return [
    'Usage: orchestrator "<goal>" [options]',
    "",
    "Runs a goal through the orchestrator-worker graph and prints the answer.",
    "",
    "Options:",
    "  --thread <id>                 Thread id (default: a new one). Runs on one thread share checkpoints.",
    "  --resume                      Resume the thread given by --thread from its last checkpoint.",
    "  --checkpointer <spec>         memory | sqlite:PATH | postgres://… (default: sqlite:.orchestrator/checkpoints.db)",
    "  --plan <file.json>            Run this plan instead of asking the planner ({ tasks: [...] }).",
    `  --example <name>              Run a bundled example: ${examples.join(", ") || "none"}.`,
    "  --workers <file.json>         Take the team from a workers file (agents with prompts, models and MCP servers;",
    "                                default: $ORCHESTRATOR_WORKERS, else the default workers).",
    "  --approve                     Answer a pending plan review: approve.",
    "  --reject <reason>             Answer a pending plan review: reject.",
    "  --redrive <ids|all>           Re-run dead-lettered tasks (and the tasks they blocked) on --thread.",
    "  --queue <url>                 Run on the job queue (redis://…, default $ORCHESTRATOR_QUEUE): an executor runs it",
    "                                (npm run executor) and this command follows its events to the answer.",
    "  --detach                      With --queue: print the queued run's thread id and exit (--json: { threadId }).",
    "  --wait <thread>               With --queue: follow the queued run on this thread to its answer.",
    "  --task-queue <url>            Run each task on the task workers of this job queue (npm run task-worker).",
    "  --report <file.md>            Also write a Markdown report: answer, plan diagram, task timings, dead letters.",
    "  --ui                          Serve a live web view of the run (the task DAG) and print its local URL; it stays up",
    "                                2 minutes after the run (Ctrl-C ends it), for reading results and re-driving dead letters.",
    "  --ui-port <port>              Port of the web view on 127.0.0.1 (implies --ui; default: any free port).",
    "  --json                        Print one JSON object with the result (and the run log's path) instead of text.",
    "  -h, --help                    Show this help.",
    "",
    "Settings:",
    ...settings,
    "",
    "Output: on a terminal, a live view of every task; otherwise one line per event on stderr (none with --json).",
    "The answer goes to stdout. Every run is logged as JSON lines to runs/<thread>.log next to the checkpoint file.",
    "Models: set OPENAI_API_KEY (and OPENAI_BASE_URL for any OpenAI-compatible server).",
    "",
    "Signals: the first SIGINT/SIGTERM lets the current step finish; a second cancels the model calls in flight (the",
    "thread resumes); a third exits at once.",
    "",
    exitCodeHelp(["done", "failed", "usage", "review", "partial", "busy", "stopped"]),
  ].join("\n");
}
