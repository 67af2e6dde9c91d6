import type { Db } from "../db.js";
import { type Filters, type Range, SESSION_COLS, whereSql } from "../filters.js";

export interface Rate {
  /** Successes. */
  k: number;
  /** Sample size: finished sessions (or first attempts) the rate is over. */
  n: number;
  rate: number | null;
  /** 95 % Wilson score interval. */
  ci_low: number | null;
  ci_high: number | null;
}

export interface ExecutorRow {
  executor: string;
  sessions: number;
  success: Rate;
  first_shot: Rate;
  avg_duration_ms: number | null;
  avg_cost_usd: number | null;
  total_cost_usd: number;
  avg_tokens: number | null;
  errors_per_session: number | null;
  top_failure_fingerprints: string[];
}

export const rateSql = (k: string, n: string, prefix: string) =>
  `${k}::INTEGER AS ${prefix}_k, ${n}::INTEGER AS ${prefix}_n,
  CASE WHEN ${n} > 0 THEN ${k}::DOUBLE / ${n} END AS ${prefix}_rate,
  awl_wilson_lo(${k}::DOUBLE, ${n}::DOUBLE) AS ${prefix}_ci_low, awl_wilson_hi(${k}::DOUBLE, ${n}::DOUBLE) AS ${prefix}_ci_high`;

export function takeRate(row: Record<string, unknown>, prefix: string): Rate {
  const r: Rate = {
    k: row[`${prefix}_k`] as number,
    n: row[`${prefix}_n`] as number,
    rate: row[`${prefix}_rate`] as number | null,
    ci_low: row[`${prefix}_ci_low`] as number | null,
    ci_high: row[`${prefix}_ci_high`] as number | null,
  };
  for (const k of ["k", "n", "rate", "ci_low", "ci_high"]) delete row[`${prefix}_${k}`];
  return r;
}

export async function executorComparison(db: Db, range: Range, opts: Filters): Promise<ExecutorRow[]> {
  await db.materializeSessions();
  const w = whereSql(range, opts, SESSION_COLS);
  const rows = await db.all<Record<string, unknown>>(
    `WITH s AS (SELECT *, coalesce(executor, '(unknown)') AS ex FROM sessions WHERE ${w.sql}),
    agg AS (
      SELECT ex AS executor, count(*)::INTEGER AS sessions,
        count(success) AS finished, count(*) FILTER (WHERE success) AS successes,
        count(first_shot) FILTER (WHERE attempt_no = 1) AS first_n, count(*) FILTER (WHERE attempt_no = 1 AND first_shot) AS first_k,
        avg(duration_ms) AS avg_duration_ms, avg(cost_usd) AS avg_cost_usd, coalesce(sum(cost_usd), 0) AS total_cost_usd,
        avg(tokens) AS avg_tokens, sum(errors)::DOUBLE / count(*) AS errors_per_session
      FROM s GROUP BY ex),
    fails AS (SELECT s.ex, e.fingerprint, count(*) AS n FROM errors e JOIN s USING (attempt_id) WHERE s.success = FALSE GROUP BY ALL),
    top AS (SELECT ex, list(fingerprint ORDER BY n DESC, fingerprint)[1:3] AS top_failure_fingerprints FROM fails GROUP BY ex)
    SELECT agg.executor, sessions, ${rateSql("successes", "finished", "success")}, ${rateSql("first_k", "first_n", "first")},
      avg_duration_ms, avg_cost_usd, total_cost_usd, avg_tokens, errors_per_session,
      coalesce(top.top_failure_fingerprints, []) AS top_failure_fingerprints
    FROM agg LEFT JOIN top ON top.ex = agg.executor ORDER BY sessions DESC, agg.executor`,
    w.params,
  );
  return rows.map((r) => {
    const success = takeRate(r, "success");
    const first_shot = takeRate(r, "first");
    return { executor: r.executor, sessions: r.sessions, success, first_shot, ...r } as ExecutorRow;
  });
}
