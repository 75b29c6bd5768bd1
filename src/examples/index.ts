import type { Example } from "./example.js";
import { researchExample } from "./research/index.js";
import { tripExample } from "./trip/index.js";

export type { Example } from "./example.js";

/** The examples `--example <name>` can run. */
export const EXAMPLES: Record<string, Example> = { trip: tripExample, research: researchExample };
