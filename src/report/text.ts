import { flat, pct, usd } from "../analytics/render.js";
import type { WeeklyReport } from "./weekly.js";

/** Escapes the characters that matter to HTML (and to Telegram's HTML parse mode). */
export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);
}

export function signedPts(x: number | null): string {
  if (x === null) return "n/a";
  const r = Math.round(x * 10) / 10;
  return `${r > 0 ? "+" : ""}${r.toFixed(1)} pts`;
}

/**
 * The report's summary as a few short lines, safe as Markdown and as HTML (every value from the
 * logs is escaped and flattened): what a notification carries.
 */
export function weeklySummaryText(r: WeeklyReport): string {
  const t = r.totals;
  const lines = [
    `awl weekly report ${r.week.label} (${r.week.start.slice(0, 10)} to ${r.week.end.slice(0, 10)})`,
    `Sessions: ${t.sessions}, success ${pct(t.success.rate)} (${t.success.k}/${t.success.n}, ${signedPts(r.success_change_pts)} vs ${r.previous_week.label})`,
    `Cost: ${usd(t.cost_usd)}, tokens: ${t.tokens.toLocaleString("en-US")}, errors: ${t.errors}`,
  ];
  const top = r.top_errors[0];
  if (top) lines.push(`Top error: ${escapeHtml(flat(top.fingerprint, 60))} (${top.count}x in ${top.tasks} task${top.tasks === 1 ? "" : "s"})`);
  const best = [...r.executors].filter((e) => e.success.n > 0).sort((x, y) => (y.success.rate ?? 0) - (x.success.rate ?? 0))[0];
  if (best) lines.push(`Best executor: ${escapeHtml(flat(best.executor, 40))} ${pct(best.success.rate)} of ${best.success.n}`);
  const at = r.alert_totals;
  lines.push(`Alerts: ${at.alerts}, interventions: ${at.interventions}, helped: ${at.helped}`);
  const issue = r.planning.top_issues[0];
  if (issue) lines.push(`Top planning issue: ${escapeHtml(issue.title)} (${issue.tasks} task${issue.tasks === 1 ? "" : "s"})`);
  return lines.join("\n");
}
