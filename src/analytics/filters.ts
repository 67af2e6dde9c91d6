/** The filters as a command line or a URL gives them: text and numbers, one executor. */
export interface FilterText {
  days?: number;
  since?: string;
  until?: string;
  executor?: string;
  model?: string;
  project?: string;
}

/** What every analytics query can be narrowed by. Times are event times, UTC. */
export interface Filters {
  /** The last N days up to `now`. */
  days?: number;
  /** ISO date or time (inclusive). */
  since?: string | Date;
  /** ISO date or time (exclusive). */
  until?: string | Date;
  executor?: string | readonly string[];
  model?: string;
  project?: string;
  /** The clock `days` counts back from (tests inject it). */
  now?: Date;
}

export interface Range {
  since: string | null;
  until: string | null;
}

/** Bad analytics input (a date that is not one, a negative day count): one line, the caller's mistake. */
export class AnalyticsInputError extends Error {
  override name = "AnalyticsInputError";
}

/** Whether a text's leading YYYY-MM-DD is a day of the calendar: Date takes 2026-02-30 for March 2. */
function isCalendarDay(text: string): boolean {
  const [y, m, d] = text.slice(0, 10).split("-").map(Number) as [number, number, number];
  const day = new Date(Date.UTC(y, m - 1, d));
  return day.getUTCMonth() === m - 1 && day.getUTCDate() === d;
}

/**
 * An ISO date (as midnight UTC) or date-time in ms since the epoch; NaN for anything else,
 * a day that is not on the calendar included. The one reading of a time given as text: the
 * analytics filters, the CLI's `--since` and the server's query. Date alone reads "1" as
 * 2001-01-01, "May 5" as a local date and 2026-02-30 as March 2.
 */
export function isoTimeMs(text: string): number {
  if (!/^[+-]?\d{4,6}-\d{2}-\d{2}/.test(text) || (/^\d{4}-/.test(text) && !isCalendarDay(text))) return Number.NaN;
  return Date.parse(/^\d{4}-\d{2}-\d{2}$/.test(text) ? `${text}T00:00:00Z` : text);
}

function parseTime(flag: string, v: string | Date): Date {
  const d = v instanceof Date ? v : new Date(isoTimeMs(v));
  if (Number.isNaN(d.getTime())) throw new AnalyticsInputError(`${flag}: not a date or ISO time: ${JSON.stringify(String(v))}`);
  return inRange(flag, d);
}

const FIRST = Date.parse("0000-01-01T00:00:00Z");
const BEYOND = Date.parse("+010000-01-01T00:00:00Z");

/** The bounds become TIMESTAMP literals (whereSql): DuckDB reads those with four-digit years only. */
function inRange(flag: string, d: Date): Date {
  const t = d.getTime();
  if (!(t >= FIRST && t < BEYOND)) throw new AnalyticsInputError(`${flag}: outside the years 0000 to 9999`);
  return d;
}

export function resolveRange(f: Filters): Range {
  if (f.days !== undefined && (f.since !== undefined || f.until !== undefined)) {
    throw new AnalyticsInputError("give either --days or --since/--until, not both");
  }
  if (f.days !== undefined) {
    if (!Number.isFinite(f.days) || f.days <= 0) throw new AnalyticsInputError(`--days must be a positive number, got ${f.days}`);
    const now = f.now ?? new Date();
    return { since: inRange("--days", new Date(now.getTime() - f.days * 86_400_000)).toISOString(), until: now.toISOString() };
  }
  const since = f.since !== undefined ? parseTime("--since", f.since).toISOString() : null;
  const until = f.until !== undefined ? parseTime("--until", f.until).toISOString() : null;
  if (since && until && since >= until) throw new AnalyticsInputError(`--since ${since} is not before --until ${until}`);
  return { since, until };
}

export interface Columns {
  time: string;
  executor?: string;
  model?: string;
  project?: string;
}

/** A WHERE clause (always a valid expression, `TRUE` when nothing filters) and its parameters. */
export function whereSql(range: Range, f: Filters, cols: Columns): { sql: string; params: string[] } {
  const parts: string[] = [];
  const params: string[] = [];
  // The range is ISO text this module produced from a Date, so it is safe to inline.
  if (range.since) parts.push(`${cols.time} >= TIMESTAMP '${range.since.slice(0, 23).replace("T", " ")}'`);
  if (range.until) parts.push(`${cols.time} < TIMESTAMP '${range.until.slice(0, 23).replace("T", " ")}'`);
  const executors = f.executor === undefined ? [] : typeof f.executor === "string" ? [f.executor] : [...f.executor];
  if (executors.length && cols.executor) {
    parts.push(`${cols.executor} IN (${executors.map(() => "?").join(", ")})`);
    params.push(...executors);
  }
  if (f.model !== undefined && cols.model) {
    parts.push(`${cols.model} = ?`);
    params.push(f.model);
  }
  if (f.project !== undefined && cols.project) {
    parts.push(`${cols.project} = ?`);
    params.push(f.project);
  }
  return { sql: parts.length ? parts.join(" AND ") : "TRUE", params };
}

export const SESSION_COLS: Columns = { time: "started_at", executor: "executor", model: "model", project: "project_id" };
export const ERROR_COLS: Columns = { time: "ts", executor: "executor", model: "model", project: "project_id" };
export const ALERT_COLS: Columns = { time: "first_seen", executor: "executor", model: "model", project: "project_id" };
