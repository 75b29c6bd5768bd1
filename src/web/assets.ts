import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const require = createRequire(import.meta.url);
const here = dirname(fileURLToPath(import.meta.url));
/** A file next to a package's resolved entry (its ES module build). */
const beside = (specifier: string, file: string) => join(dirname(require.resolve(specifier)), file);

const JS = "text/javascript; charset=utf-8";

/** The files the page loads, by URL name: the view's own script and style, and preact and htm from node_modules. */
export const ASSETS: Record<string, { path: string; type: string }> = {
  "view.js": { path: join(here, "client/view.js"), type: JS },
  "view.css": { path: join(here, "client/view.css"), type: "text/css; charset=utf-8" },
  "preact.mjs": { path: beside("preact", "preact.mjs"), type: JS },
  "hooks.mjs": { path: beside("preact/hooks", "hooks.mjs"), type: JS },
  "htm.mjs": { path: beside("htm", "htm.mjs"), type: JS },
};

const cache = new Map<string, string>();

/** An asset as a response, or undefined for an unknown name. */
export function assetResponse(name: string): Response | undefined {
  const asset = ASSETS[name];
  if (!asset) return undefined;
  let body = cache.get(name);
  if (body === undefined) {
    body = readFileSync(asset.path, "utf8");
    cache.set(name, body);
  }
  return new Response(body, { headers: { "content-type": asset.type, "cache-control": "no-cache" } });
}
