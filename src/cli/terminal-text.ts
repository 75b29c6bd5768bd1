import type { TextIO } from "./io.js";

/**
 * Terminal escape sequences: CSI (`ESC [ … final`, and its one-byte form U+009B), OSC, DCS, SOS, PM and APC strings
 * (up to BEL or ST, or the end of the text), and two-byte `ESC x` sequences.
 */
const ESCAPES = new RegExp(
  [
    "(?:\\u001b\\[|\\u009b)[0-?]*[ -/]*[@-~]?",
    "(?:\\u001b[\\]P^_X]|[\\u009d\\u0090\\u009e\\u009f\\u0098])[^\\u0007\\u001b\\u009c]*(?:\\u0007|\\u001b\\\\|\\u009c)?",
    "\\u001b[ -/]*[0-~]?",
  ].join("|"),
  "g",
);
/** Other C0 and C1 controls and DEL; tab and newline stay. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
const CONTROLS = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g;

/**
 * Text from a goal, a plan or a worker, made safe to print on a terminal: escape sequences and control characters
 * are removed (a carriage return included, so nothing overwrites a line), tabs and newlines kept.
 */
export function terminalText(text: string): string {
  return text.replace(/\r\n/g, "\n").replace(ESCAPES, "").replace(CONTROLS, "");
}

/** The same IO, its stdout and stderr passed through {@link terminalText}: for plain text, not a live view. */
export function plainTextIO<T extends TextIO>(io: T): T {
  return {
    ...io,
    stdout: (text: string) => io.stdout(terminalText(text)),
    stderr: (text: string) => io.stderr(terminalText(text)),
  };
}
