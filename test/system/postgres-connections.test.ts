import { writeFileSync } from "node:fs";
import { join } from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli, spawnCli, type CliRun } from "../helpers/cli-process.js";
import { describeRequest, startOpenAIServer, type OpenAIServer } from "../helpers/openai-server.js";
import { postgresBin, startOwnPostgres, type OwnPostgres } from "../helpers/own-postgres.js";
import { tempDirs } from "../helpers/temp-dirs.js";
import { deferred } from "../helpers/wait.js";

const tempDir = tempDirs("orchestrator-pg-connections-");
const bin = postgresBin();
const RUNS = 40;

if (!bin) console.warn("Postgres connection tests skipped: no initdb under /usr/lib/postgresql");

describe.runIf(bin)("CLI runs on a Postgres of their own with the default max_connections (100)", () => {
  let postgres: OwnPostgres;
  let model: OpenAIServer;
  /** Opens once every run is in its task (or one ended early): until then every task's model call waits. */
  let allIn = deferred();
  let waiting = 0;
  beforeAll(async () => {
    postgres = await startOwnPostgres(bin!);
    model = await startOpenAIServer({
      handler: async (body) => {
        const { system } = describeRequest(body);
        if (system.includes("final answer")) return { content: "the answer" };
        if (++waiting === RUNS) allIn.resolve();
        await allIn.promise;
        return { content: "the notes" };
      },
    });
  }, 60_000);
  afterAll(async () => {
    await model?.close();
    postgres?.stop();
  });

  const planFile = () => {
    const dir = tempDir();
    writeFileSync(
      join(dir, "plan.json"),
      JSON.stringify({ tasks: [{ id: "notes", title: "Notes", worker: "researcher" }] }),
    );
    return dir;
  };
  const args = (dir: string, thread: string) => [
    `goal ${thread}`,
    "--plan",
    join(dir, "plan.json"),
    "--checkpointer",
    `${postgres.url}?schema=crowd`,
    "--thread",
    thread,
    "--json",
  ];
  const env = () => ({ OPENAI_BASE_URL: model.url, OPENAI_API_KEY: "test" });
  const connections = async (watcher: pg.Client) =>
    Number(
      (await watcher.query("SELECT count(*) AS n FROM pg_stat_activity WHERE backend_type = 'client backend'")).rows[0]
        .n,
    );

  it(`completes ${RUNS} runs at once, all holding their thread at the same time`, async () => {
    const dir = planFile();
    allIn = deferred();
    waiting = 0;
    const watcher = new pg.Client({ connectionString: postgres.url });
    await watcher.connect();
    try {
      const runs = Array.from({ length: RUNS }, (_, i) =>
        spawnCli(args(dir, `run-${i}`), { cwd: dir, env: env(), deadlineMs: 600_000 }).exited.finally(() =>
          allIn.resolve(),
        ),
      );
      await allIn.promise;
      const atPeak = waiting === RUNS ? await connections(watcher) : undefined;
      const ended: CliRun[] = await Promise.all(runs);
      const outcomes = ended.map((run, i) => ({
        i,
        code: run.code,
        status: run.code === 0 ? (JSON.parse(run.stdout) as { status: string }).status : run.stderr.slice(0, 300),
      }));
      expect(outcomes).toEqual(ended.map((_, i) => ({ i, code: 0, status: "done" })));
      console.info(`${RUNS} runs at once held ${atPeak} connections (with this test's one) at their peak`);
      expect(atPeak).toBeLessThanOrEqual(2 * RUNS + 1);
    } finally {
      await watcher.end();
    }
    // Forty CLI processes start at once on what cores there are: about a minute on an idle two-core machine.
  }, 660_000);

  it("exits 1 with one line naming pool_size when the server has no free connection, and --json still prints a result", async () => {
    const dir = planFile();
    const fillers: pg.Client[] = [];
    try {
      for (;;) {
        const client = new pg.Client({ connectionString: postgres.url });
        try {
          await client.connect();
        } catch (error) {
          expect((error as { code?: string }).code).toBe("53300");
          break;
        }
        fillers.push(client);
      }
      const run = await runCli(args(dir, "crowded"), { cwd: dir, env: env() });
      const message =
        `The checkpoint database at ${postgres.url} has no free connection: too many clients already (53300). ` +
        "Run fewer processes at once, lower ?pool_size= (this process opens up to 2: pool_size), or raise the server's max_connections.";
      expect(run).toEqual({
        code: 1,
        stderr: `${message}\n`,
        stdout: `${JSON.stringify({ threadId: "crowded", status: "failed", error: message }, null, 2)}\n`,
      });
    } finally {
      await Promise.all(fillers.map((client) => client.end()));
    }
  }, 120_000);
});
