import { PlanValidationError } from "../errors.js";
import { PlanInputSchema, type TaskSpec } from "../schemas.js";
import type { WorkerCatalog } from "../worker-contract.js";
import { findCycleBreaks } from "./cycles.js";

export type PlanIssueCode =
  | "duplicate_id"
  | "dangling_dependency"
  | "self_dependency"
  | "unknown_worker"
  | "missing_capability"
  | "too_many_tasks"
  | "cycle"
  | "invalid_task"
  | "empty_plan"
  | "unparsable";

/** One thing wrong with a plan, in words a planner (or a person) can act on. */
export interface PlanIssue {
  code: PlanIssueCode;
  message: string;
}

/** Issues that `breakCycles` repairs by itself; every other issue needs a new plan. */
export const REPAIRABLE_ISSUES: ReadonlySet<PlanIssueCode> = new Set(["cycle", "self_dependency"]);

export interface ValidationOptions {
  workers: readonly string[];
  /** Each worker's capabilities, for tasks that state what they `require`. */
  capabilities?: Readonly<Record<string, readonly string[]>>;
  maxTasks: number;
  /** Ids already in the run (for follow-ups and replans): valid dependencies, invalid new ids. */
  existingIds?: ReadonlySet<string>;
  /** Tasks already in the run count against `maxTasks`. */
  existingCount?: number;
}

/** Checks a plan before any worker runs: duplicates, dangling or self dependencies, unknown workers, size, cycles. */
export function validatePlan(tasks: readonly TaskSpec[], options: ValidationOptions): PlanIssue[] {
  const issues: PlanIssue[] = [];
  const existing = options.existingIds ?? new Set<string>();
  const total = tasks.length + (options.existingCount ?? 0);
  if (total > options.maxTasks) {
    issues.push({
      code: "too_many_tasks",
      message: `${total} tasks exceed maxTasks=${options.maxTasks}; merge or drop ${total - options.maxTasks}.`,
    });
  }
  const ids = new Set<string>();
  for (const task of tasks) {
    if (ids.has(task.id) || existing.has(task.id)) {
      issues.push({ code: "duplicate_id", message: `Task id "${task.id}" is used more than once.` });
    }
    ids.add(task.id);
  }
  const workers = new Set(options.workers);
  for (const task of tasks) {
    if (!workers.has(task.worker)) {
      issues.push({
        code: "unknown_worker",
        message: `Task "${task.id}" names unknown worker "${task.worker}"; use one of: ${options.workers.join(", ")}.`,
      });
    } else issues.push(...capabilityIssues(task, options));
    for (const dep of task.dependsOn) {
      if (dep === task.id) {
        issues.push({ code: "self_dependency", message: `Task "${task.id}" depends on itself.` });
      } else if (!ids.has(dep) && !existing.has(dep)) {
        issues.push({
          code: "dangling_dependency",
          message: `Task "${task.id}" depends on "${dep}", which is not a task in the plan.`,
        });
      }
    }
  }
  for (const edge of findCycleBreaks(tasks)) {
    if (edge.cycle.length > 2) {
      issues.push({ code: "cycle", message: `Dependency cycle: ${edge.cycle.join(" → ")}.` });
    }
  }
  return issues;
}

/** A task's required capabilities that its worker lacks, each naming the workers that have it. */
function capabilityIssues(task: TaskSpec, options: ValidationOptions): PlanIssue[] {
  const capabilities = options.capabilities ?? {};
  const has = capabilities[task.worker] ?? [];
  return (task.requires ?? [])
    .filter((capability) => !has.includes(capability))
    .map((capability) => {
      const holders = options.workers.filter((worker) => capabilities[worker]?.includes(capability));
      const use = holders.length ? `use ${holders.join(" or ")}` : "no worker has it; drop the requirement or the task";
      return {
        code: "missing_capability",
        message: `Task "${task.id}" requires capability "${capability}", which worker "${task.worker}" lacks: ${use}.`,
      };
    });
}

/** What a plan is checked against from the registry: its worker names and their capabilities. */
export function catalogRules(registry: WorkerCatalog): Pick<ValidationOptions, "workers" | "capabilities"> {
  return {
    workers: registry.names,
    capabilities: Object.fromEntries(registry.list().map((worker) => [worker.name, worker.capabilities ?? []])),
  };
}

/** The messages of a plan's issues that cycle-breaking cannot repair: the plan cannot run as it is. */
export function fatalPlanIssues(tasks: readonly TaskSpec[], options: ValidationOptions): string[] {
  return validatePlan(tasks, options)
    .filter((issue) => !REPAIRABLE_ISSUES.has(issue.code))
    .map((issue) => issue.message);
}

/** Parses a caller's plan (object or JSON text), naming the bad field and value on error. */
export function parsePlanInput(input: unknown, source = "plan"): { tasks: TaskSpec[]; rationale?: string } {
  let value = input;
  if (typeof input === "string") {
    try {
      value = JSON.parse(input);
    } catch (error) {
      throw new PlanValidationError([`not valid JSON (${(error as Error).message})`], source);
    }
  }
  if (Array.isArray(value)) value = { tasks: value };
  const parsed = PlanInputSchema.safeParse(value);
  if (!parsed.success) {
    throw new PlanValidationError(
      parsed.error.issues.map((issue) => {
        const at = issue.path.join(".");
        return `${at || "(root)"}: ${issue.message}${at ? ` (got ${JSON.stringify(valueAt(value, issue.path))})` : ""}`;
      }),
      source,
    );
  }
  return parsed.data;
}

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  return path.reduce<unknown>((node, key) => (node as Record<PropertyKey, unknown> | undefined)?.[key], root);
}
