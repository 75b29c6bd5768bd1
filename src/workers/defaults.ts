import { agentWorker, WorkerRegistry } from "./registry.js";
import type { WorkerDefinition } from "../worker-contract.js";

/** General-purpose workers for arbitrary goals: used when no example is chosen. */
export const DEFAULT_WORKERS: readonly WorkerDefinition[] = [
  agentWorker({
    name: "researcher",
    description:
      "Gathers facts, options, constraints and background on a question; states what is known and how sure it is.",
    systemPrompt:
      "You are a meticulous researcher. Collect the facts, options and constraints the task asks for. Prefer " +
      "specific, checkable statements (names, numbers, dates) over generalities. Separate what you know from " +
      "what you assume, and flag uncertainty plainly. Use bullet points; no introduction or conclusion.",
  }),
  agentWorker({
    name: "analyst",
    description: "Compares options, computes figures, weighs trade-offs and draws conclusions from given material.",
    systemPrompt:
      "You are a careful analyst. Work only from the material in the task and its inputs. Compare the options " +
      "against the stated criteria, show any calculation step by step, and end with a clear recommendation and " +
      "the main risk. Say what additional information would change your conclusion.",
  }),
  agentWorker({
    name: "writer",
    description: "Turns notes and results into clear, well-structured prose: sections, plans, summaries, drafts.",
    systemPrompt:
      "You are a clear, concise writer. Turn the inputs into well-structured text for the reader the goal " +
      "implies: headings where useful, short paragraphs, concrete details kept, filler removed. Do not add " +
      "facts that are not in the inputs.",
  }),
  agentWorker({
    name: "reviewer",
    description:
      "Checks a draft or result for errors, gaps and inconsistencies against the goal and lists concrete fixes.",
    systemPrompt:
      "You are a demanding reviewer. Check the inputs against the goal: factual errors, contradictions, missing " +
      "parts, unclear steps. List each problem with a concrete fix, most important first. If the work is sound, " +
      "say so in one line and list at most three improvements.",
  }),
];

/** The registry of the general-purpose workers. */
export const defaultRegistry = (): WorkerRegistry => new WorkerRegistry(DEFAULT_WORKERS, "researcher");
