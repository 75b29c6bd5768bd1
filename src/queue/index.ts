/** Runs and tasks on a job queue (BullMQ on Redis): the `langgraph-orchestrator/queue` entry point. */
export { QueueOptionsSchema } from "./connection.js";
export type { QueueOptions } from "./connection.js";
export { createExecutor } from "./executor.js";
export type { Executor, ExecutorOptions, RunReport } from "./executor.js";
export { followRun, submitRun } from "./runs.js";
export type { FollowOptions, RunEntry, SubmitRequest } from "./runs.js";
export { recoverRuns, type RecoverSource } from "./recover.js";
export { queueStatus } from "./status.js";
export type { ExecutorStatus, QueueStatus } from "./status.js";
export { createTaskQueue, createTaskWorker } from "./tasks.js";
export type { TaskQueue, TaskWorker, TaskWorkerOptions } from "./tasks.js";
