/** Where the web view lives under a server's root: the same paths on the LangGraph server and under the CLI. */
export const UI_BASE = "/ui";

/** The path of one thread's page. */
export const threadPath = (threadId: string) => `${UI_BASE}/threads/${encodeURIComponent(threadId)}`;

/** Escapes text for HTML. */
export const escapeHtml = (text: string) =>
  text.replace(/[&<>"']/g, (char) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[char]!);

const IMPORTS = {
  imports: {
    preact: `${UI_BASE}/assets/preact.mjs`,
    "preact/hooks": `${UI_BASE}/assets/hooks.mjs`,
    htm: `${UI_BASE}/assets/htm.mjs`,
  },
};

const shell = (title: string, body: string, script = "") => `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="${UI_BASE}/assets/view.css">
${script}
</head>
<body>
${body}
</body>
</html>
`;

/** The page of one thread: the client script renders it from the thread's event stream. */
export const threadPage = (threadId: string) =>
  shell(
    `Run ${threadId}`,
    `<main id="app" data-thread-id="${escapeHtml(threadId)}"><p class="loading">Connecting…</p></main>`,
    `<script type="importmap">${JSON.stringify(IMPORTS)}</script>\n<script type="module" src="${UI_BASE}/assets/view.js"></script>`,
  );

/** One line of the thread list. */
export interface ThreadEntry {
  threadId: string;
  goal: string;
  status: string;
  updatedAt?: string;
}

/** The list of threads, newest first, each linking to its page. */
export const threadListPage = (threads: readonly ThreadEntry[]) =>
  shell(
    "Runs",
    `<main class="threads"><h1>Runs</h1>${
      threads.length
        ? `<ul>${threads
            .map(
              (thread) =>
                `<li data-thread-id="${escapeHtml(thread.threadId)}"><a href="${threadPath(thread.threadId)}">${escapeHtml(thread.goal || thread.threadId)}</a>` +
                ` <span class="badge ${escapeHtml(thread.status)}">${escapeHtml(thread.status)}</span>` +
                `${thread.updatedAt ? ` <time>${escapeHtml(thread.updatedAt)}</time>` : ""} <code>${escapeHtml(thread.threadId)}</code></li>`,
            )
            .join("")}</ul>`
        : "<p>No threads yet.</p>"
    }</main>`,
  );

/** The page of a thread that does not exist. */
export const missingThreadPage = (threadId: string) =>
  shell(
    "No such thread",
    `<main class="threads"><h1>No thread "${escapeHtml(threadId)}"</h1><p><a href="${UI_BASE}">All runs</a></p></main>`,
  );
