import { mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import type { Analytics, ErrorCluster } from "../../analytics/index.js";
import { type ImportSummary, importPaths } from "../../capture/import.js";
import type { AwlConfig } from "../../config/index.js";
import type { Alert } from "../../schema/index.js";
import type { WatchSummary } from "../../monitor/watch.js";
import { UsageError } from "../errors.js";
import { DEMO_SESSIONS, stageTranscripts } from "./transcripts.js";

/**
 * `awl demo`: a fresh log directory holding the bundled real sessions, the live analyzer
 * replayed over them (so its alerts are on file), and a summary out of DuckDB. The caller
 * serves the dashboard on the result.
 */

export interface DemoExecutor {
  executor: string;
  sessions: number;
  succeeded: number;
  finished: number;
  tokens: number;
  cost_usd: number;
}

export interface DemoSummary {
  log_dir: string;
  sessions: number;
  events: number;
  executors: DemoExecutor[];
  alerts: Alert[];
  top_error: Pick<ErrorCluster, "fingerprint" | "count" | "attempts" | "executors" | "categories" | "sample_message"> | null;
  /** The bundled sessions end between these two times (ISO). */
  times: { from: string; to: string };
}

/** A new temp directory, or `wanted` when it is missing or empty: demo data never mixes with real logs. */
export function demoLogDir(wanted: string | undefined, cwd: string): string {
  if (wanted === undefined) return mkdtempSync(join(tmpdir(), "awl-demo-"));
  const dir = resolve(cwd, wanted);
  let entries: string[] | undefined;
  try {
    if (!statSync(dir).isDirectory()) throw new UsageError(`--log-dir ${wanted}: not a directory (the demo needs a new or empty one)`);
    entries = readdirSync(dir);
  } catch (err) {
    if (err instanceof UsageError) throw err;
    if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw new UsageError(`--log-dir ${wanted}: ${(err as NodeJS.ErrnoException).code ?? "unreadable"}`);
  }
  if (entries && entries.length > 0) {
    throw new UsageError(`--log-dir ${wanted} is not empty: the demo writes only into a new or empty directory, never beside real logs`);
  }
  mkdirSync(dir, { recursive: true });
  return dir;
}

export interface PrepareOptions {
  config: AwlConfig;
  now?: () => number;
  /** Where the bundled transcripts are (tests). */
  transcripts?: string;
}

export interface Prepared {
  imported: ImportSummary;
  watched: WatchSummary;
  alerts: Alert[];
}

/** Records the bundled sessions into the (fresh) log directory and replays the analyzer over them. */
export async function prepareDemo(opts: PrepareOptions): Promise<Prepared> {
  const now = opts.now ?? Date.now;
  const staging = mkdtempSync(join(tmpdir(), "awl-demo-staging-"));
  let imported: ImportSummary;
  try {
    const paths = stageTranscripts(staging, now(), opts.transcripts);
    imported = await importPaths({ paths, config: opts.config, now });
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
  if (imported.skipped_files.length > 0) {
    throw new Error(`the demo could not import ${imported.skipped_files.map((f) => `${f.path} (${f.reason})`).join(", ")}`);
  }
  const { watch } = await import("../../monitor/watch.js");
  const alerts: Alert[] = [];
  const watched = await watch({ config: opts.config, replay: true, once: true, now, onAlert: (a) => void alerts.push(a) });
  return { imported, watched, alerts };
}

/** What the demo found, out of DuckDB (sessions, success, tokens, cost per executor; the top error cluster). */
export async function summarizeDemo(config: AwlConfig, prepared: Prepared, analytics: Analytics, now: number): Promise<DemoSummary> {
  const queries = [
    analytics.executors(),
    analytics.sql("SELECT coalesce(executor, '(unknown)') AS executor, sum(tokens)::DOUBLE AS tokens FROM sessions GROUP BY ALL"),
    analytics.errors({ limit: 1 }),
  ] as const;
  // Every query ends before a failure is passed on: the caller closes DuckDB next, and closing it under a running query crashes the process (report/weekly.ts).
  await Promise.allSettled(queries);
  const [executors, tokens, errors] = await Promise.all(queries);
  const tokensOf = new Map(tokens.rows.map((r) => [String(r.executor), Number(r.tokens ?? 0)]));
  const top = errors.clusters[0];
  const ends = DEMO_SESSIONS.map((s) => now - s.endsAgoMs);
  return {
    log_dir: config.logDir,
    sessions: prepared.imported.sessions,
    events: prepared.imported.events,
    executors: executors.executors.map((e) => ({
      executor: e.executor,
      sessions: e.sessions,
      succeeded: e.success.k,
      finished: e.success.n,
      tokens: tokensOf.get(e.executor) ?? 0,
      cost_usd: e.total_cost_usd,
    })),
    alerts: prepared.alerts,
    top_error: top
      ? { fingerprint: top.fingerprint, count: top.count, attempts: top.attempts, executors: top.executors, categories: top.categories, sample_message: top.sample_message }
      : null,
    times: { from: new Date(Math.min(...ends)).toISOString(), to: new Date(Math.max(...ends)).toISOString() },
  };
}
