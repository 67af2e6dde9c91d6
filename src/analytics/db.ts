import { createHash } from "node:crypto";
import { statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type DuckDBConnection, DuckDBInstance } from "@duckdb/node-api";
import type { LogSources } from "./files.js";
import { removeTemp, updateEventCache } from "./cache.js";
import { runOverJsonl } from "./long-lines.js";
import { eventsSelectSql, loadAlertsSql, loadEventsSql, loadMetricsSql, viewsSql } from "./views.js";

// The cache's rows have the shape of this SELECT: a change to it starts a new cache. The number
// after it counts changes to what the rows hold that the SELECT does not show (2: rows of the
// live file name it, not the temporary slice they were read from).
const CACHE_VERSION = createHash("sha1").update(`${eventsSelectSql(["x"])}\n2`).digest("hex").slice(0, 16);

const list = (files: readonly string[]) => `[${files.map((f) => `'${f.replaceAll("'", "''")}'`).join(", ")}]`;

/** `_ev`: from the Parquet cache plus what it does not hold yet; or, without a cache, all parsed into memory. */
async function loadEvents(conn: DuckDBConnection, sources: LogSources, cacheDir: string | null): Promise<CacheInfo> {
  const files = sources.events.files;
  const live = sources.events.live;
  if (cacheDir) {
    try {
      const r = await updateEventCache(conn, cacheDir, files, live, CACHE_VERSION, eventsSelectSql);
      try {
        await runOverJsonl(r.direct, cacheDir, (f) => conn.run(loadEventsSql(f, "_ev_direct")));
      } finally {
        removeTemp(r.temp);
      }
      const parts = r.parquet.length ? `SELECT * FROM read_parquet(${list(r.parquet)}) UNION ALL BY NAME ` : "";
      await conn.run(`CREATE OR REPLACE TEMP VIEW _ev AS ${parts}SELECT * FROM _ev_direct`);
      return { used: true, parsed_bytes: r.parsedBytes };
    } catch (err) {
      // An unwritable log directory still gets its answers, read into memory.
      await runOverJsonl(files, null, (f) => conn.run(loadEventsSql(f)));
      return { used: false, parsed_bytes: totalSize(files), error: (err as Error).message.split("\n")[0] };
    }
  }
  await runOverJsonl(files, null, (f) => conn.run(loadEventsSql(f)));
  return { used: false, parsed_bytes: totalSize(files) };
}

function totalSize(files: readonly string[]): number {
  let n = 0;
  for (const f of files) n += statSync(f).size;
  return n;
}

export type Row = Record<string, unknown>;

const MAX_EXACT = BigInt(Number.MAX_SAFE_INTEGER);

/**
 * DuckDB values → plain JSON: BIGINT → number, TIMESTAMP → ISO string, lists and structs recursively.
 * An integer a double cannot hold exactly (beyond ±2^53: hashes, HUGEINT sums) stays exact as its
 * digits: rounded, it would be a wrong number that looks right.
 */
export function plain(value: unknown): unknown {
  if (value === null || value === undefined) return null;
  if (typeof value === "bigint") return value <= MAX_EXACT && value >= -MAX_EXACT ? Number(value) : value.toString();
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
  /** Where the Parquet cache of the stream lives; null: no cache, everything is read into memory. */
  cacheDir?: string | null;
}

export interface CacheInfo {
  used: boolean;
  /** JSON bytes parsed this time (the rest came from the cache). */
  parsed_bytes: number;
  /** Why the cache could not be used, if it could not. */
  error?: string;
}

/** One DuckDB connection over a log directory's history, its tables loaded once. */
export class Db {
  private constructor(
    private readonly instance: DuckDBInstance,
    readonly conn: DuckDBConnection,
    readonly sources: LogSources,
    readonly skipped: Skipped,
    readonly cache: CacheInfo,
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
    const cache = await loadEvents(conn, sources, opts.cacheDir ?? null);
    await runOverJsonl(sources.metrics.files, null, (f) => conn.run(loadMetricsSql(f)));
    await runOverJsonl(sources.alerts.files, null, (f) => conn.run(loadAlertsSql(f)));
    for (const sql of viewsSql()) await conn.run(sql);
    const counts = await conn.runAndReadAll(`SELECT
      (SELECT count(*) FILTER (WHERE NOT ok OR ok IS NULL) FROM _ev) AS events,
      (SELECT count(*) FILTER (WHERE NOT ok OR ok IS NULL) FROM _me) AS metrics,
      (SELECT count(*) FILTER (WHERE NOT ok OR ok IS NULL) FROM _al) AS alerts`);
    const skipped = plain(counts.getRowObjectsJS()[0]) as unknown as Skipped;
    // Nothing a query runs may read or write files from here on (the cache's own Parquet files excepted).
    if (cache.used && opts.cacheDir) await conn.run(`SET allowed_directories = ['${opts.cacheDir.replaceAll("'", "''")}/']`);
    await conn.run("SET enable_external_access = false");
    await conn.run("SET lock_configuration = true");
    return new Db(instance, conn, sources, skipped, cache);
  }

  private sessionsReady = false;
  /** false: every query computes only the session columns it uses (one query per process, as `awl analyze`). */
  reuseSessions = true;

  /**
   * Computes the sessions once and keeps them as a table: every later query (a report runs
   * dozens) reads the table instead of aggregating the events again.
   */
  async materializeSessions(): Promise<void> {
    await this.exclusive(async () => {
      if (this.sessionsReady || !this.reuseSessions) return;
      await this.conn.run("CREATE OR REPLACE TEMP TABLE _sessions AS SELECT * FROM sessions_computed");
      await this.conn.run("CREATE OR REPLACE TEMP VIEW sessions AS SELECT * FROM _sessions");
      this.sessionsReady = true;
    });
  }

  async all<T = Row>(sql: string, params: unknown[] = []): Promise<T[]> {
    const reader = await this.exclusive(() => this.conn.runAndReadAll(sql, params as never));
    return reader.getRowObjectsJS().map((r) => plain(r) as T);
  }

  async columns(sql: string, params: unknown[] = []): Promise<{ columns: string[]; rows: Row[] }> {
    const reader = await this.exclusive(() => this.conn.runAndReadAll(sql, params as never));
    return { columns: reader.columnNames(), rows: reader.getRowObjectsJS().map((r) => plain(r) as Row) };
  }

  private turn: Promise<unknown> = Promise.resolve();

  /**
   * Runs `fn` when the connection is free. A streamed result (`sql()`) is read in several steps,
   * and another query on the same connection in between would end it early: callers may ask
   * for several answers at once (a report asks for seven), so each waits its turn. DuckDB runs
   * one query per connection at a time anyway.
   */
  exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.turn.then(fn, fn);
    this.turn = run.catch(() => undefined);
    return run;
  }

  close(): void {
    this.conn.closeSync();
    this.instance.closeSync();
  }
}
