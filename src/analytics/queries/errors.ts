import type { Db } from "../db.js";
import { ERROR_COLS, type Filters, type Range, whereSql } from "../filters.js";

export const ERROR_DIMENSIONS = ["executor", "model", "category"] as const;
export type ErrorDimension = (typeof ERROR_DIMENSIONS)[number];

export interface ErrorsOptions extends Filters {
  by?: ErrorDimension;
  limit?: number;
}

export interface ErrorCluster {
  fingerprint: string;
  count: number;
  tasks: number;
  attempts: number;
  categories: string[];
  executors: string[];
  first_seen: string;
  last_seen: string;
  sample_message: string | null;
  total?: number;
}

export interface ErrorCrossTab {
  dimension: ErrorDimension;
  rows: { fingerprint: string; key: string; count: number }[];
}

export async function errorClusters(db: Db, range: Range, opts: ErrorsOptions): Promise<{ clusters: ErrorCluster[]; total: number; by?: ErrorCrossTab }> {
  const w = whereSql(range, opts, ERROR_COLS);
  const limit = Math.max(1, Math.floor(opts.limit ?? 50));
  const clusters = await db.all<ErrorCluster>(
    `SELECT fingerprint, count(*)::INTEGER AS count, count(DISTINCT task_key)::INTEGER AS tasks,
      count(DISTINCT attempt_id)::INTEGER AS attempts,
      list_sort(list_distinct(list(category))) AS categories,
      list_sort(list_distinct(list(executor) FILTER (WHERE executor IS NOT NULL))) AS executors,
      min(ts) AS first_seen, max(ts) AS last_seen, arg_min(message, ts) AS sample_message,
      (sum(count(*)) OVER ())::INTEGER AS total
    FROM errors WHERE ${w.sql} GROUP BY fingerprint ORDER BY count DESC, fingerprint LIMIT ${limit}`,
    w.params,
  );
  const total = clusters[0]?.total ?? 0;
  for (const c of clusters) delete c.total;
  let by: ErrorCrossTab | undefined;
  if (opts.by) {
    const col = { executor: "executor", model: "model", category: "category" }[opts.by];
    const rows = await db.all<{ fingerprint: string; key: string; count: number }>(
      `SELECT fingerprint, coalesce(${col}, '(none)') AS key, count(*)::INTEGER AS count
      FROM errors WHERE ${w.sql} GROUP BY ALL ORDER BY fingerprint, key`,
      w.params,
    );
    by = { dimension: opts.by, rows };
  }
  return { clusters, total, ...(by ? { by } : {}) };
}
