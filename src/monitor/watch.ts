import { statSync } from "node:fs";
import type { AwlConfig } from "../config/index.js";
import { claimWatcher } from "../live/instance.js";
import { loadWatchState, saveWatchState, type WatchState, watchStatePath } from "../live/state.js";
import { type TailPosition, type TailStart, tail } from "../live/tail.js";
import type { Alert, AwlEvent } from "../schema/index.js";
import { ensureDir } from "../store/fs.js";
import { logPaths } from "../store/paths.js";
import { acceptForAnalysis } from "./accept.js";
import { appendAlertRecords, readAlertRecords } from "./alerts-log.js";
import { createAnalyzer } from "./analyzer.js";

/**
 * `awl watch`: the live analyzer as a service. Follows the stream (live from its end, from
 * where the last run stopped, or the whole history with `replay`), feeds the analyzer, and
 * appends each new alert to agent-alerts.jsonl before anything else hears of it. Progress
 * (tail position + analyzer snapshot) is checkpointed atomically; alerts raised again after
 * a crash between an alert and the next checkpoint are recognized by their deterministic id
 * and not written twice.
 */
export interface WatchOptions {
  config: AwlConfig;
  replay?: boolean;
  once?: boolean;
  /** Only events at or after this time are analyzed. */
  since?: Date;
  signal?: AbortSignal;
  now?: () => number;
  onAlert?: (a: Alert) => void | Promise<void>;
  /** Analyze and report, but write neither alerts nor state (backtesting other thresholds). */
  dryRun?: boolean;
  /** Notes for the user (resumed where, truncation seen, …). */
  onNote?: (note: string) => void;
  /** Called each time the tail has caught up with the stream, with the counts so far. */
  onCaughtUp?: (summary: WatchSummary) => void;
  /** Checkpoint at most this often while events flow (ms); always when idle and at the end. */
  checkpointMs?: number;
}

export interface WatchSummary {
  events: number;
  alerts: number;
  skipped: { invalid_json: number; invalid_schema: number; before_since: number };
  withoutAttempt: number;
  /** Alerts raised again after a restart and recognized as already written. */
  duplicates: number;
  resumed: "end" | "start" | "saved";
}

export async function watch(opts: WatchOptions): Promise<WatchSummary> {
  const { config } = opts;
  const now = opts.now ?? Date.now;
  const paths = logPaths(config.logDir, config.streamFile);
  ensureDir(config.logDir);
  const statePath = watchStatePath(paths.state);
  const release = opts.dryRun ? () => undefined : claimWatcher(paths.state);
  try {
    return await run();
  } finally {
    release();
  }

  async function run(): Promise<WatchSummary> {
  const saved = opts.replay || opts.dryRun ? undefined : loadWatchState(statePath);
  const summary: WatchSummary = {
    events: 0,
    alerts: 0,
    skipped: { invalid_json: 0, invalid_schema: 0, before_since: 0 },
    withoutAttempt: 0,
    duplicates: 0,
    resumed: opts.replay ? "start" : saved ? "saved" : "end",
  };
  const analyzer = createAnalyzer({ config: config.analyzer, now, restore: saved?.analyzer });

  // Ids that may already be on disk: everything for a replay, else what came after the checkpoint.
  // Until each of those has been raised again, later checkpoints keep pointing at where they
  // begin: a run killed before passing them leaves them to the next run to recognize.
  const written = new Set<string>();
  const ahead = new Set<string>();
  let aheadFrom = 0;
  if (!opts.dryRun) {
    const from = opts.replay ? 0 : saved ? saved.alertsOffset : undefined;
    if (from !== undefined) {
      const size = alertsSize(paths.alerts);
      aheadFrom = size < from ? 0 : from;
      const { records } = await readAlertRecords(paths, { record_type: "alert" }, { start: aheadFrom });
      for (const r of records) {
        written.add(r.alert_id);
        ahead.add(r.alert_id);
      }
    }
  }

  const start: TailStart = opts.replay ? "start" : (saved?.position ?? "end");
  let position: TailPosition | undefined = typeof start === "object" ? start : undefined;
  let lastCheckpoint = 0;
  const checkpointMs = opts.checkpointMs ?? 1000;
  const checkpoint = (pos: TailPosition | undefined) => {
    if (opts.dryRun || !pos) return;
    const state: WatchState = {
      v: 1,
      stream: paths.stream,
      position: pos,
      analyzer: analyzer.snapshot(),
      alertsOffset: ahead.size > 0 ? aheadFrom : alertsSize(paths.alerts),
      savedAt: new Date(now()).toISOString(),
    };
    saveWatchState(statePath, state);
    lastCheckpoint = now();
  };

  const emit = async (alerts: Alert[]) => {
    const fresh: Alert[] = [];
    for (const a of alerts) {
      if (written.has(a.alert_id)) {
        ahead.delete(a.alert_id);
        summary.duplicates++;
        continue;
      }
      written.add(a.alert_id);
      fresh.push({ ...a, timestamp: new Date(now()).toISOString() });
    }
    if (fresh.length === 0) return;
    if (!opts.dryRun) appendAlertRecords(paths, fresh);
    summary.alerts += fresh.length;
    if (opts.onAlert) for (const a of fresh) await opts.onAlert(a);
  };

  const sinceMs = opts.since?.getTime();
  const onLines = async (lines: string[], pos: TailPosition) => {
    const raised: Alert[] = [];
    for (const line of lines) {
      if (line.length === 0 || line === "\r") continue;
      let value: unknown;
      try {
        value = JSON.parse(line);
      } catch {
        summary.skipped.invalid_json++;
        continue;
      }
      const attempt = (value as { attempt_id?: unknown } | null)?.attempt_id;
      if (value && typeof value === "object" && (typeof attempt !== "string" || attempt === "")) {
        summary.withoutAttempt++;
        continue;
      }
      const event: AwlEvent | undefined = acceptForAnalysis(value);
      if (!event) {
        summary.skipped.invalid_schema++;
        continue;
      }
      if (sinceMs !== undefined && Date.parse(event.timestamp) < sinceMs) {
        summary.skipped.before_since++;
        continue;
      }
      summary.events++;
      for (const a of analyzer.feed(event)) raised.push(a);
    }
    await emit(raised);
    position = pos;
    if (now() - lastCheckpoint >= checkpointMs) checkpoint(pos);
  };

  // The stuck check runs on the wall clock whenever the tail has caught up while following;
  // a run that ends with what is there (--once) has only its events' clock, so it gives the
  // same alerts whenever it runs.
  const wallTicks = !opts.once;
  const onIdle = async (pos: TailPosition) => {
    position = pos;
    if (wallTicks) await emit(analyzer.tick(now()));
    if (now() - lastCheckpoint >= checkpointMs) checkpoint(pos);
    opts.onCaughtUp?.(summary);
  };

  await tail({
    path: paths.stream,
    archiveDir: paths.archive,
    start,
    includeArchives: opts.replay,
    follow: !opts.once,
    pollMs: Math.min(config.analyzer.pollIntervalMs, 1000),
    signal: opts.signal,
    onLines,
    onIdle,
    onNote: opts.onNote,
  });
  checkpoint(position);
  return summary;
  }
}

function alertsSize(file: string): number {
  try {
    return statSync(file).size;
  } catch {
    return 0;
  }
}
