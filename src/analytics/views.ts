import { type ActionStatus, type ALERT_TYPES, type AlertAction, EVENT_TYPES } from "../schema/vocabulary.js";
import { DEFAULT_MAX_LINE_BYTES } from "../store/lines.js";
import { sqlList, successMacroSql } from "./success.js";

/**
 * The analytics views over the log files, with explicit column types (no sampling guesses:
 * the schema is the same whatever months are read). Each file family is read once into a
 * narrow table (`_ev`, `_me`, `_al`) that keeps the rows of unreadable lines as all-NULL
 * rows, so the skipped count comes from the same pass; the views leave them out.
 */

const USAGE = "STRUCT(input BIGINT, output BIGINT, cache_read BIGINT, cache_creation BIGINT, reasoning BIGINT, total_tokens BIGINT)";

/** The time and identifiers events and metrics records share, in their order on disk. */
const IDENTITY_COLUMNS: Record<string, string> = {
  timestamp: "VARCHAR",
  attempt_id: "VARCHAR",
  session_id: "VARCHAR",
  task_id: "VARCHAR",
  task_title: "VARCHAR",
  project_id: "VARCHAR",
  executor: "VARCHAR",
  executor_variant: "VARCHAR",
  model: "VARCHAR",
};

export const EVENT_COLUMNS: Record<string, string> = {
  ...IDENTITY_COLUMNS,
  event_type: "VARCHAR",
  sequence_num: "BIGINT",
  elapsed_ms: "BIGINT",
  source: "VARCHAR",
  data: `STRUCT(tool_name VARCHAR, tool_call_id VARCHAR, result VARCHAR, duration_ms BIGINT, exit_code BIGINT,
    error_message VARCHAR, error_fingerprint VARCHAR, error_category VARCHAR, error_source VARCHAR,
    completion_status VARCHAR, prompt_type VARCHAR, followup_reason VARCHAR, alert_id VARCHAR, action VARCHAR,
    total_tokens BIGINT, cost_usd DOUBLE, cost_estimated BOOLEAN, tool_calls BIGINT, errors BIGINT, usage ${USAGE})`,
};

export const METRICS_COLUMNS: Record<string, string> = {
  ...IDENTITY_COLUMNS,
  source: "VARCHAR",
  metrics: `STRUCT(duration_ms BIGINT, total_tokens BIGINT, usage ${USAGE}, cost_usd DOUBLE, cost_estimated BOOLEAN,
    tool_calls BIGINT, errors BIGINT, files_modified BIGINT, lines_added BIGINT, lines_deleted BIGINT, commits BIGINT,
    success BOOLEAN, completion_status VARCHAR, first_shot_success BOOLEAN, retry_count BIGINT)`,
  outcome: "STRUCT(status VARCHAR, pr_created BOOLEAN, pr_number BIGINT, pr_merged BOOLEAN, test_passed BOOLEAN, build_passed BOOLEAN)",
  error_summary:
    "STRUCT(total_errors BIGINT, error_categories VARCHAR[], error_fingerprints VARCHAR[], resolved_by_agent BIGINT, resolved_by_intervention BIGINT)",
};

export const ALERT_COLUMNS: Record<string, string> = {
  record_type: "VARCHAR",
  alert_id: "VARCHAR",
  type: "VARCHAR",
  severity: "VARCHAR",
  timestamp: "VARCHAR",
  attempt_id: "VARCHAR",
  session_id: "VARCHAR",
  task_id: "VARCHAR",
  project_id: "VARCHAR",
  executor: "VARCHAR",
  model: "VARCHAR",
  occurrences: "BIGINT",
  first_seen: "VARCHAR",
  last_seen: "VARCHAR",
  recommendation: "VARCHAR",
  message: "VARCHAR",
  error_fingerprint: "VARCHAR",
  error_category: "VARCHAR",
  tool_name: "VARCHAR",
  trigger_sequence_num: "BIGINT",
  action: "VARCHAR",
  status: "VARCHAR",
  detail: "VARCHAR",
  error: "VARCHAR",
};

function quote(s: string): string {
  return `'${s.replaceAll("'", "''")}'`;
}

/** ISO text (any offset) → TIMESTAMP in UTC; NULL when it is not a time. */
export function utc(col: string): string {
  return `(try_cast(${col} AS TIMESTAMPTZ) AT TIME ZONE 'UTC')`;
}

/**
 * The longest line DuckDB's JSON reader is set up for: the store's own limit. Its
 * `maximum_object_size` sizes the read buffers (two per thread, each twice that size, allocated
 * outside the memory limit): at 64 MB they were most of the first run's peak RSS. DuckDB does
 * not go below 16 MB. A longer line that crosses a read buffer fails the whole statement,
 * `ignore_errors` or not: `runOverJsonl` (long-lines.ts) then reads copies without such lines.
 */
export const MAX_LINE_BYTES = DEFAULT_MAX_LINE_BYTES;

/** A JSONL file to read: a path, or a copy (`path`) of part of the log file `name`, whose rows name that file. */
export type JsonlSource = string | { path: string; name: string };
export const sourcePath = (f: JsonlSource) => (typeof f === "string" ? f : f.path);
export const sourceName = (f: JsonlSource) => (typeof f === "string" ? f : f.name);

/** `read_ndjson` over the files with the given columns; an empty history is an empty relation of the same shape. */
export function readSql(files: readonly JsonlSource[], columns: Record<string, string>): string {
  if (files.length === 0) {
    const cols = Object.entries(columns).map(([k, t]) => `CAST(NULL AS ${t}) AS "${k}"`);
    return `(SELECT ${cols.join(", ")}, CAST(NULL AS VARCHAR) AS filename WHERE FALSE)`;
  }
  const spec = Object.entries(columns)
    .map(([k, t]) => `${quote(k)}: ${quote(t.replace(/\s+/g, " "))}`)
    .join(", ");
  const read = `read_ndjson([${files.map((f) => quote(sourcePath(f))).join(", ")}], columns={${spec}}, ignore_errors=true, filename=true, maximum_object_size=${MAX_LINE_BYTES})`;
  const copies = files.filter((f) => typeof f !== "string");
  if (copies.length === 0) return read;
  const names = copies.map((f) => `WHEN ${quote(f.path)} THEN ${quote(f.name)}`).join(" ");
  return `(SELECT * REPLACE (CASE filename ${names} ELSE filename END AS filename) FROM ${read})`;
}

const tokenSum = (u: string) =>
  `coalesce(${u}.total_tokens, coalesce(${u}.input,0) + coalesce(${u}.output,0) + coalesce(${u}.cache_read,0) + coalesce(${u}.cache_creation,0) + coalesce(${u}.reasoning,0))`;

/** The narrow events table: one row per line; unreadable lines are rows with `ok = false`. */
export function loadEventsSql(files: readonly JsonlSource[], table = "_ev"): string {
  return `CREATE OR REPLACE TEMP TABLE ${table} AS ${eventsSelectSql(files)}`;
}

export function eventsSelectSql(files: readonly JsonlSource[]): string {
  const ts = utc("timestamp");
  return `SELECT
  ${ts} AS ts, attempt_id, session_id, task_id, task_title, project_id, executor, executor_variant, model,
  event_type, sequence_num, elapsed_ms, source,
  data.tool_name AS tool_name, data.tool_call_id AS tool_call_id, hash(data.tool_call_id) AS tool_call_key, data.result AS tool_result,
  data.duration_ms AS duration_ms, data.exit_code AS exit_code,
  CASE WHEN event_type = 'error' THEN left(data.error_message, 1000) END AS error_message,
  data.error_fingerprint AS error_fingerprint, data.error_category AS error_category, data.error_source AS error_source,
  data.completion_status AS completion_status, data.prompt_type AS prompt_type, data.followup_reason AS followup_reason,
  data.alert_id AS alert_id, data.action AS followup_action,
  CASE WHEN event_type <> 'session_end' AND data.usage IS NOT NULL THEN ${tokenSum("data.usage")} END AS tokens,
  CASE WHEN event_type = 'session_end' THEN coalesce(data.total_tokens, ${tokenSum("data.usage")}) END AS end_tokens,
  CASE WHEN event_type = 'session_end' THEN data.cost_usd END AS end_cost_usd,
  CASE WHEN event_type = 'session_end' THEN data.duration_ms END AS end_duration_ms,
  filename AS file,
  (attempt_id IS NOT NULL AND event_type IN ${sqlList(EVENT_TYPES)} AND ${ts} IS NOT NULL) AS ok
FROM ${readSql(files, EVENT_COLUMNS)}`;
}

export function loadMetricsSql(files: readonly JsonlSource[]): string {
  const ts = utc("timestamp");
  return `CREATE OR REPLACE TEMP TABLE _me AS SELECT row_number() OVER () AS ord, ${ts} AS ts, *,
  (attempt_id IS NOT NULL AND attempt_id <> '' AND ${ts} IS NOT NULL) AS ok
FROM ${readSql(files, METRICS_COLUMNS)}`;
}

export function loadAlertsSql(files: readonly JsonlSource[]): string {
  return `CREATE OR REPLACE TEMP TABLE _al AS SELECT row_number() OVER () AS ord, ${utc("timestamp")} AS ts,
  ${utc("first_seen")} AS first_ts, ${utc("last_seen")} AS last_ts, *,
  (record_type IN ('alert', 'action') AND attempt_id IS NOT NULL AND alert_id IS NOT NULL AND ${utc("timestamp")} IS NOT NULL) AS ok
FROM ${readSql(files, ALERT_COLUMNS)}`;
}

/** A field-by-field "latest set value wins", in file order: mergeMetricsRecords in SQL. */
const latest = (expr: string, as: string) => `arg_max(${expr}, ord) FILTER (WHERE ${expr} IS NOT NULL) AS ${as}`;

export const LOOP_ALERTS = ["error_loop", "tool_loop"] as const satisfies readonly (typeof ALERT_TYPES)[number][];

/** The actions that are interventions, and the status of one that ran: the KPI and the report count these. */
export const INTERVENTION_ACTIONS = ["intervene", "autofix"] as const satisfies readonly AlertAction[];
export const ACTION_OK = "ok" as const satisfies ActionStatus;

export function viewsSql(): string[] {
  return [
    successMacroSql(),
    // Wilson score interval (95 %) of k successes in n: which differences between rates are real.
    `CREATE OR REPLACE TEMP MACRO awl_wilson_lo(k, n) AS CASE WHEN n > 0 THEN
      ((k/n) + 1.96*1.96/(2*n) - 1.96*sqrt((k/n)*(1-k/n)/n + 1.96*1.96/(4*n*n))) / (1 + 1.96*1.96/n) END`,
    `CREATE OR REPLACE TEMP MACRO awl_wilson_hi(k, n) AS CASE WHEN n > 0 THEN
      ((k/n) + 1.96*1.96/(2*n) + 1.96*sqrt((k/n)*(1-k/n)/n + 1.96*1.96/(4*n*n))) / (1 + 1.96*1.96/n) END`,
    `CREATE OR REPLACE TEMP VIEW events AS SELECT * EXCLUDE (ok) FROM _ev WHERE ok`,
    `CREATE OR REPLACE TEMP VIEW metrics AS SELECT attempt_id,
      max(ts) AS timestamp, count(*) AS records,
      ${latest("session_id", "session_id")}, ${latest("task_id", "task_id")}, ${latest("task_title", "task_title")},
      ${latest("project_id", "project_id")}, ${latest("executor", "executor")}, ${latest("executor_variant", "executor_variant")},
      ${latest("model", "model")}, ${latest("source", "source")},
      ${latest("metrics.duration_ms", "duration_ms")}, ${latest("metrics.total_tokens", "total_tokens")},
      ${latest("metrics.usage", "usage")}, ${latest("metrics.cost_usd", "cost_usd")}, ${latest("metrics.cost_estimated", "cost_estimated")},
      ${latest("metrics.tool_calls", "tool_calls")}, ${latest("metrics.errors", "errors")},
      ${latest("metrics.files_modified", "files_modified")}, ${latest("metrics.lines_added", "lines_added")},
      ${latest("metrics.lines_deleted", "lines_deleted")}, ${latest("metrics.commits", "commits")},
      ${latest("metrics.success", "success")}, ${latest("metrics.completion_status", "completion_status")},
      ${latest("metrics.first_shot_success", "first_shot_success")}, ${latest("metrics.retry_count", "retry_count")},
      ${latest("outcome.status", "outcome_status")}, ${latest("outcome.pr_created", "pr_created")},
      ${latest("outcome.pr_number", "pr_number")}, ${latest("outcome.pr_merged", "pr_merged")},
      ${latest("outcome.test_passed", "test_passed")}, ${latest("outcome.build_passed", "build_passed")},
      ${latest("error_summary.total_errors", "total_errors")}, ${latest("error_summary.error_categories", "error_categories")},
      ${latest("error_summary.error_fingerprints", "error_fingerprints")},
      ${latest("error_summary.resolved_by_agent", "resolved_by_agent")},
      ${latest("error_summary.resolved_by_intervention", "resolved_by_intervention")}
    FROM _me WHERE ok GROUP BY attempt_id`,
    // One row per attempt, from the stream, completed by its merged metrics record; an attempt
    // known only from a metrics record (its events archived away or never recorded) is still a row.
    `CREATE OR REPLACE TEMP VIEW sessions_computed AS
    WITH ev_all AS (
      SELECT attempt_id,
        min(ts) AS first_ts, max(ts) AS last_ts,
        any_value(session_id) AS any_session_id, any_value(task_id) AS any_task_id,
        any_value(executor) AS any_executor, any_value(model) AS any_model,
        count(*) AS events,
        count(*) FILTER (WHERE event_type = 'tool_call') AS ev_tool_calls,
        count(*) FILTER (WHERE event_type = 'error') AS ev_errors,
        count(*) FILTER (WHERE event_type = 'followup_sent') AS followups,
        coalesce(sum(tokens), 0) AS ev_tokens,
        max(elapsed_ms) AS max_elapsed_ms,
        count(*) FILTER (WHERE event_type = 'tool_call' AND tool_call_id IS NULL) AS calls_without_id,
        count(*) FILTER (WHERE event_type = 'tool_result' AND tool_call_id IS NULL) AS results_without_id,
        -- Calls with an id that no result of the attempt answers: |calls ∪ results| - |results|, in one pass.
        -- (over a 64-bit hash of the id: counting distinct integers is several times cheaper than strings)
        count(DISTINCT tool_call_key) FILTER (WHERE event_type IN ('tool_call', 'tool_result') AND tool_call_id IS NOT NULL)
          - count(DISTINCT tool_call_key) FILTER (WHERE event_type = 'tool_result' AND tool_call_id IS NOT NULL) AS unanswered_with_id
      FROM events GROUP BY attempt_id
    ),
    -- Task metadata rides on session_start and session_end (SPEC §2): read it from those rows only.
    ev_meta AS (
      SELECT attempt_id,
        min(ts) FILTER (WHERE event_type = 'session_start') AS start_ts,
        max(ts) FILTER (WHERE event_type = 'session_end') AS end_ts,
        arg_max(completion_status, ts) FILTER (WHERE event_type = 'session_end') AS end_status,
        arg_max(end_tokens, ts) FILTER (WHERE event_type = 'session_end') AS end_tokens,
        arg_max(end_cost_usd, ts) FILTER (WHERE event_type = 'session_end') AS end_cost_usd,
        arg_max(end_duration_ms, ts) FILTER (WHERE event_type = 'session_end') AS end_duration_ms,
        arg_min(session_id, sequence_num) FILTER (WHERE session_id IS NOT NULL) AS session_id,
        arg_min(task_id, sequence_num) FILTER (WHERE task_id IS NOT NULL) AS task_id,
        arg_min(task_title, sequence_num) FILTER (WHERE task_title IS NOT NULL) AS task_title,
        arg_min(project_id, sequence_num) FILTER (WHERE project_id IS NOT NULL) AS project_id,
        arg_min(executor, sequence_num) FILTER (WHERE executor IS NOT NULL) AS executor,
        arg_min(executor_variant, sequence_num) FILTER (WHERE executor_variant IS NOT NULL) AS executor_variant,
        arg_min(model, sequence_num) FILTER (WHERE model IS NOT NULL) AS model,
        arg_min(prompt_type, sequence_num) FILTER (WHERE event_type = 'session_start') AS prompt_type,
        arg_min(followup_reason, sequence_num) FILTER (WHERE event_type = 'session_start') AS followup_reason
      FROM events WHERE event_type IN ('session_start', 'session_end') GROUP BY attempt_id
    ),
    ev AS (
      SELECT a.attempt_id, a.first_ts, a.last_ts, m.start_ts, m.end_ts, m.end_status, m.end_tokens, m.end_cost_usd, m.end_duration_ms,
        coalesce(m.session_id, a.any_session_id) AS session_id, coalesce(m.task_id, a.any_task_id) AS task_id, m.task_title, m.project_id,
        coalesce(m.executor, a.any_executor) AS executor, m.executor_variant, coalesce(m.model, a.any_model) AS model,
        m.prompt_type, m.followup_reason, a.events, a.ev_tool_calls, a.ev_errors, a.followups, a.ev_tokens, a.max_elapsed_ms,
        a.calls_without_id, a.results_without_id, a.unanswered_with_id
      FROM ev_all a LEFT JOIN ev_meta m USING (attempt_id)
    ),
    joined AS (
      SELECT coalesce(ev.attempt_id, m.attempt_id) AS attempt_id,
        coalesce(ev.session_id, m.session_id) AS session_id,
        coalesce(ev.task_id, m.task_id) AS task_id,
        coalesce(ev.task_id, m.task_id, coalesce(ev.attempt_id, m.attempt_id)) AS task_key,
        coalesce(ev.task_title, m.task_title) AS task_title,
        coalesce(ev.project_id, m.project_id) AS project_id,
        coalesce(ev.executor, m.executor) AS executor,
        coalesce(ev.executor_variant, m.executor_variant) AS executor_variant,
        coalesce(ev.model, m.model) AS model,
        coalesce(ev.start_ts, ev.first_ts, m.timestamp) AS started_at,
        coalesce(ev.end_ts, CASE WHEN m.completion_status IS NOT NULL OR m.success IS NOT NULL THEN m.timestamp END) AS ended_at,
        ev.prompt_type, ev.followup_reason,
        coalesce(m.completion_status, ev.end_status) AS completion_status,
        m.outcome_status, m.success AS metrics_success, m.first_shot_success AS metrics_first_shot,
        awl_success(m.outcome_status, coalesce(m.completion_status, ev.end_status), m.success) AS success,
        coalesce(m.duration_ms, ev.end_duration_ms, ev.max_elapsed_ms) AS duration_ms,
        coalesce(m.total_tokens, ev.end_tokens, ev.ev_tokens, 0) AS tokens,
        coalesce(m.cost_usd, ev.end_cost_usd, 0) AS cost_usd,
        coalesce(m.tool_calls, ev.ev_tool_calls, 0) AS tool_calls,
        coalesce(ev.ev_errors, m.errors, 0) AS errors,
        coalesce(ev.followups, 0) AS followups,
        coalesce(ev.events, 0) AS events,
        ev.start_ts IS NOT NULL AS has_start,
        ev.end_ts IS NOT NULL AS has_end,
        m.attempt_id IS NOT NULL AS has_metrics,
        coalesce(ev.unanswered_with_id, 0) + greatest(coalesce(ev.calls_without_id, 0) - coalesce(ev.results_without_id, 0), 0) AS unpaired_tool_calls,
        m.pr_merged, m.test_passed, m.build_passed
      FROM ev FULL OUTER JOIN metrics m ON ev.attempt_id = m.attempt_id
    )
    SELECT *,
      row_number() OVER (PARTITION BY task_key ORDER BY started_at, attempt_id) AS attempt_no,
      CASE WHEN success IS NULL THEN NULL
        WHEN metrics_first_shot IS NOT NULL THEN metrics_first_shot
        ELSE success AND followups = 0 AND row_number() OVER (PARTITION BY task_key ORDER BY started_at, attempt_id) = 1 END AS first_shot,
      has_start AND has_end AND has_metrics AND unpaired_tool_calls = 0 AS complete_log
    FROM joined`,
    // Until a query needs sessions (and the table below is made once), the view computes them.
    "CREATE OR REPLACE TEMP VIEW sessions AS SELECT * FROM sessions_computed",
    // What an error row needs of its attempt, from the events that carry task metadata only (cheap).
    `CREATE OR REPLACE TEMP VIEW attempt_meta AS
    SELECT attempt_id, arg_min(task_id, sequence_num) FILTER (WHERE task_id IS NOT NULL) AS task_id,
      arg_min(project_id, sequence_num) FILTER (WHERE project_id IS NOT NULL) AS project_id,
      arg_min(executor, sequence_num) FILTER (WHERE executor IS NOT NULL) AS executor,
      arg_min(model, sequence_num) FILTER (WHERE model IS NOT NULL) AS model
    FROM events WHERE event_type IN ('session_start', 'session_end') GROUP BY attempt_id`,
    `CREATE OR REPLACE TEMP VIEW errors AS
    SELECT e.ts, e.attempt_id, e.session_id, coalesce(e.task_id, s.task_id) AS task_id,
      coalesce(e.task_id, s.task_id, e.attempt_id) AS task_key,
      coalesce(e.project_id, s.project_id) AS project_id, coalesce(e.executor, s.executor) AS executor, coalesce(e.model, s.model) AS model,
      coalesce(e.error_fingerprint, 'unknown') AS fingerprint, coalesce(e.error_category, 'unknown') AS category,
      e.error_source AS source, e.tool_name, e.error_message AS message, e.sequence_num
    FROM events e LEFT JOIN attempt_meta s USING (attempt_id) WHERE e.event_type = 'error'`,
    `CREATE OR REPLACE TEMP VIEW alerts AS
    SELECT alert_id, type, severity, ts AS timestamp, attempt_id, session_id, task_id, project_id, executor, model,
      occurrences, first_ts AS first_seen, last_ts AS last_seen, recommendation, message, error_fingerprint,
      error_category, tool_name, trigger_sequence_num, type IN ${sqlList(LOOP_ALERTS)} AS is_loop
    FROM _al WHERE ok AND record_type = 'alert'
    QUALIFY row_number() OVER (PARTITION BY alert_id ORDER BY ord) = 1`,
    `CREATE OR REPLACE TEMP VIEW actions AS
    SELECT alert_id, attempt_id, ts AS timestamp, action, status, detail, error
    FROM _al WHERE ok AND record_type = 'action'`,
    `CREATE OR REPLACE TEMP VIEW tasks AS
    SELECT task_key, any_value(task_id) AS task_id, arg_min(task_title, started_at) FILTER (WHERE task_title IS NOT NULL) AS task_title,
      arg_min(project_id, started_at) FILTER (WHERE project_id IS NOT NULL) AS project_id,
      count(*) AS attempts,
      count(*) FILTER (WHERE success) AS successful_attempts,
      bool_or(success) AS succeeded,
      bool_or(first_shot) FILTER (WHERE attempt_no = 1) AS first_shot,
      sum(duration_ms) AS total_duration_ms, sum(cost_usd) AS total_cost_usd, sum(tokens) AS total_tokens,
      sum(errors) AS errors,
      list_sort(list_distinct(list(executor) FILTER (WHERE executor IS NOT NULL))) AS executors,
      min(started_at) AS first_started, max(coalesce(ended_at, started_at)) AS last_activity
    FROM sessions GROUP BY task_key`,
  ];
}
