import { tmpdir } from "node:os";
import { join } from "node:path";
import { type DuckDBConnection, DuckDBInstance } from "@duckdb/node-api";
import type { LogSources } from "./files.js";
import { loadAlertsSql, loadEventsSql, loadMetricsSql, viewsSql } from "./views.js";

export type Row = Record<string, unknown>;

/** DuckDB values → plain JSON: BIGINT → number, TIMESTAMP → ISO string, lists and structs recursively. */
export function plain(value: unknown): unknown {
  if (value === null || value === undefined) return null;
  if (typeof value === "bigint") return Number(value);
  if (typeof value === "number") return Number.isFinite(value) ? value : null;
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? null : value.toISOString();
  if (Array.isArray(value)) return value.map(plain);
  if (typeof value === "object") {
    const out: Row = {};
    for (const [k, v] of Object.entries(value as Row)) out[k] = plain(v);
    return out;
  }
  return value;
}

export interface Skipped {
  events: number;
  metrics: number;
  alerts: number;
}

export interface DbOptions {
  /** DuckDB's memory limit (e.g. "1GB"); beyond it, work spills to a temporary directory. */
  memoryLimit?: string;
  threads?: number;
}

/** One DuckDB connection over a log directory's history, its tables loaded once. */
export class Db {
  private constructor(
    private readonly instance: DuckDBInstance,
    readonly conn: DuckDBConnection,
    readonly sources: LogSources,
    readonly skipped: Skipped,
  ) {}

  static async open(sources: LogSources, opts: DbOptions = {}): Promise<Db> {
    const instance = await DuckDBInstance.create(":memory:", {
      memory_limit: opts.memoryLimit ?? "1GB",
      temp_directory: join(tmpdir(), "awl-duckdb"),
      ...(opts.threads ? { threads: String(opts.threads) } : {}),
    });
    const conn = await instance.connect();
    await conn.run("SET TimeZone = 'UTC'");
    await conn.run("SET preserve_insertion_order = true");
    await conn.run(loadEventsSql(sources.events.files));
    await conn.run(loadMetricsSql(sources.metrics.files));
    await conn.run(loadAlertsSql(sources.alerts.files));
    for (const sql of viewsSql()) await conn.run(sql);
    const counts = await conn.runAndReadAll(`SELECT
      (SELECT count(*) FILTER (WHERE NOT ok OR ok IS NULL) FROM _ev) AS events,
      (SELECT count(*) FILTER (WHERE NOT ok OR ok IS NULL) FROM _me) AS metrics,
      (SELECT count(*) FILTER (WHERE NOT ok OR ok IS NULL) FROM _al) AS alerts`);
    const skipped = plain(counts.getRowObjectsJS()[0]) as unknown as Skipped;
    return new Db(instance, conn, sources, skipped);
  }

  async all<T = Row>(sql: string, params: unknown[] = []): Promise<T[]> {
    const reader = await this.conn.runAndReadAll(sql, params as never);
    return reader.getRowObjectsJS().map((r) => plain(r) as T);
  }

  async columns(sql: string, params: unknown[] = []): Promise<{ columns: string[]; rows: Row[] }> {
    const reader = await this.conn.runAndReadAll(sql, params as never);
    return { columns: reader.columnNames(), rows: reader.getRowObjectsJS().map((r) => plain(r) as Row) };
  }

  close(): void {
    this.conn.closeSync();
    this.instance.closeSync();
  }
}
