#!/usr/bin/env node
import { register } from "tsx/esm/api";

register();
const { main } = await import("./main.ts");
const { exitOnLateSignal } = await import("./shutdown.ts");
process.exitCode = await main(process.argv.slice(2));
exitOnLateSignal(process.exitCode);
