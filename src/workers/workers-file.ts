import { readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { z } from "zod";
import { readEnvironment, type Environment } from "../env.js";
import { ConfigError } from "../errors.js";
import type { McpServer } from "../worker-contract.js";
import { defaultRegistry } from "./defaults.js";
import { a2aWorker, agentWorker, WorkerRegistry } from "./registry.js";

const McpServerSchema = z.union([
  z
    .object({
      command: z.string().min(1).describe("The program that speaks MCP on stdio."),
      args: z.array(z.string()).optional().describe("Its arguments."),
      env: z.record(z.string(), z.string()).optional().describe("Extra environment variables."),
      cwd: z
        .string()
        .optional()
        .describe("Its working directory, relative to the workers file (default: the file's directory)."),
    })
    .strict(),
  z
    .object({
      url: z.url().describe("A streamable-HTTP or SSE MCP endpoint."),
      headers: z.record(z.string(), z.string()).optional().describe("HTTP headers, e.g. authorization."),
    })
    .strict(),
]);

const FileWorkerSchema = z
  .object({
    name: z.string().describe("snake_case, unique: the value of a task's worker field."),
    description: z.string().describe("What the worker is good at; the planner chooses workers by it."),
    systemPrompt: z.string().min(1).describe("The agent's system prompt."),
    model: z.string().optional().describe('Its model: a bare OpenAI-compatible name or "provider:model".'),
    temperature: z.number().min(0).max(2).optional().describe("Its temperature."),
    capabilities: z.array(z.string()).optional().describe("Capability tags a task may require."),
    maxToolRounds: z.number().int().min(1).max(50).optional().describe("Most tool-calling rounds."),
    timeoutMs: z.number().int().min(1).optional().describe("Time limit of one attempt, in ms."),
    mcpServers: z.record(z.string(), McpServerSchema).optional().describe("MCP servers it takes tools from, by name."),
    tools: z.array(z.string()).optional().describe("Only these MCP tools (default: all of its servers' tools)."),
  })
  .strict();

const A2aFileWorkerSchema = z
  .object({
    name: z.string().describe("snake_case, unique: the value of a task's worker field."),
    description: z.string().describe("What the worker is good at; its agent card's skills are added where it is read."),
    a2a: z
      .object({
        url: z.url().describe("Where the remote agent serves its agent card (/.well-known/agent-card.json)."),
        headers: z.record(z.string(), z.string()).optional().describe("HTTP headers, e.g. authorization."),
      })
      .strict()
      .describe("A remote agent reached over the Agent2Agent protocol."),
    capabilities: z.array(z.string()).optional().describe("Capability tags a task may require."),
    timeoutMs: z.number().int().min(1).optional().describe("Time limit of one attempt, in ms."),
  })
  .strict();

/** A workers file: agent workers declared without code, with their MCP servers, and remote A2A agents. */
export const WorkersFileSchema = z
  .object({
    workers: z
      .array(z.union([FileWorkerSchema, A2aFileWorkerSchema]))
      .min(1)
      .describe("The team."),
    defaultWorker: z.string().optional().describe("The worker of the single-task fallback plan (default: the first)."),
  })
  .strict();
export type WorkersFile = z.input<typeof WorkersFileSchema>;

/** A stdio server's working directory: relative to the workers file, which is also the default. */
const anchored = (server: McpServer, base: string): McpServer =>
  "command" in server ? { ...server, cwd: resolve(base, server.cwd ?? ".") } : server;

/** The registry a parsed workers file declares; `base` anchors relative paths (the file's directory). */
export function registryFromFile(file: WorkersFile, base: string, source = "workers file"): WorkerRegistry {
  const parsed = WorkersFileSchema.safeParse(file, { reportInput: true });
  if (!parsed.success) throw new ConfigError(`Invalid ${source}:\n${issueLines(parsed.error.issues).join("\n")}`);
  const workers = parsed.data.workers.map((entry) => {
    if ("a2a" in entry) {
      const { a2a, ...worker } = entry;
      return a2aWorker({ ...worker, ...a2a });
    }
    const { mcpServers, tools, ...worker } = entry;
    return agentWorker({
      ...worker,
      ...(mcpServers
        ? {
            mcpServers: Object.fromEntries(
              Object.entries(mcpServers).map(([name, server]) => [name, anchored(server, base)]),
            ),
          }
        : {}),
      ...(tools ? { mcpTools: tools } : {}),
    });
  });
  try {
    return new WorkerRegistry(workers, parsed.data.defaultWorker);
  } catch (error) {
    throw new ConfigError(`Invalid ${source}: ${(error as Error).message}`, { cause: error });
  }
}

/** How far a value is from a form: its problems, each unrecognized key counted. */
const weight = (issues: readonly z.core.$ZodIssue[]): number =>
  issues.reduce((sum, issue) => sum + (issue.code === "unrecognized_keys" ? issue.keys.length : 1), 0);

/**
 * One line per problem, naming the field and the bad value. A value that fits no form of a union (an MCP server, an
 * agent or A2A worker) is reported against the form it comes closest to: the one with the fewest problems.
 */
function issueLines(issues: readonly z.core.$ZodIssue[], at: readonly PropertyKey[] = []): string[] {
  return issues.flatMap((issue) => {
    const path = [...at, ...issue.path];
    if (issue.code === "invalid_union" && issue.errors.length > 0) {
      const closest = issue.errors.reduce((best, branch) => (weight(branch) < weight(best) ? branch : best));
      return issueLines(closest, path);
    }
    const got =
      issue.code === "unrecognized_keys" || issue.input === undefined ? undefined : JSON.stringify(issue.input);
    const value = got === undefined ? "" : ` (got ${got.length > 80 ? `${got.slice(0, 77)}...` : got})`;
    return [`  - ${path.map(String).join(".") || "(root)"}: ${issue.message}${value}`];
  });
}

/** The server graph's workers: those of the workers file ORCHESTRATOR_WORKERS names, else the defaults. */
export function serverRegistry(env: Environment = readEnvironment()): WorkerRegistry {
  return env.workersFile ? loadWorkersFile(env.workersFile) : defaultRegistry();
}

/** Reads a workers file (JSON) into a registry, with errors that name the file and the bad field. */
export function loadWorkersFile(path: string): WorkerRegistry {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    throw new ConfigError(`Cannot read the workers file ${path}: ${(error as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new ConfigError(`The workers file ${path} is not valid JSON: ${(error as Error).message}`);
  }
  return registryFromFile(json as WorkersFile, dirname(resolve(path)), `workers file ${path}`);
}
