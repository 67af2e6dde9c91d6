import type { Db } from "../db.js";
import { type Filters, type Range, SESSION_COLS, whereSql } from "../filters.js";

export interface BacklogOptions extends Filters {
  limit?: number;
}

export interface BacklogRow {
  task_key: string;
  task_id: string | null;
  task_title: string | null;
  attempts: number;
  successes: number;
  succeeded: boolean;
  first_shot_success: boolean;
  total_duration_ms: number | null;
  total_cost_usd: number;
  total_tokens: number;
  errors: number;
  executors: string[];
  top_fingerprints: string[];
}

/**
 * Tasks and their attempts within the filters (sessions whose start falls in the range),
 * with their errors' fingerprints: the per-task relation planning and backlog share.
 */
export function taskSql(where: string): string {
  return `s AS (SELECT * FROM sessions WHERE ${where}),
  fp AS (SELECT e.task_key, e.fingerprint, e.category, count(*) AS n FROM errors e SEMI JOIN s USING (attempt_id) GROUP BY ALL),
  fpt AS (SELECT task_key, list(fingerprint ORDER BY n DESC, fingerprint)[1:3] AS top_fingerprints FROM (
      SELECT task_key, fingerprint, sum(n) AS n FROM fp GROUP BY ALL) GROUP BY task_key),
  cat AS (SELECT task_key, list({'category': category, 'errors': n::INTEGER} ORDER BY n DESC, category) AS categories,
      list(category ORDER BY category) AS category_names
    FROM (SELECT task_key, category, sum(n) AS n FROM fp GROUP BY ALL) GROUP BY task_key),
  t AS (
    SELECT task_key, any_value(task_id) AS task_id,
      arg_min(task_title, started_at) FILTER (WHERE task_title IS NOT NULL) AS task_title,
      count(*)::INTEGER AS attempts, count(*) FILTER (WHERE success)::INTEGER AS successes,
      count(*) FILTER (WHERE success = FALSE)::INTEGER AS failures,
      coalesce(bool_or(success), FALSE) AS succeeded,
      coalesce(bool_or(first_shot) FILTER (WHERE attempt_no = 1), FALSE) AS first_shot_success,
      sum(duration_ms) AS total_duration_ms, coalesce(sum(cost_usd), 0) AS total_cost_usd,
      coalesce(sum(tokens), 0) AS total_tokens, coalesce(sum(errors), 0)::INTEGER AS errors,
      list_sort(list_distinct(list(executor) FILTER (WHERE executor IS NOT NULL))) AS executors,
      max(started_at) AS last_started
    FROM s GROUP BY task_key),
  tasks_f AS (
    SELECT t.*, coalesce(fpt.top_fingerprints, []) AS top_fingerprints,
      coalesce(cat.categories, []) AS categories, coalesce(cat.category_names, []) AS category_names
    FROM t LEFT JOIN fpt USING (task_key) LEFT JOIN cat USING (task_key))`;
}

export async function backlog(db: Db, range: Range, opts: BacklogOptions): Promise<BacklogRow[]> {
  await db.materializeSessions();
  const w = whereSql(range, opts, SESSION_COLS);
  const limit = Math.max(1, Math.floor(opts.limit ?? 20));
  return db.all<BacklogRow>(
    `WITH ${taskSql(w.sql)}
    SELECT task_key, task_id, task_title, attempts, successes, succeeded, first_shot_success, total_duration_ms,
      total_cost_usd, total_tokens, errors, executors, top_fingerprints
    FROM tasks_f ORDER BY attempts DESC, total_cost_usd DESC, task_key LIMIT ${limit}`,
    w.params,
  );
}
