/**
 * A stdio MCP server stuck at start: it writes its pid to the file named by its first argument, then reads its input
 * and never answers (not even `initialize`), and stays up until it is stopped.
 */
import { writeFileSync } from "node:fs";

if (process.argv[2]) writeFileSync(process.argv[2], String(process.pid));
process.stdin.resume();
setInterval(() => {}, 60_000);
