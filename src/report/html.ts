import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { weeklyMarkdownSections } from "./markdown.js";
import { escapeHtml, weeklySummaryText } from "./text.js";
import type { WeeklyReport } from "./weekly.js";

let chartJs: string | undefined;

/** Chart.js's UMD build, read from node_modules (it is not in the package's exports): inlined, so the page works offline. */
export function chartJsSource(): string {
  if (chartJs === undefined) {
    const entry = createRequire(import.meta.url).resolve("chart.js");
    chartJs = readFileSync(join(dirname(entry), "chart.umd.min.js"), "utf8");
  }
  return chartJs;
}

/** JSON inside a <script> element: `<` escaped so no value can close the element. */
function scriptJson(value: unknown): string {
  return JSON.stringify(value).replace(/</g, "\\u003c").replace(/\u2028/g, "\\u2028").replace(/\u2029/g, "\\u2029");
}

const CSS = `body{font:14px/1.45 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:0;background:#f6f7f9;color:#1d2430}
header{background:#1d2430;color:#fff;padding:18px 28px}header h1{margin:0;font-size:22px}header p{margin:4px 0 0;opacity:.8}
main{padding:20px 28px;max-width:1280px}.cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(170px,1fr));gap:12px}
.card{background:#fff;border-radius:8px;padding:12px 14px;box-shadow:0 1px 2px #0001}.card b{display:block;font-size:22px}
.charts{display:grid;grid-template-columns:repeat(auto-fit,minmax(560px,1fr));gap:16px;margin:18px 0}
.chart{background:#fff;border-radius:8px;padding:12px;box-shadow:0 1px 2px #0001;height:280px;position:relative}
table{border-collapse:collapse;background:#fff;margin:6px 0 18px;width:100%;font-size:13px}th,td{border-bottom:1px solid #e3e6ea;padding:5px 8px;text-align:left;vertical-align:top}
th{background:#eef1f4}h2{font-size:17px;margin:22px 0 6px}pre{background:#fff;padding:10px;border-radius:8px;white-space:pre-wrap}`;

/** The weekly report as one self-contained HTML page: inline Chart.js, data as JSON, every text escaped. */
export function weeklyHtml(r: WeeklyReport): string {
  const t = r.totals;
  const data = {
    days: r.daily.map((d) => d.bucket.slice(0, 10)),
    sessions: r.daily.map((d) => d.sessions),
    success: r.daily.map((d) => (d.success.rate === null ? null : Math.round(d.success.rate * 1000) / 10)),
    cost: r.daily.map((d) => Math.round(d.cost_usd * 10000) / 10000),
    executors: r.executors.map((e) => e.executor),
    executorSuccess: r.executors.map((e) => (e.success.rate === null ? null : Math.round(e.success.rate * 1000) / 10)),
    executorSessions: r.executors.map((e) => e.sessions),
    errors: r.top_errors.map((e) => e.fingerprint),
    errorCounts: r.top_errors.map((e) => e.count),
  };
  const card = (label: string, value: string) => `<div class="card">${escapeHtml(label)}<b>${escapeHtml(value)}</b></div>`;
  const pct = (x: number | null) => (x === null ? "-" : `${(x * 100).toFixed(1)}%`);
  const tables = weeklyMarkdownSections(r)
    .map(
      (s) =>
        `<h2>${escapeHtml(s.title)}</h2>` +
        (s.rows.length === 0
          ? "<p>none</p>"
          : `<table><thead><tr>${s.columns.map((c) => `<th>${escapeHtml(c)}</th>`).join("")}</tr></thead><tbody>${s.rows
              .map((row) => `<tr>${row.map((c) => `<td>${escapeHtml(c)}</td>`).join("")}</tr>`)
              .join("")}</tbody></table>`),
    )
    .join("\n");
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>awl weekly report ${escapeHtml(r.week.label)}</title><style>${CSS}</style></head>
<body>
<header><h1>awl weekly report ${escapeHtml(r.week.label)}</h1><p>${escapeHtml(r.week.start.slice(0, 10))} to ${escapeHtml(r.week.end.slice(0, 10))} (UTC) · generated ${escapeHtml(r.generated_at)}</p></header>
<main>
<div class="cards">${card("sessions", String(t.sessions))}${card("success", `${pct(t.success.rate)} (${t.success.k}/${t.success.n})`)}${card(
    "vs previous week",
    r.success_change_pts === null ? "n/a" : `${r.success_change_pts > 0 ? "+" : ""}${r.success_change_pts.toFixed(1)} pts`,
  )}${card("cost", `$${t.cost_usd.toFixed(2)}`)}${card("tokens", t.tokens.toLocaleString("en-US"))}${card("errors", String(t.errors))}${card(
    "alerts",
    String(t.alerts),
  )}</div>
<div class="charts">
<div class="chart"><canvas id="chart-daily" aria-label="sessions and success rate per day"></canvas></div>
<div class="chart"><canvas id="chart-cost" aria-label="cost per day"></canvas></div>
<div class="chart"><canvas id="chart-executors" aria-label="success rate by executor"></canvas></div>
<div class="chart"><canvas id="chart-errors" aria-label="top errors"></canvas></div>
</div>
<h2>Summary</h2><pre>${escapeHtml(weeklySummaryText(r))}</pre>
${tables}
</main>
<script id="awl-data" type="application/json">${scriptJson(data)}</script>
<script>${chartJsSource()}</script>
<script>
(function () {
  var d = JSON.parse(document.getElementById("awl-data").textContent);
  Chart.defaults.animation = false;
  Chart.defaults.maintainAspectRatio = false;
  var charts = [];
  charts.push(new Chart(document.getElementById("chart-daily"), { data: { labels: d.days, datasets: [
    { type: "bar", label: "sessions", data: d.sessions, backgroundColor: "#7aa6d8", yAxisID: "y" },
    { type: "line", label: "success %", data: d.success, borderColor: "#2e9d5b", backgroundColor: "#2e9d5b", yAxisID: "y1", spanGaps: true } ] },
    options: { plugins: { title: { display: true, text: "Sessions and success rate per day" } },
      scales: { y: { beginAtZero: true, title: { display: true, text: "sessions" } }, y1: { position: "right", min: 0, max: 100, grid: { drawOnChartArea: false }, title: { display: true, text: "success %" } } } } }));
  charts.push(new Chart(document.getElementById("chart-cost"), { type: "bar", data: { labels: d.days, datasets: [
    { label: "cost (USD)", data: d.cost, backgroundColor: "#e0a04b" } ] },
    options: { plugins: { title: { display: true, text: "Cost per day (USD)" } }, scales: { y: { beginAtZero: true } } } }));
  charts.push(new Chart(document.getElementById("chart-executors"), { type: "bar", data: { labels: d.executors, datasets: [
    { label: "success %", data: d.executorSuccess, backgroundColor: "#2e9d5b" } ] },
    options: { plugins: { title: { display: true, text: "Success rate by executor" } }, scales: { y: { min: 0, max: 100 } } } }));
  charts.push(new Chart(document.getElementById("chart-errors"), { type: "bar", data: { labels: d.errors, datasets: [
    { label: "errors", data: d.errorCounts, backgroundColor: "#d0584f" } ] },
    options: { indexAxis: "y", plugins: { title: { display: true, text: "Top errors by fingerprint" } } } }));
  document.body.setAttribute("data-charts", String(charts.length));
})();
</script>
</body></html>
`;
}
