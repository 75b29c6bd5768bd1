/**
 * The router after the orchestrator: a human review, the synthesizer, or one `Send("worker", …)` per dispatch
 * unit whose payload is the worker node's declared input (WorkerAssignmentSchema), with context routing.
 */
import { Send } from "@langchain/langgraph";
import { describe, expect, it } from "vitest";
import { buildOrchestratorGraph, compileOrchestrator } from "../../graphs/orchestrator.js";
import { NODES } from "../../nodes/names.js";
import { ORCHESTRATOR_ROUTES, routeFromOrchestrator } from "../../nodes/route.js";
import { dispatchPool, dispatchReady } from "../../src/orchestration/dispatch.js";
import type { TaskBoard } from "../../src/orchestration/task-board.js";
import { WorkerAssignmentSchema, type TaskRecord, type TaskResult } from "../../src/schemas.js";
import type { State } from "../../src/state.js";
import { task } from "../helpers/fixtures.js";
import { as, boardOf, recorder, records, registryOf, result, stateOf, unconfigured } from "../helpers/boards.js";

const done = (record: TaskRecord | undefined) => as(record, { status: "done" });

/** The state after an orchestrator round: the board's tasks and what it dispatched. */
function dispatched(
  board: TaskBoard,
  dispatch: State["dispatch"],
  results: Record<string, TaskResult>,
  goal = "plan a trip",
): State {
  return stateOf({ goal, tasks: { ...board.table }, results, dispatch });
}

/** The router's Sends as plain `{ node, args }`, after checking each is a Send whose payload is a valid assignment. */
function sends(state: State): { node: string; args: unknown }[] {
  const routed = routeFromOrchestrator(state);
  if (!Array.isArray(routed)) throw new Error(`expected Sends, got ${routed}`);
  return routed.map((send) => {
    expect(send).toBeInstanceOf(Send);
    // A payload that parses to itself has every field the schema requires and nothing it does not declare.
    expect(WorkerAssignmentSchema.parse(send.args)).toEqual(send.args);
    return { node: send.node, args: send.args };
  });
}

/** A task as the worker sees it: the spec with its nesting depth, without the orchestrator's bookkeeping. */
const workerTask = (record: TaskRecord) => ({
  id: record.id,
  title: record.title,
  description: record.description,
  worker: record.worker,
  dependsOn: record.dependsOn,
  expectedOutput: record.expectedOutput,
  estimatedCost: record.estimatedCost,
  complex: record.complex,
  depth: record.depth,
  ...(record.parent ? { parent: record.parent } : {}),
});

describe("where the orchestrator goes next", () => {
  it("goes to review while a review is pending, even with tasks dispatched", () => {
    const [a] = records(task("a"));
    const review = { kind: "approve_plan" as const, goal: "g", tasks: [], errors: [] };
    expect(
      routeFromOrchestrator(stateOf({ tasks: { a: a! }, dispatch: [{ tasks: ["a"] }], pendingReview: review })),
    ).toBe(NODES.review);
    expect(routeFromOrchestrator(stateOf({ pendingReview: review }))).toBe("review");
  });

  it("goes to the synthesizer when nothing was dispatched", () => {
    const [a] = records(task("a"));
    expect(routeFromOrchestrator(stateOf({ tasks: { a: done(a) }, results: { a: result("a") } }))).toBe("synthesizer");
  });

  it("declares every destination of the conditional edge", () => {
    expect(ORCHESTRATOR_ROUTES).toEqual(["worker", "review", "synthesizer"]);
  });
});

describe("the Send payloads", () => {
  it("sends each chain to the worker with the goal and, per step, the task, only its own dependencies' results, its dispatch and rank", () => {
    const [research, notes, draft, polish, summary] = records(
      task("research", [], { worker: "writer", expectedOutput: "facts" }),
      task("notes"),
      task("draft", ["research"], { estimatedCost: 2 }),
      task("polish", ["draft", "notes"]),
      task("summary", ["notes"]),
    );
    const board = boardOf(done(research), done(notes), draft!, polish!, summary!);
    const dispatch = dispatchReady(board, 8, true, recorder().emit);
    expect(dispatch).toEqual([{ tasks: ["draft", "polish"] }, { tasks: ["summary"] }]);
    const results = {
      research: result("research", { worker: "writer", output: "three facts", data: { facts: 3 } }),
      notes: result("notes", { output: "some notes" }),
    };
    const state = dispatched(board, dispatch, results);
    const notesResult = { title: "Task notes", worker: "echo", output: "some notes", data: undefined };
    expect(sends(state)).toEqual([
      {
        node: "worker",
        args: {
          goal: "plan a trip",
          steps: [
            {
              task: workerTask(board.get("draft")!),
              dependencies: {
                research: { title: "Task research", worker: "writer", output: "three facts", data: { facts: 3 } },
              },
              dispatch: 1,
              rank: 3,
            },
            // The earlier step's result is not there yet: the worker fills it in as the chain runs.
            { task: workerTask(board.get("polish")!), dependencies: { notes: notesResult }, dispatch: 1, rank: 1 },
          ],
        },
      },
      {
        node: "worker",
        args: {
          goal: "plan a trip",
          steps: [
            { task: workerTask(board.get("summary")!), dependencies: { notes: notesResult }, dispatch: 1, rank: 1 },
          ],
        },
      },
    ]);
    for (const send of sends(state)) expect(send.args).not.toHaveProperty("pool");
  });

  it("writes out a step's task literally: the spec fields and the depth, nothing else", () => {
    const [a] = records(
      task("a", [], {
        title: "Find flights",
        description: "Cheapest",
        worker: "writer",
        expectedOutput: "a list",
        estimatedCost: 4,
      }),
    );
    const sent = as(a, {
      status: "running",
      dispatches: 3,
      attempts: 5,
      reason: "worker: earlier failure",
      blockedBy: "x",
    });
    const [send] = sends(stateOf({ tasks: { a: sent }, dispatch: [{ tasks: ["a"] }] }));
    expect(send).toEqual({
      node: "worker",
      args: {
        goal: "the goal",
        steps: [
          {
            task: {
              id: "a",
              title: "Find flights",
              description: "Cheapest",
              worker: "writer",
              dependsOn: [],
              expectedOutput: "a list",
              estimatedCost: 4,
              complex: false,
              depth: 0,
            },
            dependencies: {},
            dispatch: 3,
            rank: 4,
          },
        ],
      },
    });
    const step = (send!.args as { steps: { task: object }[] }).steps[0]!;
    expect(Object.keys(step.task).sort()).toEqual([
      "complex",
      "dependsOn",
      "depth",
      "description",
      "estimatedCost",
      "expectedOutput",
      "id",
      "title",
      "worker",
    ]);
  });

  it("names a subtask's parent and depth, ranks it above its parent and routes it the results of the dependencies it inherited", () => {
    const [base, parent, child] = records(task("base"), task("p", ["base"]), task("p.x", ["base"]));
    const tasks = {
      base: done(base),
      p: as(parent, { status: "running", children: ["p.x"], dependsOn: ["base", "p.x"] }),
      "p.x": as(child, { status: "running", dispatches: 1, depth: 1, parent: "p" }),
    };
    const [send] = sends(stateOf({ tasks, results: { base: result("base") }, dispatch: [{ tasks: ["p.x"] }] }));
    expect(send).toEqual({
      node: "worker",
      args: {
        goal: "the goal",
        steps: [
          {
            task: { ...workerTask(tasks["p.x"]), depth: 1, parent: "p" },
            dependencies: { base: { title: "Task base", worker: "echo", output: "base out", data: undefined } },
            dispatch: 1,
            // The parent depends on its subtask, so the subtask's rank counts the parent's cost too.
            rank: 2,
          },
        ],
      },
    });
  });

  it("carries the dispatch number of a re-dispatched task, so its result can be matched to this dispatch", () => {
    const [a] = records(task("a"));
    const board = boardOf(as(a, { dispatches: 1, attempts: 3 }));
    const dispatch = dispatchReady(board, 1, false, recorder().emit);
    const [send] = sends(dispatched(board, dispatch, { a: result("a", { dispatch: 1, status: "failed" }) }));
    expect(send).toEqual({
      node: "worker",
      args: {
        goal: "plan a trip",
        steps: [{ task: workerTask(board.get("a")!), dependencies: {}, dispatch: 2, rank: 1 }],
      },
    });
  });

  it("sends a pool as one Send with its slots, the steps highest rank first, each with only its done dependencies' results", () => {
    const [a, b, c, d] = records(
      task("a"),
      task("b", ["a"]),
      task("c", [], { estimatedCost: 4 }),
      task("d", ["b", "x"]),
    );
    const [x] = records(task("x"));
    const board = boardOf(a!, b!, c!, d!, done(x));
    const dispatch = dispatchPool(board, 3, () => false);
    expect(dispatch).toEqual([{ tasks: ["c", "a", "b", "d"], pool: 3 }]);
    const xResult = { title: "Task x", worker: "echo", output: "x out", data: undefined };
    expect(sends(dispatched(board, dispatch, { x: result("x") }, "g"))).toEqual([
      {
        node: "worker",
        args: {
          goal: "g",
          steps: [
            { task: workerTask(board.get("c")!), dependencies: {}, dispatch: 1, rank: 4 },
            { task: workerTask(board.get("a")!), dependencies: {}, dispatch: 1, rank: 3 },
            // "b" waits for "a" inside the pool: the pool fills in that result when "a" is done.
            { task: workerTask(board.get("b")!), dependencies: {}, dispatch: 1, rank: 2 },
            { task: workerTask(board.get("d")!), dependencies: { x: xResult }, dispatch: 1, rank: 1 },
          ],
          pool: 3,
        },
      },
    ]);
  });
});

describe("the worker node's declared input", () => {
  const deps = { registry: registryOf("echo"), models: unconfigured };
  const assignmentKeys = Object.keys(WorkerAssignmentSchema.shape).sort();

  type NodeSpecs = Record<string, { input?: Record<string, { lc_graph_name?: string }> }>;

  it("is WorkerAssignmentSchema: addNode keeps the schema's channels (goal, fenceSeed, steps, pool, handBack, budget, runId, planning) as the worker node's input", () => {
    const builder = buildOrchestratorGraph(deps) as unknown as { nodes: NodeSpecs; _schemaDefinition: object };
    const input = builder.nodes.worker!.input!;
    expect(assignmentKeys).toEqual(["budget", "fenceSeed", "goal", "handBack", "planning", "pool", "runId", "steps"]);
    expect(Object.keys(input).sort()).toEqual(assignmentKeys);
    expect(Object.values(input).map((channel) => channel.lc_graph_name)).toEqual(
      Array(assignmentKeys.length).fill("LastValue"),
    );
    // Nodes without an input option read the whole state.
    expect(builder.nodes.orchestrator!.input).toBe(builder._schemaDefinition);
    expect(Object.keys(builder.nodes.orchestrator!.input!)).toEqual(
      expect.arrayContaining(["tasks", "results", "dispatch", "goal"]),
    );
  });

  it("is what the compiled graph's worker node reads: only the assignment's fields, from a Send or the state", () => {
    const graph = compileOrchestrator(deps, { checkpointer: false });
    const builder = (graph as unknown as { builder: { nodes: NodeSpecs } }).builder;
    expect(Object.keys(builder.nodes.worker!.input!).sort()).toEqual(assignmentKeys);
    const worker = (
      graph.nodes as unknown as Record<
        string,
        { channels: unknown; mapper?: (input: Record<string, unknown>) => unknown }
      >
    ).worker!;
    expect(worker.channels).toEqual({
      goal: "goal",
      fenceSeed: "fenceSeed",
      steps: "steps",
      pool: "pool",
      handBack: "handBack",
      budget: "budget",
      runId: "runId",
      planning: "planning",
    });
    expect(worker.mapper!({ goal: "g", fenceSeed: "s", steps: [], pool: 2, tasks: {}, results: {} })).toEqual({
      goal: "g",
      fenceSeed: "s",
      steps: [],
      pool: 2,
    });
  });
});
