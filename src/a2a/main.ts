import { parseFlags, usageErrorText } from "../cli/args.js";
import { EXIT } from "../cli/exit-codes.js";
import { isEntryPoint, processIO } from "../cli/io.js";
import type { CliIO } from "../cli/io.js";
import { serveUntilSignal, serviceIO } from "../cli/service.js";
import { readEnvironment } from "../env.js";
import { ConfigError } from "../errors.js";
import { createOrchestrator, openAIProvider, type Orchestrator } from "../index.js";
import { DEFAULT_CHECKPOINTER } from "../persistence/checkpointer.js";
import { withAgentCards } from "../workers/a2a-card.js";
import { loadWorkersFile, serverRegistry } from "../workers/workers-file.js";
import { serveA2aAgent } from "./agent.js";

const USAGE = [
  "Usage: npm run a2a -- --port <n> [options]",
  "",
  "Serves the orchestrator as an Agent2Agent (A2A 1.0 JSON-RPC, and 0.3) agent until SIGTERM or SIGINT: its card at",
  "/.well-known/agent-card.json lists the workers as skills; a message's text is a goal, each A2A task a thread.",
  "",
  "Options:",
  "  --port <n>             The port to listen on (0: any free one).",
  "  --host <address>       The address to listen on (default 127.0.0.1).",
  "  --url <url>            The agent's public URL, as its card gives it (default: http://host:port).",
  "  --checkpointer <spec>  memory, sqlite:PATH or postgres://… (default: $ORCHESTRATOR_CHECKPOINTER, else the CLI's).",
  "  --workers <file.json>  The team of a workers file, A2A agents included (default: $ORCHESTRATOR_WORKERS, else",
  "                         the default workers).",
  "  --name <name>          The agent's name on its card (default langgraph-orchestrator).",
  "  -h, --help             Show this help.",
  "Models: OPENAI_API_KEY and OPENAI_BASE_URL, as for the CLI.",
].join("\n");

/** The command line's values; "help" for --help. Throws a `ConfigError` naming a bad flag or value. */
function parseA2aFlags(argv: readonly string[]) {
  const { values } = parseFlags({
    args: [...argv],
    options: {
      port: { type: "string" },
      host: { type: "string", default: "127.0.0.1" },
      url: { type: "string" },
      checkpointer: { type: "string" },
      workers: { type: "string" },
      name: { type: "string" },
      help: { type: "boolean", short: "h", default: false },
    },
    strict: true,
  });
  if (values.help) return "help" as const;
  const port = Number(values.port);
  if (values.port === undefined || !Number.isInteger(port) || port < 0 || port > 65535) {
    throw new ConfigError(
      `Invalid value for --port: ${JSON.stringify(values.port ?? null)} (expected a port number, 0 for any free one)`,
    );
  }
  if (values.url !== undefined && !URL.canParse(values.url)) {
    throw new ConfigError(`Invalid value for --url: ${JSON.stringify(values.url)} (expected http://host:port)`);
  }
  return { ...values, port };
}

/** Serves the orchestrator over A2A until a signal; returns the exit code. */
export async function a2aMain(argv: readonly string[], io: CliIO = serviceIO(processIO())): Promise<number> {
  const env = readEnvironment(io.env);
  let flags: Exclude<ReturnType<typeof parseA2aFlags>, "help">;
  try {
    const parsed = parseA2aFlags(argv);
    if (parsed === "help") return (io.stdout(`${USAGE}\n`), EXIT.done);
    flags = parsed;
  } catch (error) {
    io.stderr(usageErrorText(error));
    return EXIT.usage;
  }
  let orchestrator: Orchestrator | undefined;
  try {
    const file = flags.workers ?? env.workersFile;
    const registry = await withAgentCards(file ? loadWorkersFile(file) : serverRegistry(env));
    orchestrator = await createOrchestrator({
      checkpointer: flags.checkpointer ?? env.checkpointer ?? DEFAULT_CHECKPOINTER,
      workers: registry,
      models: io.models ?? openAIProvider(env),
    });
    const runs = orchestrator;
    const agent = await serveA2aAgent({
      runs,
      registry,
      port: flags.port,
      host: flags.host,
      publicUrl: flags.url,
      name: flags.name,
    });
    io.stderr(`A2A agent serving ${agent.url} (card: ${agent.cardUrl}; skills: ${registry.names.join(", ")}).\n`);
    return await serveUntilSignal(
      io,
      agent,
      "Stopping: no new tasks; runs in flight are cut and resume from their checkpoints…",
    );
  } catch (error) {
    io.stderr(`The A2A agent failed: ${(error as Error).message}\n`);
    return error instanceof ConfigError ? EXIT.usage : EXIT.failed;
  } finally {
    await orchestrator?.close();
  }
}

if (isEntryPoint(import.meta.url)) {
  process.exitCode = await a2aMain(process.argv.slice(2));
}
