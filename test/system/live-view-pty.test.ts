import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import xterm from "@xterm/headless";
import { describe, expect, it } from "vitest";

/** A duration as the live view prints it (`12ms`, `1.2s`, `1m02s`): how long things took is not what this checks. */
const DURATION = String.raw`(?:\d+ms|\d+\.\ds|\d+m\d{2}s)`;

describe("the CLI under a pseudo-terminal", () => {
  const COLUMNS = 100;
  const ROWS = 40;

  it("draws the live view with a line per task, the final view after it, and exits promptly", async () => {
    const dir = mkdtempSync(join(tmpdir(), "live-view-"));
    try {
      const cli = `node_modules/.bin/tsx src/cli/main.ts --example trip --checkpointer sqlite:${join(dir, "checkpoints.db")}`;
      const started = performance.now();
      const raw = await new Promise<string>((resolve, reject) => {
        const child = spawn("script", ["-qec", `stty cols ${COLUMNS} rows ${ROWS}; exec ${cli}`, "/dev/null"], {
          stdio: ["ignore", "pipe", "pipe"],
          env: {
            ...process.env,
            TERM: "xterm-256color",
            LANGSMITH_TRACING: "false",
            OPENAI_API_KEY: "",
            FORCE_COLOR: "1",
          },
        });
        let out = "";
        child.stdout.setEncoding("utf8").on("data", (chunk: string) => (out += chunk));
        child.on("error", reject);
        child.on("close", (code) => (code === 0 ? resolve(out) : reject(new Error(`exit ${code}: ${out}`))));
      });
      const seconds = (performance.now() - started) / 1000;
      expect(seconds).toBeLessThan(15);
      expect(raw).toContain("planning…");
      expect(raw).toContain("\u001b[?25l");
      expect(raw).toContain("\u001b[?25h");

      const term = new xterm.Terminal({ cols: COLUMNS, rows: ROWS, scrollback: 1000, allowProposedApi: true });
      await new Promise<void>((resolve) => term.write(raw, resolve));
      const buffer = term.buffer.active;
      const screen = Array.from({ length: buffer.length }, (_, y) => buffer.getLine(y)!.translateToString(true));
      const text = screen.join("\n");

      expect(screen.filter((line) => line.includes("planning…"))).toEqual([]);
      expect(screen).toContain("Plan a 3-day trip to Paris from New York for 2 people, 12–15 May, budget $3,000.");
      expect(text).toMatch(new RegExp(`^█{24} 9/9 tasks {2}${DURATION}$`, "m"));
      for (const [id, worker] of [
        ["flight", "flight_agent"],
        ["attractions", "attractions_agent"],
        ["transit_pass", "transit_advisor"],
        ["weather_packing", "packing_advisor"],
        ["hotel", "hotel_agent"],
        ["restaurants", "restaurant_scout"],
        ["budget_check", "budget_checker"],
        ["itinerary", "itinerary_planner"],
        ["extra_hotel_night", "hotel_agent"],
      ]) {
        expect(
          screen.filter((line) => new RegExp(`^✔ ${id} +${worker} +done +attempt 1 +${DURATION}$`).test(line)),
        ).toHaveLength(1);
      }
      expect(screen.filter((line) => new RegExp(`^✔ synthesis {2}template ${DURATION}$`).test(line))).toHaveLength(1);
      expect(text).toContain("Plan: 9 tasks in 4 levels (a ← b: a needs b)");
      expect(text).toMatch(
        new RegExp(`^ {2}extra_hotel_night {2}hotel_agent {8}done {12}1 +${DURATION} {7}0 +█+$`, "m"),
      );
      expect(text).toContain(
        "_Offline mode: no model is configured, so this is a template report of the workers' results._",
      );
      expect(text).toMatch(/^Run log: \/.*\/runs\/[0-9a-f-]{36}\.log$/m);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
