import type { Db } from "../db.js";
import { type Filters, type Range, SESSION_COLS, whereSql } from "../filters.js";
import { PLANNING_RULES, ruleSql, TOO_MANY_ATTEMPTS } from "../planning-rules.js";
import { taskSql } from "./backlog.js";

export interface PlanningOptions extends Filters {
  failedOnly?: boolean;
  limit?: number;
}

export interface PlanningTask {
  task_key: string;
  task_id: string | null;
  task_title: string | null;
  attempts: number;
  successes: number;
  succeeded: boolean;
  executors: string[];
  categories: { category: string; errors: number }[];
  issues: string[];
  advice: string[];
}

export interface PlanningResult {
  tasks: PlanningTask[];
  top_issues: { issue: string; title: string; tasks: number; advice: string }[];
}

export async function planning(db: Db, range: Range, opts: PlanningOptions): Promise<PlanningResult> {
  await db.materializeSessions();
  const w = whereSql(range, opts, SESSION_COLS);
  const issueList = `list_filter([${PLANNING_RULES.map((r) => `CASE WHEN ${ruleSql(r)} THEN '${r.id}' END`).join(", ")}], x -> x IS NOT NULL)`;
  // Failed: attempts failed and none succeeded (a task still running is neither). Struggling:
  // any failed attempt, or many attempts, or a change of executor on the way.
  const struggling = opts.failedOnly
    ? "(NOT succeeded AND failures > 0)"
    : `(failures > 0 OR attempts >= ${TOO_MANY_ATTEMPTS} OR len(executors) >= 2)`;
  const limit = Math.max(1, Math.floor(opts.limit ?? 50));
  const base = `WITH ${taskSql(w.sql)},
    p AS (SELECT *, ${issueList} AS issues FROM tasks_f WHERE ${struggling})`;
  const rows = await db.all<Omit<PlanningTask, "advice">>(
    `${base} SELECT task_key, task_id, task_title, attempts, successes, succeeded, executors, categories, issues
    FROM p ORDER BY succeeded, attempts DESC, len(issues) DESC, task_key LIMIT ${limit}`,
    w.params,
  );
  const top = await db.all<{ issue: string; tasks: number }>(
    `${base} SELECT issue, count(*)::INTEGER AS tasks FROM (SELECT unnest(issues) AS issue FROM p) GROUP BY issue ORDER BY tasks DESC, issue`,
    w.params,
  );
  const rule = new Map(PLANNING_RULES.map((r) => [r.id, r]));
  return {
    tasks: rows.map((r) => ({ ...r, advice: r.issues.map((i) => rule.get(i)!.advice) })),
    top_issues: top.map((t) => ({ issue: t.issue, title: rule.get(t.issue)!.title, tasks: t.tasks, advice: rule.get(t.issue)!.advice })),
  };
}
