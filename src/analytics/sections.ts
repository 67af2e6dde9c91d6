import type { Analytics } from "./index.js";
import { day, flat, list, ms, num, pct, rate, type Section, time, usd } from "./render.js";

type R<K extends keyof Analytics> = Analytics[K] extends (...a: never[]) => Promise<infer T> ? T : never;

/** Each analyze answer as display tables (the CLI's table/csv/md output and the Markdown report). */
export function errorsSections(r: R<"errors">): Section[] {
  const out: Section[] = [
    {
      title: `Error clusters (${r.total} errors)`,
      columns: ["FINGERPRINT", "COUNT", "TASKS", "ATTEMPTS", "CATEGORIES", "EXECUTORS", "FIRST SEEN", "LAST SEEN", "SAMPLE"],
      rows: r.clusters.map((c) => [
        c.fingerprint,
        num(c.count),
        num(c.tasks),
        num(c.attempts),
        list(c.categories),
        list(c.executors),
        time(c.first_seen),
        time(c.last_seen),
        flat(c.sample_message, 60),
      ]),
    },
  ];
  if (r.by) {
    const keys = [...new Set(r.by.rows.map((x) => x.key))].sort();
    const fps = [...new Set(r.by.rows.map((x) => x.fingerprint))];
    const cell = new Map(r.by.rows.map((x) => [`${x.fingerprint}\u0000${x.key}`, x.count]));
    out.push({
      title: `Errors by ${r.by.dimension}`,
      columns: ["FINGERPRINT", ...keys],
      rows: fps.map((f) => [f, ...keys.map((k) => num(cell.get(`${f}\u0000${k}`) ?? 0))]),
    });
  }
  return out;
}

export function executorsSections(r: R<"executors">): Section[] {
  return [
    {
      title: "Executors (rates: % (k/n, 95% interval))",
      columns: ["EXECUTOR", "SESSIONS", "SUCCESS", "FIRST-SHOT", "AVG DURATION", "AVG COST", "TOTAL COST", "AVG TOKENS", "ERRORS/SESSION", "TOP FAILURES"],
      rows: r.executors.map((e) => [
        e.executor,
        num(e.sessions),
        rate(e.success),
        rate(e.first_shot),
        ms(e.avg_duration_ms),
        usd(e.avg_cost_usd),
        usd(e.total_cost_usd),
        num(e.avg_tokens),
        num(e.errors_per_session, 2),
        list(e.top_failure_fingerprints),
      ]),
    },
  ];
}

export function backlogSections(r: R<"backlog">): Section[] {
  return [
    {
      title: "Tasks by attempts",
      columns: ["TASK", "TITLE", "ATTEMPTS", "SUCCEEDED", "FIRST-SHOT", "DURATION", "COST", "EXECUTORS", "TOP FINGERPRINTS"],
      rows: r.tasks.map((t) => [
        t.task_key,
        flat(t.task_title, 40),
        num(t.attempts),
        t.succeeded ? `yes (${t.successes})` : "no",
        t.first_shot_success ? "yes" : "no",
        ms(t.total_duration_ms),
        usd(t.total_cost_usd),
        list(t.executors),
        list(t.top_fingerprints),
      ]),
    },
  ];
}

export function planningSections(r: R<"planning">): Section[] {
  return [
    {
      title: "Top planning issues",
      columns: ["ISSUE", "TASKS", "ADVICE"],
      rows: r.top_issues.map((i) => [i.title, num(i.tasks), i.advice]),
    },
    {
      title: "Failed or struggling tasks",
      columns: ["TASK", "ATTEMPTS", "SUCCEEDED", "EXECUTORS", "ROOT-CAUSE CATEGORIES", "ISSUES"],
      rows: r.tasks.map((t) => [
        t.task_key,
        num(t.attempts),
        t.succeeded ? "yes" : "no",
        list(t.executors),
        list(
          t.categories.map((c) => `${c.category} (${c.errors})`),
          4,
        ),
        list(t.issues, 6),
      ]),
    },
  ];
}

export function timeseriesSections(r: R<"timeseries">): Section[] {
  return [
    {
      title: `Per ${r.bucket}`,
      columns: ["BUCKET", "SESSIONS", "SUCCESS", "TOKENS", "COST", "ERRORS", "P50 DURATION", "P90 DURATION", "ALERTS"],
      rows: r.rows.map((b) => [
        r.bucket === "hour" ? time(b.bucket) : day(b.bucket),
        num(b.sessions),
        rate(b.success),
        num(b.tokens),
        usd(b.cost_usd),
        num(b.errors),
        ms(b.p50_duration_ms),
        ms(b.p90_duration_ms),
        num(b.alerts),
      ]),
    },
  ];
}

export function promptsSections(r: R<"prompts">): Section[] {
  return [
    {
      title: "Outcome by prompt",
      columns: ["PROMPT TYPE", "FOLLOW-UP REASON", "SESSIONS", "SUCCESS"],
      rows: r.by_prompt.map((p) => [p.prompt_type, p.followup_reason, num(p.sessions), rate(p.success)]),
    },
    {
      title: "Recovery",
      columns: ["WHAT", "SUCCEEDED"],
      rows: [
        ["attempts that got a follow-up", rate(r.followup_recovery)],
        ["attempts after a failed attempt of the same task", rate(r.retry_recovery)],
      ],
    },
  ];
}

export function kpisSections(r: R<"kpis">): Section[] {
  const rows = [...r.weeks, r.overall].map((k) => [
    k.week ? `week of ${day(k.week)}` : "all",
    num(k.detection.alerts),
    ms(k.detection.p50_latency_ms),
    ms(k.detection.p90_latency_ms),
    rate(k.interventions),
    rate(k.coverage),
    num(k.waste.sessions_with_loop_alert),
    num(k.waste.tokens_after_first_loop_alert),
    usd(k.waste.cost_after_first_loop_alert_usd),
  ]);
  return [
    {
      title: "KPIs per week",
      columns: ["WEEK", "ALERTS", "DETECTION P50", "DETECTION P90", "INTERVENTIONS HELPED", "COMPLETE LOGS", "LOOP SESSIONS", "TOKENS AFTER LOOP", "COST AFTER LOOP"],
      rows,
    },
  ];
}

export { pct };
