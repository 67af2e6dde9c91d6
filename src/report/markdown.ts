import { type Section, toMarkdown } from "../analytics/render.js";
import { errorsSections, executorsSections, planningSections, timeseriesSections } from "../analytics/sections.js";
import { ms, num, rate, usd } from "../analytics/render.js";
import { signedPts } from "./text.js";
import type { WeeklyReport } from "./weekly.js";


/** The report's tables (Markdown and HTML print the same ones). */
export function weeklyMarkdownSections(r: WeeklyReport): Section[] {
  const t = r.totals;
  const p = r.previous;
  const k = r.kpis;
  return [
    {
      title: "Totals",
      columns: ["", r.week.label, r.previous_week.label],
      rows: [
        ["sessions", num(t.sessions), num(p.sessions)],
        ["success", rate(t.success), rate(p.success)],
        ["change of success rate", signedPts(r.success_change_pts), ""],
        ["tokens", num(t.tokens), num(p.tokens)],
        ["cost", usd(t.cost_usd), usd(p.cost_usd)],
        ["errors", num(t.errors), num(p.errors)],
        ["alerts", num(t.alerts), num(p.alerts)],
      ],
    },
    ...timeseriesSections({ bucket: "day", rows: r.daily, meta: r.meta }).map((s) => ({ ...s, title: "Per day" })),
    ...errorsSections({ clusters: r.top_errors, total: t.errors, meta: r.meta }).map((s) => ({ ...s, title: "Top errors" })),
    ...executorsSections({ executors: r.executors, meta: r.meta }).map((s) => ({ ...s, title: "Executors" })),
    ...planningSections({ ...r.planning, meta: r.meta }),
    {
      title: "Alerts and interventions",
      columns: ["TYPE", "ALERTS", "INTERVENTIONS", "HELPED"],
      rows: r.alerts.map((a) => [a.type, num(a.alerts), num(a.interventions), num(a.helped)]),
    },
    {
      title: "KPIs",
      columns: ["KPI", "VALUE"],
      rows: [
        ["error-detection latency p50 / p90", `${ms(k.detection.p50_latency_ms)} / ${ms(k.detection.p90_latency_ms)} (${k.detection.alerts} alerts)`],
        ["intervention success", rate(k.interventions)],
        ["analysis coverage (complete logs)", rate(k.coverage)],
        ["tokens after the first loop alert", `${num(k.waste.tokens_after_first_loop_alert)} in ${k.waste.sessions_with_loop_alert} sessions`],
        ["cost after the first loop alert", usd(k.waste.cost_after_first_loop_alert_usd)],
      ],
    },
  ];
}

export function weeklyMarkdown(r: WeeklyReport): string {
  const parts: string[] = [
    `# awl weekly report ${r.week.label}\n\n${r.week.start.slice(0, 10)} to ${r.week.end.slice(0, 10)} (UTC), generated ${r.generated_at}.\n`,
    ...weeklyMarkdownSections(r).map((s) => toMarkdown(s, "##")),
  ];
  if (r.meta.skipped.events + r.meta.skipped.metrics + r.meta.skipped.alerts > 0) {
    const s = r.meta.skipped;
    parts.push(`_Skipped unreadable lines: events ${s.events}, metrics ${s.metrics}, alerts ${s.alerts}._\n`);
  }
  return parts.join("\n");
}
