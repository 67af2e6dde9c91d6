import type { Db } from "../db.js";
import { ALERT_COLS, ERROR_COLS, type Filters, type Range, SESSION_COLS, whereSql } from "../filters.js";
import { type Rate, rateSql, takeRate } from "./executors.js";

export const BUCKETS = ["hour", "day", "week"] as const;
export type Bucket = (typeof BUCKETS)[number];

export interface TimeseriesOptions extends Filters {
  bucket?: Bucket;
}

export interface TimeseriesRow {
  bucket: string;
  sessions: number;
  success: Rate;
  tokens: number;
  cost_usd: number;
  errors: number;
  p50_duration_ms: number | null;
  p90_duration_ms: number | null;
  alerts: number;
}

/** Sessions count in the bucket they started in, errors and alerts in the bucket they happened in. Weeks start on Monday (ISO). */
export async function timeseries(db: Db, range: Range, opts: TimeseriesOptions): Promise<TimeseriesRow[]> {
  await db.materializeSessions();
  const bucket = opts.bucket ?? "day";
  if (!(BUCKETS as readonly string[]).includes(bucket)) throw new Error(`bucket must be one of ${BUCKETS.join(", ")}`);
  const ws = whereSql(range, opts, SESSION_COLS);
  const we = whereSql(range, opts, ERROR_COLS);
  const wa = whereSql(range, opts, ALERT_COLS);
  const rows = await db.all<Record<string, unknown>>(
    `WITH sa AS (
      SELECT date_trunc('${bucket}', started_at) AS b, count(*)::INTEGER AS sessions,
        count(success) AS finished, count(*) FILTER (WHERE success) AS successes,
        coalesce(sum(tokens), 0) AS tokens, coalesce(sum(cost_usd), 0) AS cost_usd,
        quantile_cont(duration_ms, 0.5) AS p50_duration_ms, quantile_cont(duration_ms, 0.9) AS p90_duration_ms
      FROM sessions WHERE ${ws.sql} GROUP BY b),
    ea AS (SELECT date_trunc('${bucket}', ts) AS b, count(*)::INTEGER AS errors FROM errors WHERE ${we.sql} GROUP BY b),
    aa AS (SELECT date_trunc('${bucket}', first_seen) AS b, count(*)::INTEGER AS alerts FROM alerts WHERE ${wa.sql} GROUP BY b),
    bs AS (SELECT b FROM sa UNION SELECT b FROM ea UNION SELECT b FROM aa)
    SELECT bs.b AS bucket, coalesce(sessions, 0) AS sessions, ${rateSql("coalesce(successes, 0)", "coalesce(finished, 0)", "success")},
      coalesce(tokens, 0) AS tokens, coalesce(cost_usd, 0) AS cost_usd, coalesce(errors, 0) AS errors,
      p50_duration_ms, p90_duration_ms, coalesce(alerts, 0) AS alerts
    FROM bs LEFT JOIN sa USING (b) LEFT JOIN ea USING (b) LEFT JOIN aa USING (b) WHERE bs.b IS NOT NULL ORDER BY bs.b`,
    [...ws.params, ...we.params, ...wa.params],
  );
  return rows.map((r) => {
    const success = takeRate(r, "success");
    return { bucket: r.bucket, sessions: r.sessions, success, ...r } as TimeseriesRow;
  });
}
