/**
 * The docs cannot drift: every relative link in README.md and docs/*.md resolves (files and #anchors), their `ts` and
 * `js` code blocks type-check against the package's public API, and the reference names every exported value.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";
import { afterAll, describe, expect, it } from "vitest";
import * as api from "../../src/index.js";
import * as queueApi from "../../src/queue/index.js";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const PAGES = [
  "README.md",
  ...readdirSync(join(ROOT, "docs"))
    .filter((name) => name.endsWith(".md"))
    .map((name) => `docs/${name}`),
];
const read = (page: string) => readFileSync(join(ROOT, page), "utf8");

/** A page's lines outside fenced code blocks, with their 1-based line numbers. */
function prose(text: string): { line: number; text: string }[] {
  let fenced = false;
  return text.split("\n").flatMap((line, index) => {
    if (line.startsWith("```")) fenced = !fenced;
    return fenced || line.startsWith("```") ? [] : [{ line: index + 1, text: line.replace(/`[^`]*`/g, "") }];
  });
}

/** GitHub's anchors of a page's headings: lower case, punctuation dropped, spaces to hyphens, repeats numbered. */
function anchors(text: string): Set<string> {
  const seen = new Map<string, number>();
  const result = new Set<string>();
  for (const { text: line } of prose(text)) {
    const heading = /^#{1,6}\s+(.*)$/.exec(line);
    if (!heading) continue;
    const slug = heading[1]!
      .trim()
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\s_-]/gu, "")
      .replace(/\s/g, "-");
    const count = seen.get(slug) ?? 0;
    seen.set(slug, count + 1);
    result.add(count === 0 ? slug : `${slug}-${count}`);
  }
  return result;
}

/** Every relative link target of a page (`[text](target)` and images), with the line it is on. */
function links(page: string): { line: number; target: string }[] {
  const source = read(page).replace(/`[^`\n]*`/g, "");
  return prose(source).flatMap(({ line, text }) =>
    [...text.matchAll(/\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)]
      .map((match) => ({ line, target: match[1]! }))
      .filter(({ target }) => !/^[a-z][a-z0-9+.-]*:/i.test(target)),
  );
}

/** Why a link does not resolve, or undefined when it does. */
function brokenLink(page: string, target: string): string | undefined {
  const [path, anchor] = target.split("#") as [string, string | undefined];
  const file = path ? resolve(dirname(join(ROOT, page)), decodeURIComponent(path)) : join(ROOT, page);
  if (!existsSync(file)) return `no file ${relative(ROOT, file)}`;
  if (anchor === undefined || !file.endsWith(".md")) return undefined;
  return anchors(readFileSync(file, "utf8")).has(anchor)
    ? undefined
    : `no heading #${anchor} in ${relative(ROOT, file)}`;
}

/** A fenced `ts` or `js` code block of a page. */
interface Block {
  page: string;
  line: number;
  lang: "ts" | "js";
  code: string;
}

function codeBlocks(page: string): Block[] {
  const lines = read(page).split("\n");
  const blocks: Block[] = [];
  for (let index = 0; index < lines.length; index++) {
    const open = /^```(ts|js)\s*$/.exec(lines[index]!);
    if (!open) continue;
    const end = lines.indexOf("```", index + 1);
    blocks.push({ page, line: index + 2, lang: open[1] as "ts" | "js", code: lines.slice(index + 1, end).join("\n") });
    index = end;
  }
  return blocks;
}

const scratch = join(ROOT, "test-results");
mkdirSync(scratch, { recursive: true });
const blockDir = mkdtempSync(join(scratch, "doc-blocks-"));
afterAll(() => rmSync(blockDir, { recursive: true, force: true }));

/** Type-checks blocks as modules of a strict NodeNext project that imports the package by its name. */
function typeErrors(blocks: Block[]): string[] {
  const files = blocks.map((block, index) => {
    const file = join(blockDir, `block-${index}.${block.lang === "ts" ? "ts" : "mjs"}`);
    writeFileSync(file, `${block.code}\nexport {};\n`);
    return file;
  });
  const program = ts.createProgram(files, {
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    strict: true,
    allowJs: true,
    checkJs: true,
    noEmit: true,
    skipLibCheck: true,
    resolveJsonModule: true,
    types: ["node"],
    baseUrl: ROOT,
    paths: {
      "langgraph-orchestrator": ["src/index.ts"],
      "langgraph-orchestrator/queue": ["src/queue/index.ts"],
    },
  });
  return files.flatMap((file, index) => {
    const source = program.getSourceFile(file)!;
    const diagnostics = [...program.getSyntacticDiagnostics(source), ...program.getSemanticDiagnostics(source)];
    return diagnostics.map((diagnostic) => {
      const { line } = source.getLineAndCharacterOfPosition(diagnostic.start ?? 0);
      const message = ts.flattenDiagnosticMessageText(diagnostic.messageText, "\n");
      return `${blocks[index]!.page}:${blocks[index]!.line + line}: ${message}`;
    });
  });
}

/** A block that passes `workers` a string: the type error every check of the docs must catch. */
const WRONG: Block = {
  page: "docs/example.md",
  line: 10,
  lang: "ts",
  code: 'import { createOrchestrator } from "langgraph-orchestrator";\n\nawait createOrchestrator({ workers: "all" });',
};
let checked: string[] | undefined;
/** The type errors of every page's blocks and of {@link WRONG}, checked in one program. */
const docErrors = () => (checked ??= typeErrors([...PAGES.flatMap(codeBlocks), WRONG]));

describe("the docs", () => {
  it("have every relative link resolving to a file, and every #anchor to a heading of its page", () => {
    const broken = PAGES.flatMap((page) =>
      links(page).flatMap(({ line, target }) => {
        const why = brokenLink(page, target);
        return why ? [`${page}:${line}: (${target}) ${why}`] : [];
      }),
    );
    expect(PAGES).toContain("docs/getting-started.md");
    expect(broken).toEqual([]);
  });

  it("catch a broken file link and a broken anchor", () => {
    expect(brokenLink("README.md", "docs/no-such-page.md")).toBe("no file docs/no-such-page.md");
    expect(brokenLink("docs/concepts.md", "performance.md#no-such-heading")).toBe(
      "no heading #no-such-heading in docs/performance.md",
    );
    expect(brokenLink("docs/concepts.md", "performance.md#eager-dispatch-and-waves")).toBeUndefined();
  });

  it("type-check every ts and js code block against the package's public API", () => {
    const blocks = PAGES.flatMap(codeBlocks);
    expect(blocks.filter((block) => block.code.includes('from "langgraph-orchestrator"')).length).toBeGreaterThan(5);
    expect(docErrors().filter((error) => !error.startsWith(`${WRONG.page}:`))).toEqual([]);
  }, 180_000);

  it("report a code block that uses the API wrongly, naming its page and line", () => {
    const errors = docErrors().filter((error) => error.startsWith(`${WRONG.page}:`));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/^docs\/example\.md:12: Type 'string' is not assignable to type/);
  }, 180_000);

  it("name every value the entry points export in the reference", () => {
    const reference = read("docs/reference.md");
    const unnamed = [...Object.keys(api), ...Object.keys(queueApi)].filter(
      (name) => !reference.includes(`\`${name}\``),
    );
    expect(unnamed).toEqual([]);
  });
});
