import { describe, expect, it } from "vitest";
import { tailOf } from "../../src/workers/mcp.js";

describe("the stderr tail an MCP start failure quotes", () => {
  it("keeps the last non-empty lines only", () => {
    expect(tailOf("one\n\ntwo\r\nthree\n", 2)).toBe("two\nthree");
  });

  it("keeps at most the given number of characters, from the end", () => {
    expect(tailOf(`${"x".repeat(50)}\nwhy it failed`, 20, 13)).toBe("why it failed");
  });
});
