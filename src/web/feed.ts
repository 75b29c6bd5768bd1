import { setTimeout as sleep } from "node:timers/promises";
import type { OrchestratorEvent } from "../events.js";
import { layout, type LaidOutView } from "./layout.js";
import {
  applyEvent,
  emptyView,
  overlay,
  phaseAfter,
  viewFromState,
  type LiveTask,
  type RunView,
  type ViewState,
} from "./run-view.js";

/** Told that the picture changed; it reads `view()` when it wants it (the event stream does, at most every 50 ms). */
export type ViewListener = () => void;

/** Waits `ms`, or until `signal` aborts; never rejects (a watcher polling a run's state between updates). */
export const pause = (ms: number, signal: AbortSignal): Promise<unknown> =>
  sleep(ms, undefined, { signal }).catch(() => undefined);

/**
 * The live picture of one thread: checkpointed state (`load`) with the current run's lifecycle events on top
 * (`event`), laid out once per change of the task graph, its subscribers told of every change.
 */
export class ViewFeed {
  private base: RunView;
  private readonly live = new Map<string, LiveTask>();
  private phase: RunView["phase"] = "idle";
  private readonly listeners = new Set<ViewListener>();
  private laid: LaidOutView | undefined;
  private shape = "";
  private positions: LaidOutView | undefined;

  constructor(
    readonly threadId: string,
    goal = "",
  ) {
    this.base = emptyView(threadId, goal);
  }

  /** A checkpoint of the thread. `settled`: no run is streaming, so the checkpoint is the whole truth. */
  load(state: ViewState, settled: boolean): void {
    const goal = state.goal || this.base.goal;
    this.base = viewFromState(this.threadId, { ...state, goal });
    if (settled) {
      this.live.clear();
      this.phase = "idle";
    }
    this.changed();
  }

  /** A run starts streaming on the thread: its events are the live overlay from now on. */
  runStarted(): void {
    this.live.clear();
    this.phase = "running";
    this.changed();
  }

  /** One lifecycle event of the streaming run. */
  event(event: OrchestratorEvent): void {
    applyEvent(this.live, event);
    this.phase = phaseAfter(this.phase, event);
    this.changed();
  }

  /** The current picture, laid out. */
  view(): LaidOutView {
    if (!this.laid) this.laid = this.layOut();
    return this.laid;
  }

  /** Calls `listener` with every new picture; returns a function that stops it. */
  subscribe(listener: ViewListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** How many subscribers are listening. */
  get subscribers(): number {
    return this.listeners.size;
  }

  private changed(): void {
    this.laid = undefined;
    for (const listener of this.listeners) listener();
  }

  /** Lays the view out again only when its nodes or edges changed; otherwise reuses the positions. */
  private layOut(): LaidOutView {
    const view = overlay(this.base, this.live, this.phase);
    const shape = JSON.stringify([view.tasks.map((task) => [task.id, task.dependsOn, task.from]), view.droppedEdges]);
    if (shape === this.shape && this.positions) {
      const positions = this.positions;
      return {
        ...positions,
        ...view,
        tasks: view.tasks.map((task, i) => ({ ...task, x: positions.tasks[i]!.x, y: positions.tasks[i]!.y })),
      };
    }
    const laid = layout(view);
    this.shape = shape;
    this.positions = laid;
    return laid;
  }
}
