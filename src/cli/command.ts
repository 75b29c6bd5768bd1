import { readEnvironment, type Environment } from "../env.js";
import { EXAMPLES, type Example } from "../examples/index.js";
import {
  ConfigError,
  ModelNotConfiguredError,
  openAIProvider,
  PlanValidationError,
  parseSettings,
  type ModelProvider,
  type Settings,
  type WorkerRegistry,
} from "../index.js";
import { catalogRules, fatalPlanIssues } from "../plan/validate.js";
import { type PlanInput, PlanInputSchema } from "../schemas.js";
import { defaultRegistry } from "../workers/defaults.js";
import { loadWorkersFile } from "../workers/workers-file.js";
import type { CliOptions } from "./args.js";
import type { CliIO } from "./io.js";

/** What one command asks for: its command line and environment, resolved once (the settings parsed once). */
export interface CliCommand {
  options: CliOptions;
  env: Environment;
  models: ModelProvider;
  registry: WorkerRegistry;
  settings: Settings;
  example?: Example;
  goal?: string;
  /** Answers a review, resumes or re-drives the thread of `--thread` (no new goal). */
  resume: boolean;
}

/** Resolves the command line against the environment; a `ConfigError` for a combination that cannot run. */
export function resolveCommand(options: CliOptions, io: CliIO): CliCommand {
  const env = readEnvironment(io.env);
  const example = options.example ? EXAMPLES[options.example] : undefined;
  const resume = options.resume || options.approve || options.reject !== undefined || options.redrive !== undefined;
  if (resume && !options.threadId) throw new ConfigError("Answering a review or resuming needs --thread <id>.");
  const team = environmentTeam(env);
  return {
    options,
    env,
    models: io.models ?? openAIProvider(env),
    registry: options.workers ?? example?.registry() ?? team ?? defaultRegistry(),
    settings: parseSettings(options.settings, "settings"),
    ...(example ? { example } : {}),
    ...((options.goal ?? example?.goal) ? { goal: options.goal ?? example?.goal } : {}),
    resume,
  };
}

/**
 * The team of the workers file ORCHESTRATOR_WORKERS names, as the executor and the server take it. A file it names
 * that cannot be loaded is bad configuration even when `--workers` or `--example` picks the team: said, not ignored.
 */
function environmentTeam(env: Environment): WorkerRegistry | undefined {
  if (!env.workersFile) return undefined;
  try {
    return loadWorkersFile(env.workersFile);
  } catch (error) {
    throw new ConfigError(`ORCHESTRATOR_WORKERS: ${(error as Error).message}`);
  }
}

/**
 * The plan to run: `--plan`, else an example's bundled plan when no model is configured (a provider's model counts
 * once prepared: ask after `prepareModels`).
 */
export function planOf(command: CliCommand): PlanInput | undefined {
  const { options, example, models } = command;
  return options.plan ?? (example && !models.configured ? example.plan : undefined);
}

/** Why a new run cannot start (no goal, no model and no plan, a bad plan), or undefined. */
export function startProblem(
  command: CliCommand,
  plan: PlanInput | undefined,
  models: Pick<ModelProvider, "configured">,
): string | undefined {
  const { goal, registry, settings, options } = command;
  if (!goal) return 'No goal given. Usage: orchestrator "<goal>" [options] (or --example <name>, --help).';
  if (!models.configured && !plan) return new ModelNotConfiguredError("planner").message;
  if (!plan) return undefined;
  const tasks = PlanInputSchema.parse(plan).tasks;
  const issues = fatalPlanIssues(tasks, { ...catalogRules(registry), maxTasks: settings.maxTasks });
  if (issues.length)
    return new PlanValidationError(issues, options.planFile ? `plan file ${options.planFile}` : "plan").message;
  // With --task-queue the task workers bring the models.
  return models.configured || options.taskQueue ? undefined : offlineAgents(tasks, registry);
}

/** Without a model, the tasks of a plan that run on agent workers (which need one): each worker with its tasks. */
function offlineAgents(tasks: readonly { id: string; worker: string }[], registry: WorkerRegistry): string | undefined {
  const byWorker = new Map<string, string[]>();
  for (const task of tasks) {
    if (registry.get(task.worker).kind !== "agent") continue;
    byWorker.set(task.worker, [...(byWorker.get(task.worker) ?? []), task.id]);
  }
  if (byWorker.size === 0) return undefined;
  const listed = [...byWorker].map(([worker, ids]) => `${worker} (${ids.join(", ")})`).join("; ");
  return (
    `No model is configured, and the plan's tasks on these LLM workers need one: ${listed}. ` +
    "Set OPENAI_API_KEY (and optionally OPENAI_BASE_URL), or give those tasks workers that run without a model."
  );
}
