import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ConfigError } from "../../src/errors.js";
import { loadWorkersFile, registryFromFile, serverRegistry } from "../../src/workers/workers-file.js";

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "workers-file-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const researcher = {
  name: "researcher",
  description: "Finds facts.",
  systemPrompt: "You research.",
  model: "anthropic:claude-sonnet-4-5",
  capabilities: ["web_search"],
  mcpServers: { files: { command: "node", args: ["server.js"] }, docs: { url: "http://127.0.0.1:9/mcp" } },
  tools: ["read_file"],
};

describe("a workers file", () => {
  it("declares agent workers with their models, capabilities and MCP servers, stdio ones run from the file's directory", () => {
    const registry = registryFromFile({ workers: [researcher] }, "/teams/blue");
    expect(registry.get("researcher")).toEqual({
      kind: "agent",
      name: "researcher",
      description: "Finds facts.",
      systemPrompt: "You research.",
      model: "anthropic:claude-sonnet-4-5",
      capabilities: ["web_search"],
      mcpServers: {
        files: { command: "node", args: ["server.js"], cwd: "/teams/blue" },
        docs: { url: "http://127.0.0.1:9/mcp" },
      },
      mcpTools: ["read_file"],
    });
  });

  it("declares a remote A2A agent as an a2a worker with its URL and headers, and names a bad URL", () => {
    const remote = {
      name: "remote_researcher",
      description: "Researches elsewhere.",
      a2a: { url: "http://127.0.0.1:9/", headers: { authorization: "Bearer t" } },
      capabilities: ["web_search"],
    };
    expect(registryFromFile({ workers: [researcher, remote] }, dir).get("remote_researcher")).toEqual({
      kind: "a2a",
      name: "remote_researcher",
      description: "Researches elsewhere.",
      url: "http://127.0.0.1:9/",
      headers: { authorization: "Bearer t" },
      capabilities: ["web_search"],
    });
    const bad = { workers: [{ ...remote, a2a: { url: "not a url" } }] };
    expect(() => registryFromFile(bad, dir, "workers file team.json")).toThrow(
      'Invalid workers file team.json:\n  - workers.0.a2a.url: Invalid URL (got "not a url")',
    );
  });

  it("names every bad field with its path and bad value, and an MCP server's against the form it comes closest to", () => {
    const bad = { workers: [{ ...researcher, mcpServers: { files: { args: ["x"] } }, temperature: "hot", extra: 1 }] };
    const error = (() => {
      try {
        registryFromFile(bad as never, dir, "workers file team.json");
      } catch (e) {
        return e as Error;
      }
    })();
    expect(error).toBeInstanceOf(ConfigError);
    expect(error?.message.split("\n").sort()).toEqual([
      "  - workers.0.mcpServers.files.command: Invalid input: expected string, received undefined",
      '  - workers.0.temperature: Invalid input: expected number, received string (got "hot")',
      '  - workers.0: Unrecognized key: "extra"',
      "Invalid workers file team.json:",
    ]);
  });

  it("reports what the registry rejects, a missing file and malformed JSON, naming the file", () => {
    expect(() => registryFromFile({ workers: [researcher, researcher] }, dir, "workers file team.json")).toThrow(
      'Invalid workers file team.json: Worker "researcher" is registered twice.',
    );
    expect(() => loadWorkersFile(join(dir, "missing.json"))).toThrow(
      `Cannot read the workers file ${join(dir, "missing.json")}`,
    );
    writeFileSync(join(dir, "broken.json"), "{ workers: ");
    expect(() => loadWorkersFile(join(dir, "broken.json"))).toThrow(
      `The workers file ${join(dir, "broken.json")} is not valid JSON`,
    );
  });

  it("is what the server's graph takes its workers from when ORCHESTRATOR_WORKERS names one", () => {
    const path = join(dir, "team.json");
    writeFileSync(path, JSON.stringify({ workers: [researcher] }));
    expect(serverRegistry({ workersFile: path }).names).toEqual(["researcher"]);
    expect(serverRegistry({}).names).toEqual(["researcher", "analyst", "writer", "reviewer"]);
  });
});
