import type { Db } from "../db.js";
import { type Filters, type Range, SESSION_COLS, whereSql } from "../filters.js";
import { type Rate, rateSql, takeRate } from "./executors.js";

export interface PromptRow {
  prompt_type: string;
  followup_reason: string;
  sessions: number;
  success: Rate;
}

export interface PromptsResult {
  by_prompt: PromptRow[];
  /** Attempts that received a follow-up (an intervention's `followup_sent`) and then finished: how many succeeded. */
  followup_recovery: Rate;
  /** Attempts started after a failed attempt of the same task (a retry): how many succeeded. */
  retry_recovery: Rate;
}

export async function prompts(db: Db, range: Range, opts: Filters): Promise<PromptsResult> {
  await db.materializeSessions();
  const w = whereSql(range, opts, SESSION_COLS);
  const rows = await db.all<Record<string, unknown>>(
    `SELECT coalesce(prompt_type, '(none)') AS prompt_type, coalesce(followup_reason, '(none)') AS followup_reason,
      count(*)::INTEGER AS sessions, ${rateSql("count(*) FILTER (WHERE success)", "count(success)", "success")}
    FROM sessions WHERE ${w.sql} GROUP BY ALL ORDER BY sessions DESC, prompt_type, followup_reason`,
    w.params,
  );
  const [rec] = await db.all<Record<string, unknown>>(
    `WITH h AS (SELECT *, lag(success) OVER (PARTITION BY task_key ORDER BY started_at, attempt_id) AS prev_success FROM sessions),
    s AS (SELECT * FROM h WHERE ${w.sql})
    SELECT ${rateSql("count(*) FILTER (WHERE followups > 0 AND success)", "count(success) FILTER (WHERE followups > 0)", "f")},
      ${rateSql("count(*) FILTER (WHERE prev_success = FALSE AND success)", "count(success) FILTER (WHERE prev_success = FALSE)", "r")}
    FROM s`,
    w.params,
  );
  return {
    by_prompt: rows.map((r) => {
      const success = takeRate(r, "success");
      return { ...r, success } as PromptRow;
    }),
    followup_recovery: takeRate(rec!, "f"),
    retry_recovery: takeRate(rec!, "r"),
  };
}
