import { fork, spawnSync, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { HumanMessage } from "@langchain/core/messages";
import { createSupervisor } from "@langchain/langgraph-supervisor";
import { ChatOpenAI } from "@langchain/openai";
import { createAgent } from "langchain";
import { runGraph } from "../../src/app/run.js";
import { openAIProvider } from "../../src/models.js";
import type { SettingsInput } from "../../src/settings.js";
import { agentWorker } from "../../src/workers/registry.js";
import {
  describeRequest,
  startOpenAIServer,
  type OpenAIServer,
  type Reply,
  type RequestView,
} from "../helpers/openai-server.js";
import { topologicalOrder } from "./dag.js";
import { runFlatFanOut } from "./flat-fanout.js";
import type { BenchTask } from "./plans.js";
import { benchGraph, oursSettings } from "./real.js";

/** Every system's prompt for a task names it so: the loopback model answers that call after the task's latency. */
const taskPrompt = (id: string) => `Your task "${id}": do ${id}.`;
const GOAL = "Plan a 3-day trip to Paris (bench goal of the trip plan's shape).";

/** One measured run of a system: its wall time and the model calls it made. */
export interface PeerRun {
  makespanMs: number;
  modelCalls: number;
}

/**
 * The loopback OpenAI-compatible model every system calls: a task's call (its prompt names the task) answers after
 * the task's latency; every other call (planning, a supervisor's turn, synthesis) after `routingMs`. The planner
 * answers with the plan, a supervisor hands the next task whose dependencies are done to its agent.
 */
export class PeerModel {
  calls = 0;
  private constructor(
    private readonly server: OpenAIServer,
    readonly url: string,
  ) {}

  static async start(tasks: readonly BenchTask[], routingMs: number): Promise<PeerModel> {
    const latency = new Map(tasks.map((task) => [task.id, task.latencyMs]));
    let model: PeerModel | undefined;
    const server = await startOpenAIServer({
      handler: (body) => {
        model!.calls++;
        const view = describeRequest(body);
        if (view.tools.includes("task")) return { ...deepAgentTurn(view, tasks), delayMs: routingMs };
        if (view.tools.some((name) => name.startsWith("transfer_to_")))
          return { ...supervisorTurn(view, tasks), delayMs: routingMs };
        if (view.structured === "plan")
          return { structured: { rationale: "The trip's tasks.", tasks: planSpecs(tasks) }, delayMs: routingMs };
        const id = /Your task "(\w+)"/.exec(`${view.system}\n${view.prompt}`)?.[1];
        return id
          ? { content: `done ${id}`, delayMs: latency.get(id) ?? 0 }
          : { content: "ANSWER", delayMs: routingMs };
      },
    });
    model = new PeerModel(server, server.url);
    return model;
  }

  /** A chat model on the loopback server, as a user would configure it (no client retries). */
  chat(): ChatOpenAI {
    return new ChatOpenAI({
      model: "gpt-4o-mini",
      apiKey: "test",
      configuration: { baseURL: this.url },
      maxRetries: 0,
      timeout: 60_000,
    });
  }

  /** Times `run`, counting the model calls it makes. */
  async measure(run: () => Promise<unknown>): Promise<PeerRun> {
    const before = this.calls;
    const started = performance.now();
    await run();
    return { makespanMs: performance.now() - started, modelCalls: this.calls - before };
  }

  close(): Promise<void> {
    return this.server.close();
  }
}

/** The plan as the planner model returns it: every task on the `sim` agent worker. */
export function planSpecs(tasks: readonly BenchTask[]) {
  return tasks.map((task) => ({
    id: task.id,
    title: `Task ${task.id}`,
    description: `Do ${task.id}.`,
    worker: "sim",
    dependsOn: task.dependsOn,
    expectedOutput: "A short result.",
    estimatedCost: task.cost,
    complex: false,
  }));
}

/** The tasks whose results the conversation holds (a worker answers `done <id>`). */
function doneTasks(view: RequestView): Set<string> {
  return new Set([...JSON.stringify(view.messages).matchAll(/done (\w+)/g)].map((match) => match[1]!));
}

/** The tasks not done yet whose dependencies are all done, in dependency order. */
function readyTasks(view: RequestView, tasks: readonly BenchTask[]): BenchTask[] {
  const done = doneTasks(view);
  return topologicalOrder(tasks).filter((task) => !done.has(task.id) && task.dependsOn.every((dep) => done.has(dep)));
}

/** A supervisor's turn: hand the first task whose dependencies are done to its agent, or answer when all are done. */
function supervisorTurn(view: RequestView, tasks: readonly BenchTask[]): Reply {
  const next = readyTasks(view, tasks)[0];
  return next
    ? { toolCalls: [{ name: `transfer_to_${next.id}`, args: {}, id: `call_${next.id}` }] }
    : { content: "FINAL ANSWER" };
}

/** A deep agent's turn: one `task` call to the `sim` subagent per ready task, all at once, or the answer when all are done. */
function deepAgentTurn(view: RequestView, tasks: readonly BenchTask[]): Reply {
  const ready = readyTasks(view, tasks);
  if (ready.length === 0) return { content: "FINAL ANSWER" };
  return {
    toolCalls: ready.map((task) => ({
      name: "task",
      args: { description: taskPrompt(task.id), subagent_type: "sim" },
      id: `call_${task.id}`,
    })),
  };
}

/** Ours: the orchestrator graph with an LLM agent worker, planning and synthesizing through the same model. */
export function runOursWithModel(model: PeerModel, threadId: string, settings: SettingsInput = {}): Promise<unknown> {
  const sim = agentWorker({
    name: "sim",
    description: "Does one task with the model.",
    systemPrompt: "You do one task.",
  });
  const graph = benchGraph([sim], { models: openAIProvider({ openaiBaseUrl: model.url, openaiApiKey: "test" }) });
  return runGraph(graph, { goal: GOAL }, { threadId, settings: { ...oursSettings, ...settings } });
}

/** @langchain/langgraph-supervisor: one createAgent agent per task; the supervisor hands work out one task at a time. */
export async function runSupervisor(model: PeerModel, tasks: readonly BenchTask[]): Promise<unknown> {
  const agents = tasks.map(
    (task) => createAgent({ model: model.chat(), tools: [], name: task.id, systemPrompt: taskPrompt(task.id) }).graph,
  );
  const supervisor = createSupervisor({
    agents,
    llm: model.chat(),
    prompt: "You hand each task to its agent once its dependencies are done.",
  }).compile();
  return supervisor.invoke({ messages: [new HumanMessage(GOAL)] }, { recursionLimit: 20 * tasks.length });
}

/** LangGraph's tutorial: a planning call, every task sent at once (dependencies ignored), joined without a model. */
export function runFlatFanOutWithModel(model: PeerModel, tasks: readonly BenchTask[]): Promise<number> {
  const chat = model.chat();
  return runFlatFanOut(tasks, {
    plan: () => chat.invoke("Plan the trip."),
    work: (task) => chat.invoke(taskPrompt(task.id)),
  });
}

/** The seeds' sequential loop: a planning call, each task's call awaited in dependency order, a synthesis call. */
export async function runSequentialWithModel(model: PeerModel, tasks: readonly BenchTask[]): Promise<void> {
  const chat = model.chat();
  await chat.invoke("Plan the trip.");
  for (const task of topologicalOrder(tasks)) await chat.invoke(taskPrompt(task.id));
  await chat.invoke("Write the answer.");
}

/** The deepagents peer's own package folder: deepagents 1.14.1 wants langsmith <0.10, the product pins 0.12.0. */
const DEEPAGENTS_DIR = fileURLToPath(new URL("./deepagents/", import.meta.url));

/**
 * deepagents JS: a deep agent whose `sim` subagent does each task, delegated with its `task` tool. It runs in a child
 * process that resolves the folder's own packages; the folder is installed with `npm ci` on first use.
 */
export class DeepAgentsPeer {
  private constructor(private readonly child: ChildProcess) {}

  static async start(model: PeerModel): Promise<DeepAgentsPeer> {
    if (!existsSync(join(DEEPAGENTS_DIR, "node_modules"))) installDeepAgents();
    const child = fork(join(DEEPAGENTS_DIR, "peer.mjs"), [model.url, GOAL], {
      stdio: ["ignore", "inherit", "inherit", "ipc"],
    });
    const [ready] = await Promise.race([once(child, "message"), once(child, "exit").then(() => [undefined])]);
    if ((ready as { type?: string } | undefined)?.type !== "ready")
      throw new Error(`the deepagents peer (${DEEPAGENTS_DIR}peer.mjs) exited before it was ready`);
    return new DeepAgentsPeer(child);
  }

  /** One run of the deep agent on the trip goal. */
  async run(): Promise<void> {
    this.child.send({ type: "run" });
    const done = new AbortController();
    const exited = once(this.child, "exit", { signal: done.signal }).then(([code]) => [
      { type: "exit", message: `its process exited (${code})` },
    ]);
    try {
      const [reply] = (await Promise.race([once(this.child, "message"), exited])) as [
        { type: string; message?: string },
      ];
      if (reply.type !== "done") throw new Error(`the deepagents peer failed: ${reply.message}`);
    } finally {
      done.abort();
    }
  }

  close(): void {
    this.child.kill();
  }
}

function installDeepAgents(): void {
  const npm = spawnSync("npm", ["ci", "--no-audit", "--no-fund", "--loglevel=warn"], {
    cwd: DEEPAGENTS_DIR,
    stdio: ["ignore", "inherit", "inherit"],
  });
  if (npm.status !== 0) throw new Error(`npm ci in ${DEEPAGENTS_DIR} failed (exit ${npm.status ?? npm.signal})`);
}
