import type { Db } from "../db.js";
import { type Filters, type Range, SESSION_COLS, whereSql } from "../filters.js";
import { sqlList } from "../success.js";
import { ACTION_OK, INTERVENTION_ACTIONS } from "../views.js";
import { type Rate, rateSql, takeRate } from "./executors.js";

export interface KpiRow {
  /** Monday of the ISO week (UTC); null on the overall row. */
  week: string | null;
  detection: { alerts: number; p50_latency_ms: number | null; p90_latency_ms: number | null };
  interventions: Rate;
  coverage: Rate;
  waste: { sessions_with_loop_alert: number; tokens_after_first_loop_alert: number; cost_after_first_loop_alert_usd: number };
}

export interface KpisResult {
  weeks: KpiRow[];
  overall: KpiRow;
}

/**
 * The seed's success metrics, per ISO week:
 * - detection latency: from the event that completed the condition (`trigger_sequence_num`,
 *   else the episode's `last_seen`) to the alert line's `timestamp`;
 * - intervention success: `intervene`/`autofix` actions that ran (`ok`) after which the alert's
 *   attempt, or the fresh attempt the action started (`detail`), succeeded;
 * - analysis coverage: sessions with a complete log (start, end, every tool call answered, a metrics record);
 * - waste: tokens a session used after its first loop alert's trigger event, and that share of its cost.
 */
export async function kpis(db: Db, range: Range, opts: Filters): Promise<KpisResult> {
  await db.materializeSessions();
  const ws = whereSql(range, opts, SESSION_COLS);
  const wAlert = whereSql(range, opts, { time: "trigger_ts", executor: "executor", model: "model", project: "project_id" });
  const wAct = whereSql(range, opts, { time: "timestamp", executor: "executor", model: "model", project: "project_id" });
  const rows = await db.all<Record<string, unknown>>(
    `WITH lat AS (
      SELECT a.*, coalesce(e.ts, a.last_seen) AS trigger_ts,
        date_diff('millisecond', coalesce(e.ts, a.last_seen), a.timestamp) AS latency_ms
      FROM alerts a LEFT JOIN events e ON e.attempt_id = a.attempt_id AND e.sequence_num = a.trigger_sequence_num),
    det AS (SELECT date_trunc('week', trigger_ts) AS week, count(*) AS alerts,
        quantile_cont(latency_ms, 0.5) AS p50, quantile_cont(latency_ms, 0.9) AS p90
      FROM lat WHERE ${wAlert.sql} GROUP BY GROUPING SETS ((week), ())),
    act AS (
      SELECT x.timestamp, s.executor, s.model, s.project_id,
        coalesce(s.success, FALSE) OR coalesce(n.success, FALSE) AS helped,
        s.success IS NOT NULL OR n.success IS NOT NULL AS known
      FROM actions x LEFT JOIN sessions s ON s.attempt_id = x.attempt_id LEFT JOIN sessions n ON n.attempt_id = x.detail
      WHERE x.action IN ${sqlList(INTERVENTION_ACTIONS)} AND x.status = '${ACTION_OK}'),
    iv AS (SELECT date_trunc('week', timestamp) AS week, count(*) FILTER (WHERE helped) AS k, count(*) FILTER (WHERE known) AS n
      FROM act WHERE ${wAct.sql} GROUP BY GROUPING SETS ((week), ())),
    s AS (SELECT * FROM sessions WHERE ${ws.sql}),
    cov AS (SELECT date_trunc('week', started_at) AS week, count(*) FILTER (WHERE complete_log) AS k, count(*) AS n
      FROM s GROUP BY GROUPING SETS ((week), ())),
    first_loop AS (
      SELECT l.attempt_id, arg_min(l.trigger_sequence_num, l.trigger_ts) AS seq, min(l.trigger_ts) AS at
      FROM lat l WHERE l.is_loop GROUP BY l.attempt_id),
    after AS (
      SELECT s.attempt_id, s.started_at, s.cost_usd,
        coalesce(sum(e.tokens) FILTER (WHERE CASE WHEN f.seq IS NOT NULL THEN e.sequence_num > f.seq ELSE e.ts > f.at END), 0) AS tokens_after,
        coalesce(sum(e.tokens), 0) AS tokens_all
      FROM s JOIN first_loop f USING (attempt_id) LEFT JOIN events e ON e.attempt_id = s.attempt_id
      GROUP BY s.attempt_id, s.started_at, s.cost_usd),
    waste AS (SELECT date_trunc('week', started_at) AS week, count(*) AS sessions, sum(tokens_after) AS tokens,
        sum(CASE WHEN tokens_all > 0 THEN cost_usd * tokens_after / tokens_all ELSE 0 END) AS cost
      FROM after GROUP BY GROUPING SETS ((week), ())),
    weeks AS (SELECT week FROM det UNION SELECT week FROM iv UNION SELECT week FROM cov UNION SELECT week FROM waste UNION SELECT NULL)
    SELECT weeks.week, coalesce(det.alerts, 0)::INTEGER AS alerts, det.p50, det.p90,
      ${rateSql("coalesce(iv.k, 0)", "coalesce(iv.n, 0)", "iv")}, ${rateSql("coalesce(cov.k, 0)", "coalesce(cov.n, 0)", "cov")},
      coalesce(waste.sessions, 0)::INTEGER AS waste_sessions, coalesce(waste.tokens, 0) AS waste_tokens, coalesce(waste.cost, 0) AS waste_cost
    FROM weeks LEFT JOIN det ON det.week IS NOT DISTINCT FROM weeks.week LEFT JOIN iv ON iv.week IS NOT DISTINCT FROM weeks.week
      LEFT JOIN cov ON cov.week IS NOT DISTINCT FROM weeks.week LEFT JOIN waste ON waste.week IS NOT DISTINCT FROM weeks.week
    ORDER BY weeks.week NULLS LAST`,
    [...wAlert.params, ...wAct.params, ...ws.params],
  );
  const toRow = (r: Record<string, unknown>): KpiRow => ({
    week: (r.week as string | null) ?? null,
    detection: { alerts: r.alerts as number, p50_latency_ms: r.p50 as number | null, p90_latency_ms: r.p90 as number | null },
    interventions: takeRate(r, "iv"),
    coverage: takeRate(r, "cov"),
    waste: {
      sessions_with_loop_alert: r.waste_sessions as number,
      tokens_after_first_loop_alert: r.waste_tokens as number,
      cost_after_first_loop_alert_usd: r.waste_cost as number,
    },
  });
  const all = rows.map(toRow);
  return { weeks: all.filter((r) => r.week !== null), overall: all.find((r) => r.week === null)! };
}
