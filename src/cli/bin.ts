#!/usr/bin/env node
/** The `orchestrator` command of the installed package: the CLI, run as compiled JavaScript (no tsx). */
import { main } from "./main.js";
import { exitOnLateSignal } from "./shutdown.js";

process.exitCode = await main(process.argv.slice(2));
exitOnLateSignal(process.exitCode);
