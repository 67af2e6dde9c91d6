import { join } from "node:path";
import { StatementType } from "@duckdb/node-api";
import type { AwlConfig } from "../config/index.js";
import { logPaths } from "../store/paths.js";
import { type CacheInfo, Db, type DbOptions, plain, type Row, type Skipped } from "./db.js";
import { logSources } from "./files.js";
import { AnalyticsInputError, type Filters, type Range, resolveRange } from "./filters.js";
import { type BacklogOptions, type BacklogRow, backlog } from "./queries/backlog.js";
import { type ErrorCluster, type ErrorCrossTab, type ErrorsOptions, errorClusters } from "./queries/errors.js";
import { type ExecutorRow, executorComparison } from "./queries/executors.js";
import { type KpisResult, kpis } from "./queries/kpis.js";
import { type PlanningOptions, type PlanningResult, planning } from "./queries/planning.js";
import { type PromptsResult, prompts } from "./queries/prompts.js";
import { type TimeseriesOptions, type TimeseriesRow, timeseries } from "./queries/timeseries.js";

export { AnalyticsInputError, type Filters, type FilterText, type Range } from "./filters.js";
export { PLANNING_RULES, type PlanningRule } from "./planning-rules.js";
export type { BacklogOptions, BacklogRow } from "./queries/backlog.js";
export { ERROR_DIMENSIONS, type ErrorCluster, type ErrorCrossTab, type ErrorDimension, type ErrorsOptions } from "./queries/errors.js";
export type { ExecutorRow, Rate } from "./queries/executors.js";
export type { KpiRow, KpisResult } from "./queries/kpis.js";
export type { PlanningOptions, PlanningResult, PlanningTask } from "./queries/planning.js";
export type { PromptRow, PromptsResult } from "./queries/prompts.js";
export { BUCKETS, type Bucket, type TimeseriesOptions, type TimeseriesRow } from "./queries/timeseries.js";
export { isSuccess } from "./success.js";

/** What every analytics answer carries besides its rows. */
export interface Meta {
  range: Range;
  /** Unreadable lines (torn, not JSON, not of the schema) skipped in each file family. */
  skipped: Skipped;
  files: { events: number; metrics: number; alerts: number };
  cache: CacheInfo;
  generated_at: string;
}

export type Result<T> = T & { meta: Meta };

export interface SqlResult {
  columns: string[];
  rows: Row[];
  /** The query gave more rows than MAX_SQL_ROWS: `rows` holds the first of them. */
  truncated: boolean;
  meta: Meta;
}

/**
 * Rows `sql()` returns at most. The result is streamed and reading stops here: a query over
 * `range(1e12)` used to be read whole into memory until the process was killed.
 */
export const MAX_SQL_ROWS = 100_000;

export interface Analytics {
  errors(opts?: ErrorsOptions): Promise<Result<{ clusters: ErrorCluster[]; total: number; by?: ErrorCrossTab }>>;
  executors(opts?: Filters): Promise<Result<{ executors: ExecutorRow[] }>>;
  backlog(opts?: BacklogOptions): Promise<Result<{ tasks: BacklogRow[] }>>;
  planning(opts?: PlanningOptions): Promise<Result<PlanningResult>>;
  timeseries(opts?: TimeseriesOptions): Promise<Result<{ bucket: string; rows: TimeseriesRow[] }>>;
  prompts(opts?: Filters): Promise<Result<PromptsResult>>;
  kpis(opts?: Filters): Promise<Result<KpisResult>>;
  /** Read-only SQL over the views (`events`, `errors`, `sessions`, `metrics`, `alerts`, `actions`, `tasks`). */
  sql(query: string): Promise<SqlResult>;
  readonly skipped: Skipped;
  close(): void;
}

export interface OpenOptions extends Omit<DbOptions, "cacheDir"> {
  /** false: no Parquet cache under <log-dir>/.cache/analytics (everything parsed into memory). Default true. */
  cache?: boolean;
  /**
   * true (default): the first query that needs sessions computes them all once and later queries
   * reuse them (a report, a server). false: each query computes only the columns it reads, which
   * is faster for a single question (`awl analyze`).
   */
  reuseSessions?: boolean;
  /** The clock for `--days` and `generated_at` (tests inject it). */
  now?: () => Date;
}

/** Where the history is: a log directory (and the stream's file name, if not the default). `AwlConfig` fits. */
export type AnalyticsConfig = Pick<AwlConfig, "logDir"> & Partial<Pick<AwlConfig, "streamFile">>;

/** Nothing but blanks, semicolons and comments. */
const NO_STATEMENT = /^(?:\s|;|--[^\n]*|\/\*[\s\S]*?\*\/)*$/;

export const VIEWS = ["events", "errors", "sessions", "metrics", "alerts", "actions", "tasks"] as const;

/**
 * Opens the log directory's whole history (live files and archives) in DuckDB. The history is
 * read once here; every query after that works on it. Close it when done.
 */
export async function openAnalytics(config: AnalyticsConfig, opts: OpenOptions = {}): Promise<Analytics> {
  const sources = logSources(logPaths(config.logDir, config.streamFile));
  // No cache for a history without events (nor a log directory that is not there: a typo must not create one).
  const cacheDir = opts.cache === false || sources.events.files.length === 0 ? null : join(config.logDir, ".cache", "analytics");
  const db = await Db.open(sources, { ...opts, cacheDir });
  db.reuseSessions = opts.reuseSessions ?? true;
  const clock = opts.now ?? (() => new Date());
  const meta = (range: Range): Meta => ({
    range,
    skipped: db.skipped,
    files: { events: sources.events.files.length, metrics: sources.metrics.files.length, alerts: sources.alerts.files.length },
    cache: db.cache,
    generated_at: clock().toISOString(),
  });
  const rangeOf = (f: Filters = {}) => resolveRange({ now: clock(), ...f });
  return {
    skipped: db.skipped,
    async errors(o = {}) {
      const r = rangeOf(o);
      return { ...(await errorClusters(db, r, o)), meta: meta(r) };
    },
    async executors(o = {}) {
      const r = rangeOf(o);
      return { executors: await executorComparison(db, r, o), meta: meta(r) };
    },
    async backlog(o = {}) {
      const r = rangeOf(o);
      return { tasks: await backlog(db, r, o), meta: meta(r) };
    },
    async planning(o = {}) {
      const r = rangeOf(o);
      return { ...(await planning(db, r, o)), meta: meta(r) };
    },
    async timeseries(o = {}) {
      const r = rangeOf(o);
      return { bucket: o.bucket ?? "day", rows: await timeseries(db, r, o), meta: meta(r) };
    },
    async prompts(o = {}) {
      const r = rangeOf(o);
      return { ...(await prompts(db, r, o)), meta: meta(r) };
    },
    async kpis(o = {}) {
      const r = rangeOf(o);
      return { ...(await kpis(db, r, o)), meta: meta(r) };
    },
    async sql(query) {
      // DuckDB's extractor fails without a message ("Error in native callback") on a query with no statement.
      if (NO_STATEMENT.test(query)) throw new AnalyticsInputError("give exactly one SQL statement (got none)");
      if (/sessions|tasks/i.test(query)) await db.materializeSessions();
      const { columns, rows } = await db.exclusive(async () => {
        const extracted = await db.conn.extractStatements(query);
        if (extracted.count !== 1) throw new AnalyticsInputError(`give exactly one SQL statement (got ${extracted.count})`);
        const stmt = await extracted.prepare(0);
        if (stmt.statementType !== StatementType.SELECT) {
          throw new AnalyticsInputError("only read-only queries (SELECT, WITH … SELECT) are allowed");
        }
        const reader = await stmt.streamAndReadUntil(MAX_SQL_ROWS + 1);
        return { columns: reader.columnNames(), rows: reader.getRowObjectsJS() };
      });
      return {
        columns,
        rows: rows.slice(0, MAX_SQL_ROWS).map((r) => plain(r) as Row),
        truncated: rows.length > MAX_SQL_ROWS,
        meta: meta({ since: null, until: null }),
      };
    },
    close: () => db.close(),
  };
}
