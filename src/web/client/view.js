// The web view of one run, in the browser: renders the laid-out picture the server streams (server-sent events)
// as the task DAG, a side panel for the selected task, the dead-letter queue with re-drive, and the answer.
import htm from "htm";
import { h, render } from "preact";
import { useEffect, useState } from "preact/hooks";

const html = htm.bind(h);
const STATUSES = ["pending", "running", "failed", "done", "dead", "skipped"];
const root = document.getElementById("app");
const threadPath = location.pathname.replace(/\/$/, "");

function useRun() {
  const [view, setView] = useState(undefined);
  const [connected, setConnected] = useState(false);
  useEffect(() => {
    const source = new EventSource(`${threadPath}/events`);
    source.onopen = () => setConnected(true);
    source.onerror = () => setConnected(false);
    source.onmessage = (message) => setView(JSON.parse(message.data));
    return () => source.close();
  }, []);
  return { view, connected };
}

const duration = (ms) => (ms === undefined ? "" : ms < 1000 ? `${ms} ms` : `${(ms / 1000).toFixed(1)} s`);

function Edge({ edge }) {
  const [first, ...rest] = edge.points;
  if (!first) return null;
  const d = `M${first.x},${first.y} ${rest.map((p) => `L${p.x},${p.y}`).join(" ")}`;
  return html`<path class=${`edge ${edge.kind}`} d=${d} marker-end=${`url(#arrow-${edge.kind})`} data-edge=${`${edge.from}>${edge.to}`} />`;
}

function Task({ task, selected, onSelect }) {
  const style = `left:${task.x}px;top:${task.y}px`;
  return html`<button
    class=${`task ${task.status}${selected ? " selected" : ""}`}
    style=${style}
    data-task-id=${task.id}
    data-status=${task.status}
    title=${task.title}
    onClick=${() => onSelect(task.id)}
  >
    <span class="task-id">${task.id}</span>
    <span class="task-worker">${task.worker}${task.origin !== "plan" ? html` · <em>${task.origin}</em>` : ""}</span>
    <span class="task-meta"><b>${task.status}</b>${task.attempts ? ` · attempt ${task.attempts}` : ""}${task.durationMs !== undefined ? ` · ${duration(task.durationMs)}` : ""}</span>
  </button>`;
}

function Graph({ view, selected, onSelect }) {
  const width = Math.max(view.width, 320);
  const height = Math.max(view.height, 120);
  return html`<div class="graph" style=${`width:${width}px;height:${height}px`}>
    <svg width=${width} height=${height}>
      <defs>
        ${["dependency", "dropped", "follow-up"].map(
          (kind) =>
            html`<marker id=${`arrow-${kind}`} class=${`arrow ${kind}`} viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" /></marker>`,
        )}
      </defs>
      ${view.edges.map((edge) => html`<${Edge} key=${`${edge.from}>${edge.to}`} edge=${edge} />`)}
    </svg>
    ${view.tasks.map((task) => html`<${Task} key=${task.id} task=${task} selected=${task.id === selected} onSelect=${onSelect} />`)}
  </div>`;
}

// The task's output and attempts, fetched when it is selected and again whenever its status or their sizes change.
function useDetail(task) {
  const [detail, setDetail] = useState(undefined);
  const key = task ? `${task.id}|${task.status}|${task.outputChars}|${task.attemptRecords}` : "";
  useEffect(() => {
    if (!task) return undefined;
    let current = true;
    fetch(`${threadPath}/tasks/${encodeURIComponent(task.id)}`)
      .then((response) => (response.ok ? response.json() : undefined))
      .then((body) => current && setDetail(body))
      .catch(() => undefined);
    return () => {
      current = false;
    };
  }, [key]);
  return detail && task && detail.id === task.id ? detail : undefined;
}

function Panel({ task }) {
  const detail = useDetail(task);
  if (!task)
    return html`<section class="panel empty"><p>Select a task to see its output, attempts and errors.</p></section>`;
  return html`<section class="panel" data-panel-task=${task.id}>
    <h2>${task.title}</h2>
    <dl>
      <dt>id</dt><dd><code>${task.id}</code></dd>
      <dt>worker</dt><dd>${task.worker}</dd>
      <dt>status</dt><dd><span class=${`badge ${task.status}`}>${task.status}</span></dd>
      <dt>attempts</dt><dd>${task.attempts}</dd>
      ${task.durationMs !== undefined && html`<dt>duration</dt><dd>${duration(task.durationMs)}</dd>`}
      ${task.dependsOn.length > 0 && html`<dt>needs</dt><dd>${task.dependsOn.join(", ")}</dd>`}
      ${task.from && html`<dt>${task.origin === "expansion" ? "parent" : "proposed by"}</dt><dd>${task.from}</dd>`}
      ${task.reason && task.reason !== task.error && html`<dt>reason</dt><dd>${task.reason}</dd>`}
    </dl>
    ${task.error && html`<h3>Error</h3><pre class="error">${task.error}</pre>`}
    ${
      detail?.attemptLog.length > 0 &&
      html`<h3>Attempts</h3><ol class="attempts">${detail.attemptLog.map(
        (a) =>
          html`<li class=${a.ok ? "ok" : "failed"}>#${a.attempt} ${a.ok ? "ok" : "failed"} · ${duration(a.durationMs)}${a.params ? ` · ${a.params}` : ""}${a.error ? html`<div class="error">${a.error}</div>` : ""}</li>`,
      )}</ol>`
    }
    ${detail?.output && html`<h3>Output</h3><pre class="output">${detail.output}</pre>`}
  </section>`;
}

function DeadLetters({ view, onSelect }) {
  const [error, setError] = useState("");
  const [busy, setBusy] = useState(false);
  const redrive = async (taskIds) => {
    setBusy(true);
    setError("");
    try {
      const response = await fetch(`${threadPath}/redrive`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ taskIds }),
      });
      if (!response.ok) setError((await response.json()).error ?? `Re-drive failed (${response.status}).`);
    } catch (failure) {
      setError(String(failure));
    } finally {
      setBusy(false);
    }
  };
  const idle = view.phase === "idle";
  return html`<section class="dead-letters">
    <h2>Dead letters <span class="count">${view.deadLetters.length}</span></h2>
    ${view.deadLetters.length === 0 && html`<p class="none">None.</p>`}
    <ul>
      ${view.deadLetters.map(
        (letter) => html`<li data-dead-letter=${letter.taskId}>
          <a href="#" onClick=${(e) => (e.preventDefault(), onSelect(letter.taskId))}><code>${letter.taskId}</code></a> (${letter.worker}, ${letter.attempts} attempts)
          <div class="error">${letter.error}</div>
          <button class="redrive" disabled=${!idle || busy} onClick=${() => redrive([letter.taskId])}>Re-drive</button>
        </li>`,
      )}
    </ul>
    ${view.deadLetters.length > 1 && html`<button class="redrive-all" disabled=${!idle || busy} onClick=${() => redrive([])}>Re-drive all</button>`}
    ${!idle && view.deadLetters.length > 0 && html`<p class="hint">Re-drive is possible once the run has stopped.</p>`}
    ${error && html`<p class="error" role="alert">${error}</p>`}
  </section>`;
}

function Counts({ tasks }) {
  return html`<ul class="counts">${STATUSES.map((status) => {
    const n = tasks.filter((task) => task.status === status).length;
    return html`<li class=${`badge ${status}`} data-count=${status}>${status} ${n}</li>`;
  })}</ul>`;
}

// "finished" when every task is done, "partial" when the answer names gaps, "stopped" before any answer.
function phaseLabel(view) {
  if (view.phase !== "idle") return view.phase;
  if (!view.answer) return "stopped";
  return view.tasks.every((task) => task.status === "done") ? "finished" : "partial";
}

function App() {
  const { view, connected } = useRun();
  const [selected, setSelected] = useState(undefined);
  if (!view) return html`<p class="loading">Connecting…</p>`;
  const task = view.tasks.find((t) => t.id === selected);
  return html`<header>
      <h1>${view.goal || `Thread ${view.threadId}`}</h1>
      <div class="status-line">
        <span class=${`phase ${view.phase}`} data-phase=${view.phase}>${phaseLabel(view)}</span>
        <${Counts} tasks=${view.tasks} />
        <span class=${`link ${connected ? "up" : "down"}`}>${connected ? "live" : "reconnecting…"}</span>
      </div>
      <p class="legend">
        <span class="key dependency">dependency</span><span class="key follow-up">follow-up</span><span class="key dropped">dropped cycle edge</span>
        <a href="/ui">all runs</a>
      </p>
    </header>
    <div class="body">
      <div class="canvas">
        ${view.review && html`<p class="review" role="status">${view.review}</p>`}
        ${view.question && html`<p class="review" role="status" data-question>${view.question}</p>`}
        ${view.tasks.length === 0 ? !view.review && !view.question && html`<p class="loading">No tasks yet: planning…</p>` : html`<${Graph} view=${view} selected=${selected} onSelect=${setSelected} />`}
        <section class="answer">
          <h2>Answer</h2>
          ${view.answer ? html`<pre data-answer>${view.answer}</pre>` : html`<p class="none">Not written yet.</p>`}
          ${view.notes.length > 0 && html`<details><summary>Notes (${view.notes.length})</summary><ul>${view.notes.map((note) => html`<li>${note}</li>`)}</ul></details>`}
        </section>
      </div>
      <aside>
        <${Panel} task=${task} />
        <${DeadLetters} view=${view} onSelect=${setSelected} />
      </aside>
    </div>`;
}

render(html`<${App} />`, root);
