import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { BaseCheckpointSaver } from "@langchain/langgraph";
import type { SqliteSaver } from "@langchain/langgraph-checkpoint-sqlite";
import { openCheckpointer } from "../../../src/persistence/checkpointer.js";
import { scriptedProvider } from "../../helpers/scripted-model.js";
import type { BenchConfig } from "../config.js";
import { chain } from "../plans.js";
import { benchGraph, latencyWorker, runOurs, runPlan } from "../real.js";
import type { ScenarioOutput } from "../report.js";
import { round } from "../stats.js";
import { bytesByChannel, bytesByColumn, totalBytes } from "../sqlite-tables.js";

const ROUNDS = [5, 10, 20];
/** Characters every round's task returns: the fixed per-round payload. */
const PAYLOAD_CHARS = 2_000;

type Variant = "chain" | "replan";

/** One goal of `rounds` rounds on a fresh SQLite file; the thread's bytes by column. */
async function bytesFor(
  variant: Variant,
  rounds: number,
  dir: string,
): Promise<{ byColumn: Record<string, number>; byChannel: Record<string, number> }> {
  const handle = await openCheckpointer(`sqlite:${join(dir, `${variant}-${rounds}.db`)}`);
  const threadId = `${variant}-${rounds}`;
  try {
    const tasks = chain(variant === "chain" ? rounds : 1, () => 1, "r").map((task) => ({ ...task, latencyMs: 0 }));
    if (variant === "chain") {
      await runOurs(tasks, { cap: 4, threadId, checkpointer: handle.saver, payloadChars: PAYLOAD_CHARS });
    } else {
      await runReplans(rounds, threadId, handle.saver);
    }
    const saver = handle.saver as SqliteSaver;
    return { byColumn: bytesByColumn(saver, threadId), byChannel: bytesByChannel(saver, threadId) };
  } finally {
    await handle.close();
  }
}

/** A one-task plan that the scripted planner extends by one task after every wave: `rounds` rounds, `rounds − 1` replans. */
async function runReplans(rounds: number, threadId: string, checkpointer: BaseCheckpointSaver) {
  let added = 0;
  const models = scriptedProvider({
    planner: () => {
      added++;
      const id = `r${String(added).padStart(2, "0")}`;
      const previous = `r${String(added - 1).padStart(2, "0")}`;
      return {
        structured: {
          decision: "revise",
          reason: `round ${added + 1} needs ${id}`,
          addTasks: [
            {
              id,
              title: `Task ${id}`,
              description: `Do ${id}`,
              worker: "sim",
              dependsOn: [previous],
              expectedOutput: "",
              estimatedCost: 1,
              complex: false,
            },
          ],
          cancelTaskIds: [],
        },
      };
    },
    synthesizer: () => "answer",
  });
  const settings = { maxParallel: 4, replan: "after-wave" as const, maxReplans: rounds - 1 };
  const graph = benchGraph([latencyWorker([], { payloadChars: PAYLOAD_CHARS })], { checkpointer, models, settings });
  const run = await runPlan(graph, [{ id: "r00", dependsOn: [], cost: 1 }], { threadId, settings });
  if (run.summary.tasks.length !== rounds)
    throw new Error(`replan bench: expected ${rounds} tasks, ran ${run.summary.tasks.length}`);
}

interface RoundRow {
  rounds: number;
  bytes: number;
  perRound: number;
  byColumn: Record<string, number>;
  byChannel: Record<string, number>;
}

/** Bytes per round added between 5→10 and 10→20 rounds; linear growth keeps them equal. */
function linearity(rows: readonly RoundRow[], bytesOf: (row: RoundRow) => number = (row) => row.bytes) {
  const [five, ten, twenty] = rows as [RoundRow, RoundRow, RoundRow];
  const marginalLow = (bytesOf(ten) - bytesOf(five)) / (ten.rounds - five.rounds);
  const marginalHigh = (bytesOf(twenty) - bytesOf(ten)) / (twenty.rounds - ten.rounds);
  return {
    ratio20to10: bytesOf(twenty) / bytesOf(ten),
    marginalLow,
    marginalHigh,
    marginalGrowth: marginalHigh / marginalLow,
  };
}

/** The channels that hold most of the bytes, with how their bytes grow. */
function channelRows(variant: Variant, rows: readonly RoundRow[]) {
  const last = rows[rows.length - 1]!;
  return Object.keys(last.byChannel)
    .filter((channel) => last.byChannel[channel]! >= 0.02 * last.bytes)
    .sort((a, b) => last.byChannel[b]! - last.byChannel[a]!)
    .map((channel) => {
      const fit = linearity(rows, (row) => row.byChannel[channel] ?? 0);
      return {
        variant,
        channel,
        bytes: rows.map((row) => row.byChannel[channel] ?? 0),
        marginalGrowth: fit.marginalGrowth,
      };
    });
}

/** Scenario 4: SQLite bytes per goal for 5, 10 and 20 rounds with a fixed payload per round. */
export async function checkpointScenario(_config: BenchConfig, log: (line: string) => void): Promise<ScenarioOutput> {
  const dir = mkdtempSync(join(tmpdir(), "orchestrator-bench-"));
  const variants: Record<Variant, RoundRow[]> = { chain: [], replan: [] };
  try {
    for (const variant of ["chain", "replan"] as const) {
      for (const rounds of ROUNDS) {
        const { byColumn, byChannel } = await bytesFor(variant, rounds, dir);
        const bytes = totalBytes(byColumn);
        variants[variant].push({ rounds, bytes, perRound: bytes / rounds, byColumn, byChannel });
        log(`  ${variant}, ${rounds} rounds: ${bytes} bytes (${(bytes / rounds).toFixed(0)} per round)`);
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const chainFit = linearity(variants.chain);
  const replanFit = linearity(variants.replan);
  const channels = [...channelRows("chain", variants.chain), ...channelRows("replan", variants.replan)];
  const superlinear = channels.filter((c) => c.marginalGrowth > 1.1);
  const linear = (fit: typeof chainFit) => fit.marginalGrowth <= 1.1;
  const col = (row: RoundRow, key: string) => row.byColumn[key] ?? 0;
  return {
    headline: {
      checkpointBytesRatio20to10: round(chainFit.ratio20to10),
      checkpointReplanBytesRatio20to10: round(replanFit.ratio20to10),
    },
    figures: {
      payloadChars: PAYLOAD_CHARS,
      rounds: ROUNDS,
      chain: { rows: variants.chain, ...chainFit },
      replan: { rows: variants.replan, ...replanFit },
      channels,
    },
    tables: [
      {
        title: `4. Checkpoint bytes per goal (SQLite via openCheckpointer, sync durability, ${PAYLOAD_CHARS}-char payload per round)`,
        columns: [
          "variant",
          "rounds",
          "bytes",
          "bytes/round",
          "checkpoint blobs",
          "metadata",
          "write values",
          "checkpoints",
          "writes",
        ],
        rows: (["chain", "replan"] as const).flatMap((variant) =>
          variants[variant].map((row) => [
            variant,
            row.rounds,
            row.bytes,
            round(row.perRound, 0),
            col(row, "checkpoints.checkpoint"),
            col(row, "checkpoints.metadata"),
            col(row, "writes.value"),
            col(row, "checkpoints.rows"),
            col(row, "writes.rows"),
          ]),
        ),
        notes: [
          "bytes = every column of the thread's rows in the tables the SQLite saver creates (checkpoints, writes).",
          "chain: a chain of N tasks (one task per round). replan: one task, then N − 1 replans by a scripted planner, each adding the next task.",
          `marginal bytes per round, 5→10 vs 10→20: chain ${chainFit.marginalLow.toFixed(0)} → ${chainFit.marginalHigh.toFixed(0)} (×${chainFit.marginalGrowth.toFixed(3)}), replan ${replanFit.marginalLow.toFixed(0)} → ${replanFit.marginalHigh.toFixed(0)} (×${replanFit.marginalGrowth.toFixed(3)}).`,
        ],
      },
      {
        title:
          "4. Where the bytes are: state channels (value in every checkpoint + pending writes), ≥ 2% of the 20-round total",
        columns: ["variant", "channel", "5 rounds", "10 rounds", "20 rounds", "marginal growth", "superlinear"],
        rows: channels.map((c) => [
          c.variant,
          c.channel,
          c.bytes[0]!,
          c.bytes[1]!,
          c.bytes[2]!,
          c.marginalGrowth,
          c.marginalGrowth > 1.1,
        ]),
        notes: [
          "marginal growth = bytes per added round over 10→20 ÷ over 5→10 (1.0 = linear; a channel re-stored whole in every checkpoint grows quadratically).",
        ],
      },
    ],
    goals: [
      {
        goal: "checkpoint bytes linear in rounds (chain; marginal bytes/round 10→20 ≤ 1.1× 5→10)",
        measured: `20/10 rounds = ${chainFit.ratio20to10.toFixed(3)}, marginal ×${chainFit.marginalGrowth.toFixed(3)}${
          superlinear.some((c) => c.variant === "chain")
            ? `; superlinear: ${superlinear
                .filter((c) => c.variant === "chain")
                .map((c) => c.channel)
                .join(", ")}`
            : ""
        }`,
        pass: linear(chainFit),
      },
      {
        goal: "checkpoint bytes linear in rounds (replans)",
        measured: `20/10 rounds = ${replanFit.ratio20to10.toFixed(3)}, marginal ×${replanFit.marginalGrowth.toFixed(3)}${
          superlinear.some((c) => c.variant === "replan")
            ? `; superlinear: ${superlinear
                .filter((c) => c.variant === "replan")
                .map((c) => c.channel)
                .join(", ")}`
            : ""
        }`,
        pass: linear(replanFit),
      },
    ],
  };
}
