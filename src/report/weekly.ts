import type { Analytics, ErrorCluster, ExecutorRow, KpiRow, Meta, PlanningResult, Rate, TimeseriesRow } from "../analytics/index.js";
import { sqlList } from "../analytics/success.js";
import { ACTION_OK, INTERVENTION_ACTIONS } from "../analytics/views.js";
import { type IsoWeek, previousWeek } from "./week.js";

export interface WeekTotals {
  sessions: number;
  success: Rate;
  tokens: number;
  cost_usd: number;
  errors: number;
  alerts: number;
}

export interface AlertSummary {
  type: string;
  alerts: number;
  interventions: number;
  helped: number;
}

export interface WeeklyReport {
  kind: "weekly";
  week: IsoWeek;
  previous_week: IsoWeek;
  generated_at: string;
  totals: WeekTotals;
  previous: WeekTotals;
  /** Change of the success rate from the previous week, in percentage points (null when either week has none). */
  success_change_pts: number | null;
  daily: TimeseriesRow[];
  top_errors: ErrorCluster[];
  executors: ExecutorRow[];
  planning: PlanningResult;
  alerts: AlertSummary[];
  /** All types together (type null). */
  alert_totals: Omit<AlertSummary, "type"> & { type: null };
  kpis: KpiRow;
  meta: Meta;
}

const noRate: Rate = { k: 0, n: 0, rate: null, ci_low: null, ci_high: null };

function totalsOf(rows: TimeseriesRow[]): WeekTotals {
  const r = rows[0];
  if (!r) return { sessions: 0, success: noRate, tokens: 0, cost_usd: 0, errors: 0, alerts: 0 };
  return { sessions: r.sessions, success: r.success, tokens: r.tokens, cost_usd: r.cost_usd, errors: r.errors, alerts: r.alerts };
}

const ts = (iso: string) => `TIMESTAMP '${iso.slice(0, 23).replace("T", " ")}'`;

/** Builds the weekly report of one ISO week from the analytics (all numbers come from DuckDB). */
export async function buildWeeklyReport(a: Analytics, week: IsoWeek): Promise<WeeklyReport> {
  const prev = previousWeek(week);
  const range = { since: week.start, until: week.end };
  const queries = [
    a.timeseries({ ...range, bucket: "week" }),
    a.timeseries({ since: prev.start, until: prev.end, bucket: "week" }),
    a.timeseries({ ...range, bucket: "day" }),
    a.errors({ ...range, limit: 10 }),
    a.executors(range),
    a.planning({ ...range, limit: 10 }),
    a.kpis(range),
  ] as const;
  // Every query ends before a failure is passed on: the caller closes the database next, and
  // DuckDB closed under a running query crashes the process (a segfault) or hangs it.
  await Promise.allSettled(queries);
  const [cur, before, daily, errors, executors, planning, kpis] = await Promise.all(queries);
  const alerts = await a.sql(`WITH al AS (SELECT * FROM alerts WHERE first_seen >= ${ts(week.start)} AND first_seen < ${ts(week.end)}),
    iv AS (SELECT x.alert_id, coalesce(s.success, FALSE) OR coalesce(n.success, FALSE) AS helped
      FROM actions x LEFT JOIN sessions s ON s.attempt_id = x.attempt_id LEFT JOIN sessions n ON n.attempt_id = x.detail
      WHERE x.action IN ${sqlList(INTERVENTION_ACTIONS)} AND x.status = '${ACTION_OK}')
    SELECT al.type, count(DISTINCT al.alert_id)::INTEGER AS alerts, count(iv.alert_id)::INTEGER AS interventions,
      count(*) FILTER (WHERE iv.helped)::INTEGER AS helped
    FROM al LEFT JOIN iv USING (alert_id) GROUP BY GROUPING SETS ((al.type), ()) ORDER BY al.type IS NULL, alerts DESC, al.type`);
  const totals = totalsOf(cur.rows);
  const previous = totalsOf(before.rows);
  const change = totals.success.rate !== null && previous.success.rate !== null ? (totals.success.rate - previous.success.rate) * 100 : null;
  return {
    kind: "weekly",
    week,
    previous_week: prev,
    generated_at: cur.meta.generated_at,
    totals,
    previous,
    success_change_pts: change,
    daily: daily.rows,
    top_errors: errors.clusters,
    executors: executors.executors,
    planning,
    alerts: (alerts.rows as unknown as AlertSummary[]).filter((x) => x.type !== null),
    alert_totals: { alerts: 0, interventions: 0, helped: 0, ...(alerts.rows as unknown as AlertSummary[]).find((x) => x.type === null), type: null },
    kpis: kpis.overall,
    meta: cur.meta,
  };
}
