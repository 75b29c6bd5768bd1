import { randomUUID } from "node:crypto";
import { pathToFileURL } from "node:url";
import { DEFAULT_CHECKPOINTER, openCheckpointer } from "./checkpointer.js";
import { parseCli, usage, type CliOptions } from "./cli-args.js";
import { readEnvironment } from "./env.js";
import { ConfigError, ModelNotConfiguredError, OrchestratorError, PlanValidationError } from "./errors.js";
import { EXAMPLES } from "./examples/index.js";
import { openAIProvider, type ModelProvider } from "./models.js";
import { REPAIRABLE_ISSUES, validatePlan } from "./plan.js";
import { formatEvent } from "./progress.js";
import type { WorkerRegistry } from "./registry.js";
import type { RunSummary } from "./runner.js";
import type { OrchestratorEvent } from "./events.js";
import { createOrchestrator, type ReviewDecision } from "./index.js";
import { defaultRegistry } from "./workers/defaults.js";

/** Where the CLI writes: injectable for tests. */
export interface CliIO {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  env: NodeJS.ProcessEnv;
  /** Overrides the model provider (tests). */
  models?: ModelProvider;
}

const defaultIO: CliIO = {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  env: process.env,
};

/** Exit codes of the CLI. */
export const EXIT = { done: 0, failed: 1, usage: 2, review: 3 } as const;

/** Runs the CLI; returns the exit code. */
export async function main(argv: readonly string[], io: CliIO = defaultIO): Promise<number> {
  let options: CliOptions;
  try {
    options = parseCli(argv, Object.keys(EXAMPLES));
  } catch (error) {
    io.stderr(`${(error as Error).message}\nRun with --help for usage.\n`);
    return EXIT.usage;
  }
  if (options.help) {
    io.stdout(`${usage(Object.keys(EXAMPLES))}\n`);
    return EXIT.done;
  }
  const env = readEnvironment(io.env);
  const models = io.models ?? openAIProvider(env);
  const example = options.example ? EXAMPLES[options.example] : undefined;
  const registry = example?.registry() ?? defaultRegistry();
  const goal = options.goal ?? example?.goal;
  const plan = options.plan ?? (example && !models.configured ? example.plan : undefined);
  const resume = options.resume || options.approve || options.reject !== undefined || options.redrive !== undefined;
  if (resume && !options.threadId) {
    io.stderr("Answering a review or resuming needs --thread <id>.\n");
    return EXIT.usage;
  }
  const problem = resume ? undefined : checkStart(goal, plan, models, registry, options);
  if (problem) {
    io.stderr(`${problem}\n`);
    return EXIT.usage;
  }
  const threadId = options.threadId ?? randomUUID();
  let handle;
  try {
    handle = await openCheckpointer(options.checkpointer ?? env.checkpointer ?? DEFAULT_CHECKPOINTER);
  } catch (error) {
    io.stderr(`${(error as Error).message}\n`);
    return EXIT.usage;
  }
  try {
    const orchestrator = await createOrchestrator({ checkpointer: handle.saver, workers: registry, models, settings: options.settings });
    const request = { onEvent: options.json ? undefined : (event: OrchestratorEvent) => io.stderr(`${formatEvent(event)}\n`) };
    const summary = options.redrive
      ? await orchestrator.redrive(threadId, options.redrive, request)
      : resume
        ? await orchestrator.resume(threadId, reviewAnswer(options), request)
        : await orchestrator.run(goal!, { ...request, threadId, ...(plan ? { plan } : {}) });
    io.stdout(options.json ? `${JSON.stringify(summary, null, 2)}\n` : render(summary));
    return summary.status === "interrupted" ? EXIT.review : EXIT.done;
  } catch (error) {
    if (error instanceof ConfigError || error instanceof PlanValidationError) {
      io.stderr(`${error.message}\n`);
      return EXIT.usage;
    }
    const known = error instanceof OrchestratorError;
    io.stderr(`Run failed: ${known ? error.message : ((error as Error).stack ?? String(error))}\n`);
    io.stderr(`The thread is checkpointed; resume with: npm start -- --resume --thread ${threadId}\n`);
    return EXIT.failed;
  } finally {
    await handle.close();
  }
}

function checkStart(
  goal: string | undefined,
  plan: CliOptions["plan"],
  models: ModelProvider,
  registry: WorkerRegistry,
  options: CliOptions,
): string | undefined {
  if (!goal) return 'No goal given. Usage: orchestrator "<goal>" [options] (or --example <name>, --help).';
  if (!models.configured && !plan) return new ModelNotConfiguredError("planner").message;
  if (!plan) return undefined;
  const issues = validatePlan(
    plan.tasks.map((t) => ({ description: "", dependsOn: [], expectedOutput: "", estimatedCost: 1, complex: false, blocks: [], ...t })),
    { workers: registry.names, maxTasks: options.settings.maxTasks ?? 30 },
  ).filter((issue) => !REPAIRABLE_ISSUES.has(issue.code));
  if (issues.length) return new PlanValidationError(issues.map((issue) => issue.message), options.planFile ? `plan file ${options.planFile}` : "plan").message;
  return undefined;
}

function reviewAnswer(options: CliOptions): ReviewDecision | undefined {
  if (options.approve) return { action: "approve" };
  if (options.reject !== undefined) return { action: "reject", reason: options.reject };
  if (options.plan) return { action: "edit", plan: options.plan };
  return undefined;
}

/** The human-readable end of a run. */
export function render(summary: RunSummary): string {
  if (summary.status === "interrupted") {
    const review = summary.review!;
    const tasks = review.tasks.map((t) => `  - ${t.id} [${t.worker}] ${t.title}${t.dependsOn.length ? ` (after ${t.dependsOn.join(", ")})` : ""}`);
    return [
      review.kind === "approve_plan" ? "The plan waits for your review:" : "Planning failed; write the plan yourself:",
      ...tasks,
      ...review.errors.map((error) => `  ! ${error}`),
      "",
      `Approve:  npm start -- --thread ${summary.threadId} --approve`,
      `Edit:     npm start -- --thread ${summary.threadId} --resume --plan plan.json`,
      `Reject:   npm start -- --thread ${summary.threadId} --reject "why"`,
      "",
    ].join("\n");
  }
  const done = summary.tasks.filter((t) => t.status === "done").length;
  return [
    summary.answer,
    "",
    `— ${done}/${summary.tasks.length} tasks done, ${summary.deadLetters.length} dead-lettered, ` +
      `${summary.usage.totalTokens} tokens in ${summary.usage.modelCalls} model calls (thread ${summary.threadId})`,
    "",
  ].join("\n");
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.exitCode = await main(process.argv.slice(2));
}
