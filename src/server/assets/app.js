// The awl dashboard: a vanilla script, no build step. Every piece of recorded data reaches
// the page through textContent, never parsed as markup: agents print HTML and <script> too.
(() => {
  const $ = (sel, root = document) => root.querySelector(sel);

  /** Creates an element with a class and text; children may be appended afterwards. */
  function el(tag, cls, text) {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  }

  function notice(text) {
    const n = $("#notice");
    n.textContent = text;
    n.hidden = !text;
  }

  async function getJson(url) {
    const res = await fetch(url, { headers: { Accept: "application/json" } });
    let body;
    try {
      body = await res.json();
    } catch {
      body = { error: `HTTP ${res.status}` };
    }
    if (res.status === 401) notice("This server needs a token: open this page as /?token=YOUR_TOKEN once.");
    return { ok: res.ok, status: res.status, body };
  }

  const fmt = {
    duration(ms) {
      if (ms === undefined || ms === null) return "-";
      const s = Math.round(ms / 1000);
      if (s < 60) return `${s}s`;
      const m = Math.floor(s / 60);
      if (m < 60) return `${m}m ${s % 60}s`;
      return `${Math.floor(m / 60)}h ${m % 60}m`;
    },
    int(n) {
      return n === undefined || n === null ? "-" : Number(n).toLocaleString("en-US");
    },
    cost(n) {
      return n === undefined || n === null ? "-" : `$${Number(n).toFixed(n < 1 ? 4 : 2)}`;
    },
    time(iso) {
      return iso ? iso.replace("T", " ").slice(0, 19) : "-";
    },
    value(v) {
      if (v === null || v === undefined) return "";
      if (typeof v === "number") return Number.isInteger(v) ? v.toLocaleString("en-US") : v.toFixed(3);
      if (typeof v === "object") return JSON.stringify(v);
      return String(v);
    },
  };

  const statusPill = (status) => el("span", `pill status-${status}`, status);

  // ---------------- health ----------------
  async function loadHealth() {
    const h = $("#health");
    const r = await getJson("/api/health");
    const b = r.body;
    h.className = "pill";
    if (!r.ok) {
      h.textContent = b.error || "unavailable";
      h.classList.add("status-error");
      return;
    }
    h.textContent = b.data === "none" ? "no data yet" : `${fmt.int(b.sessions)} sessions`;
    h.classList.add(b.data === "none" ? "status-interrupted" : "status-success");
  }

  // ---------------- sessions ----------------
  const sessions = new Map(); // attempt_id -> summary
  const rows = new Map(); // attempt_id -> tr

  // A running session's clock keeps going while it is active; one silent for long (never ended) shows what was recorded.
  function liveDuration(s) {
    if (s.status !== "running" || Date.now() - Date.parse(s.last_event_at) > 10 * 60 * 1000) return s.duration_ms;
    return Math.max(s.duration_ms, Date.now() - Date.parse(s.started_at));
  }

  function renderRow(s) {
    let tr = rows.get(s.attempt_id);
    if (!tr) {
      tr = el("tr");
      tr.dataset.attempt = s.attempt_id;
      tr.addEventListener("click", () => {
        location.hash = `#/session/${encodeURIComponent(s.attempt_id)}`;
      });
      rows.set(s.attempt_id, tr);
    }
    tr.replaceChildren();
    const cell = (text, cls) => {
      const td = el("td", cls, text);
      tr.append(td);
      return td;
    };
    cell(s.attempt_id).title = s.attempt_id;
    cell(s.task_title || s.task_id || "-").title = s.task_title || "";
    const status = cell();
    status.append(statusPill(s.status));
    if (s.outcome) status.append(" ", el("span", "muted", s.outcome));
    cell(s.executor || "-");
    cell(s.model || "-");
    cell(fmt.duration(liveDuration(s)), "num duration");
    cell(fmt.int(s.total_tokens), "num");
    cell(fmt.cost(s.cost_usd), "num");
    cell(fmt.int(s.errors), s.errors ? "num bad" : "num");
    cell(fmt.int(s.alerts), s.alerts ? "num bad" : "num");
    return tr;
  }

  function renderSessions() {
    const body = $("#sessions tbody");
    const list = [...sessions.values()].sort((a, b) => (a.started_at < b.started_at ? 1 : a.started_at > b.started_at ? -1 : 0));
    body.replaceChildren(...list.map((s) => rows.get(s.attempt_id) || renderRow(s)));
    $("#sessions-empty").hidden = list.length > 0;
    $("#sessions-count").textContent = list.length ? `(${list.length})` : "";
  }

  async function loadSessions() {
    const r = await getJson("/api/sessions?limit=500");
    if (!r.ok) {
      $("#sessions-empty").hidden = false;
      $("#sessions-empty").textContent = r.body.error || "cannot load sessions";
      return;
    }
    for (const s of r.body.sessions) {
      sessions.set(s.attempt_id, s);
      renderRow(s);
    }
    renderSessions();
    const es = new EventSource("/api/stream");
    es.addEventListener("session", (m) => {
      const s = JSON.parse(m.data);
      const isNew = !sessions.has(s.attempt_id);
      sessions.set(s.attempt_id, s);
      renderRow(s);
      if (isNew) renderSessions();
      if (current && current.id === s.attempt_id) renderTranscriptHeader(s);
    });
  }

  // Running sessions' durations tick between events.
  setInterval(() => {
    for (const s of sessions.values()) {
      if (s.status !== "running") continue;
      const td = rows.get(s.attempt_id)?.querySelector(".duration");
      if (td) td.textContent = fmt.duration(liveDuration(s));
    }
  }, 1000);

  // ---------------- transcript ----------------
  let current; // { id, cursor, done, lastSeq, es, calls: Map, observer }

  function pre(text) {
    return el("pre", undefined, text);
  }

  function stringify(v) {
    if (v === undefined || v === null) return "";
    if (typeof v === "string") return v;
    try {
      return JSON.stringify(v, null, 2);
    } catch {
      return String(v);
    }
  }

  const MAX_SHOWN = 20000;
  function clipped(text) {
    const box = pre(text.length > MAX_SHOWN ? text.slice(0, MAX_SHOWN) : text);
    if (text.length <= MAX_SHOWN) return box;
    const wrap = el("div");
    const more = el("button", "more", `show all ${fmt.int(text.length)} characters`);
    more.addEventListener("click", () => {
      box.textContent = text;
      more.remove();
    });
    wrap.append(box, more);
    return wrap;
  }

  function label(e, title) {
    const l = el("div", "label");
    l.append(el("strong", undefined, title), el("span", undefined, `#${e.sequence_num}`), el("span", undefined, fmt.time(e.timestamp)));
    return l;
  }

  function renderResult(e, into) {
    const d = e.data;
    const failed = d.result === "error";
    const box = el("div", failed ? "result failed" : "result");
    const bits = [`result: ${d.result}`];
    if (d.exit_code !== undefined) bits.push(`exit ${d.exit_code}`);
    if (d.duration_ms !== undefined) bits.push(fmt.duration(d.duration_ms));
    box.append(el("div", "label", `${bits.join(" · ")}  #${e.sequence_num}`));
    const text = stringify(d.result_data);
    if (text) box.append(clipped(text));
    if (failed) into.classList.add("failed");
    into.append(box);
  }

  function renderEvent(e) {
    const d = e.data || {};
    const li = el("li", `ev ev-${e.event_type}`);
    li.dataset.seq = String(e.sequence_num);
    switch (e.event_type) {
      case "session_start": {
        const followup = d.prompt_type === "followup" || d.prompt_type === "retry";
        li.append(label(e, followup ? `Session start (${d.prompt_type})` : "Session start"));
        if (followup) li.classList.add("followup");
        if (d.followup_reason) li.append(el("div", undefined, `reason: ${d.followup_reason}`));
        if (d.prompt) li.append(el("div", "label", "Prompt"), clipped(d.prompt));
        if (d.command) li.append(el("div", "label", `command: ${d.command.join(" ")}`));
        break;
      }
      case "agent_output":
        li.append(label(e, d.stream_type === "stderr" ? "Output (stderr)" : "Output"), el("div", "text", d.output));
        break;
      case "agent_thinking": {
        li.append(label(e, "Thinking"));
        const det = el("details");
        det.append(el("summary", undefined, `${(d.thinking || "").slice(0, 120).replace(/\s+/g, " ")}…`), clipped(d.thinking || ""));
        li.append(det);
        break;
      }
      case "tool_call": {
        li.append(label(e, `Tool call: ${d.tool_name}`));
        const args = stringify(d.tool_params);
        if (args) li.append(clipped(args));
        if (d.tool_call_id && current) current.calls.set(d.tool_call_id, li);
        break;
      }
      case "tool_result": {
        const call = d.tool_call_id && current ? current.calls.get(d.tool_call_id) : undefined;
        if (call) {
          renderResult(e, call);
          return undefined;
        }
        li.append(label(e, `Tool result${d.tool_name ? `: ${d.tool_name}` : ""}`));
        renderResult(e, li);
        break;
      }
      case "error": {
        li.append(label(e, `Error${d.error_category ? ` (${d.error_category})` : ""}`), el("div", "bad", d.error_message));
        if (d.error_fingerprint) li.append(el("div", "label", `fingerprint ${d.error_fingerprint}`));
        if (d.stack_trace) {
          const det = el("details");
          det.append(el("summary", undefined, "stack trace"), pre(d.stack_trace));
          li.append(det);
        }
        break;
      }
      case "followup_sent":
        li.append(label(e, `Follow-up sent${d.action ? ` (${d.action})` : ""}`));
        if (d.followup_reason) li.append(el("div", undefined, `reason: ${d.followup_reason}`));
        if (d.prompt) li.append(clipped(d.prompt));
        break;
      case "session_end": {
        li.append(label(e, "Session end"));
        li.append(statusPill(d.completion_status));
        const bits = [];
        if (d.duration_ms !== undefined) bits.push(fmt.duration(d.duration_ms));
        if (d.total_tokens !== undefined) bits.push(`${fmt.int(d.total_tokens)} tokens`);
        if (d.cost_usd !== undefined) bits.push(fmt.cost(d.cost_usd));
        if (d.exit_code !== undefined && d.exit_code !== null) bits.push(`exit ${d.exit_code}`);
        li.append(" ", el("span", "muted", bits.join(" · ")));
        if (d.completion_status !== "success") li.classList.add("failed");
        break;
      }
      default:
        li.append(label(e, e.event_type), pre(stringify(d)));
    }
    return li;
  }

  function appendEvents(events) {
    if (!current) return;
    const list = $("#transcript");
    const frag = document.createDocumentFragment();
    for (const e of events) {
      if (e.sequence_num <= current.lastSeq) continue;
      current.lastSeq = e.sequence_num;
      const li = renderEvent(e);
      if (li) frag.append(li);
    }
    list.append(frag);
  }

  function renderTranscriptHeader(s) {
    $("#transcript-title").textContent = s.task_title || s.attempt_id;
    const st = $("#transcript-status");
    st.className = `pill status-${s.status}`;
    st.textContent = s.status;
    const meta = $("#transcript-meta");
    meta.replaceChildren();
    const add = (k, v) => {
      if (v === undefined || v === null || v === "") return;
      meta.append(el("dt", undefined, k), el("dd", undefined, v));
    };
    add("attempt", s.attempt_id);
    add("task", s.task_id);
    add("executor", s.executor);
    add("model", s.model);
    add("started", fmt.time(s.started_at));
    add("duration", fmt.duration(liveDuration(s)));
    add("tokens", fmt.int(s.total_tokens));
    add("cost", fmt.cost(s.cost_usd));
    add("errors", fmt.int(s.errors));
    add("alerts", fmt.int(s.alerts));
    if (s.outcome) add("outcome", s.outcome);
  }

  const PAGE = 300;
  async function loadPage() {
    const cur = current;
    if (!cur || cur.loading || cur.done) return;
    cur.loading = true;
    const r = await getJson(`/api/sessions/${encodeURIComponent(cur.id)}/transcript?cursor=${cur.cursor}&limit=${PAGE}`);
    cur.loading = false;
    if (cur !== current) return;
    if (!r.ok) {
      $("#transcript-more").textContent = r.body.error || "cannot load the transcript";
      return;
    }
    appendEvents(r.body.events);
    cur.cursor = r.body.next_cursor;
    cur.done = r.body.done;
    const more = $("#transcript-more");
    more.textContent = cur.done ? "" : "loading more…";
    if (cur.done) goLive(cur);
    // The observer fires on changes only: if the end is still in view (short events, tall window), keep going.
    else if (more.getBoundingClientRect().top < window.innerHeight + 200) void loadPage();
  }

  function goLive(cur) {
    const es = new EventSource(`/api/sessions/${encodeURIComponent(cur.id)}/stream?after=${cur.lastSeq}`);
    cur.es = es;
    es.onmessage = (m) => appendEvents([JSON.parse(m.data)]);
    es.addEventListener("end", () => es.close());
  }

  async function openSession(id) {
    closeSession();
    current = { id, cursor: 0, done: false, lastSeq: -1, calls: new Map(), loading: false };
    $("#sessions-panel").hidden = true;
    $("#transcript-panel").hidden = false;
    $("#transcript").replaceChildren();
    $("#transcript-more").textContent = "loading…";
    const r = await getJson(`/api/sessions/${encodeURIComponent(id)}`);
    if (!r.ok) {
      $("#transcript-title").textContent = id;
      $("#transcript-more").textContent = r.body.error || "unknown session";
      return;
    }
    renderTranscriptHeader(r.body);
    // Later pages load as the reader scrolls near the end: a 100 000-event session opens at once.
    const sentinel = $("#transcript-more");
    current.observer = new IntersectionObserver((entries) => {
      if (entries.some((x) => x.isIntersecting)) void loadPage();
    });
    current.observer.observe(sentinel);
    await loadPage();
  }

  function closeSession() {
    if (!current) return;
    current.es?.close();
    current.observer?.disconnect();
    current = undefined;
  }

  function route() {
    const m = /^#\/session\/(.+)$/.exec(location.hash);
    if (m) {
      void openSession(decodeURIComponent(m[1]));
    } else {
      closeSession();
      $("#transcript-panel").hidden = true;
      $("#sessions-panel").hidden = false;
    }
  }

  // ---------------- alerts ----------------
  const alertItems = new Map();

  function renderAlert(a) {
    const li = el("li", `alert sev-${a.severity}`);
    li.dataset.alertId = a.alert_id;
    const l = el("div", "label");
    l.append(el("strong", undefined, a.type), ` · ${a.severity} · ${fmt.time(a.last_seen)} · `);
    const link = el("a", undefined, a.attempt_id);
    link.href = `#/session/${encodeURIComponent(a.attempt_id)}`;
    l.append(link);
    li.append(l, el("div", undefined, a.message));
    li.append(el("div", "label", `${a.occurrences}× · recommendation: ${a.recommendation}${a.error_fingerprint ? ` · ${a.error_fingerprint}` : ""}${a.tool_name ? ` · tool ${a.tool_name}` : ""}`));
    const actions = el("ul", "actions");
    li.append(actions);
    for (const act of a.actions || []) renderAction(act, actions);
    alertItems.set(a.alert_id, actions);
    return li;
  }

  function renderAction(act, into) {
    into.append(el("li", undefined, `${act.action}: ${act.status}${act.detail ? ` (${act.detail})` : ""}${act.error ? ` — ${act.error}` : ""}`));
  }

  async function loadAlerts() {
    const r = await getJson("/api/alerts?limit=100");
    const list = $("#alerts");
    if (!r.ok) {
      $("#alerts-empty").textContent = r.body.error || "cannot load alerts";
      return;
    }
    list.replaceChildren(...r.body.alerts.map(renderAlert));
    $("#alerts-empty").hidden = r.body.alerts.length > 0;
    const es = new EventSource(`/api/alerts/stream?after=${r.body.cursor}`);
    es.addEventListener("alert", (m) => {
      const a = JSON.parse(m.data);
      if (alertItems.has(a.alert_id)) return;
      list.prepend(renderAlert({ ...a, actions: [] }));
      $("#alerts-empty").hidden = true;
    });
    es.addEventListener("action", (m) => {
      const act = JSON.parse(m.data);
      const into = alertItems.get(act.alert_id);
      if (into) renderAction(act, into);
    });
  }

  // ---------------- analytics ----------------
  /** The rows of an analysis, whatever it calls them. */
  function rowsOf(result) {
    if (Array.isArray(result)) return result;
    if (!result || typeof result !== "object") return [];
    for (const k of ["rows", "data", "items", "clusters", "executors", "series", "buckets"]) if (Array.isArray(result[k])) return result[k];
    for (const v of Object.values(result)) if (Array.isArray(v) && v.length && typeof v[0] === "object") return v;
    return [];
  }

  function columnsOf(rows, max = 8) {
    const cols = [];
    for (const r of rows.slice(0, 50)) for (const k of Object.keys(r)) if (!cols.includes(k) && (typeof r[k] !== "object" || r[k] === null)) cols.push(k);
    return cols.slice(0, max);
  }

  function renderTable(table, rows) {
    const cols = columnsOf(rows);
    const head = el("thead");
    const hr = el("tr");
    for (const c of cols) hr.append(el("th", undefined, c));
    head.append(hr);
    const body = el("tbody");
    for (const r of rows.slice(0, 100)) {
      const tr = el("tr");
      for (const c of cols) tr.append(el("td", typeof r[c] === "number" ? "num" : undefined, fmt.value(r[c])));
      body.append(tr);
    }
    table.replaceChildren(head, body);
  }

  const charts = {};
  // A bucket at midnight UTC reads as its day.
  const chartLabel = (v) => (typeof v === "string" && /^\d{4}-\d\d-\d\dT00:00:00(\.000)?Z$/.test(v) ? v.slice(0, 10) : fmt.value(v));

  /** `prefer`: the columns to plot when present (counts on one scale); else the first numeric ones. */
  function renderChart(id, type, rows, labelPattern, prefer = []) {
    if (typeof Chart === "undefined" || rows.length === 0) return;
    const cols = columnsOf(rows, 20);
    const labelCol = cols.find((c) => labelPattern.test(c)) || cols.find((c) => typeof rows[0][c] === "string") || cols[0];
    const isNumeric = (c) => c !== labelCol && rows.every((r) => r[c] === null || r[c] === undefined || typeof r[c] === "number");
    const preferred = prefer.filter((c) => cols.includes(c) && isNumeric(c));
    const numeric = preferred.length ? preferred : cols.filter(isNumeric).slice(0, 3);
    charts[id]?.destroy();
    charts[id] = new Chart(document.getElementById(id), {
      type,
      data: { labels: rows.map((r) => chartLabel(r[labelCol])), datasets: numeric.map((c) => ({ label: c, data: rows.map((r) => r[c] ?? null) })) },
      options: { animation: false, responsive: true, maintainAspectRatio: false, plugins: { legend: { position: "bottom" } } },
    });
  }

  async function loadAnalytics(view, onRows) {
    const panel = $(`#${view}-panel`);
    const state = panel.querySelector("[data-state]");
    state.textContent = "loading…";
    const r = await getJson(`/api/analytics/${view}`);
    if (!r.ok) {
      state.textContent = r.status === 503 ? `Analytics unavailable: ${r.body.error}` : r.body.error || `HTTP ${r.status}`;
      panel.classList.add("unavailable");
      return;
    }
    const rows = rowsOf(r.body);
    state.textContent = rows.length ? "" : "No data for this period.";
    onRows(rows, panel);
  }

  function start() {
    void loadHealth();
    void loadSessions();
    void loadAlerts();
    void loadAnalytics("errors", (rows, panel) => renderTable(panel.querySelector("table"), rows));
    void loadAnalytics("executors", (rows, panel) => {
      // Success comes as a rate object ({k, n, rate, ci_low, ci_high}): its counts join the row.
      const flat = rows.map((r) => (r.success && typeof r.success === "object" ? { executor: r.executor, sessions: r.sessions, succeeded: r.success.k, finished: r.success.n, ...r } : r));
      renderTable(panel.querySelector("table"), flat);
      renderChart("executors-chart", "bar", flat, /executor|name|agent/i, ["sessions", "succeeded"]);
    });
    void loadAnalytics("timeseries", (rows) => renderChart("timeseries-chart", "line", rows, /bucket|time|date|day|week|period/i, ["sessions", "errors", "alerts"]));
    window.addEventListener("hashchange", route);
    route();
  }

  start();
})();
