import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { AwlConfig, NotifyChannel } from "../config/schema.js";
import { claimWatcher, WatcherRunningError } from "../live/instance.js";
import { writeFileAtomic } from "../store/fs.js";
import { logPaths } from "../store/paths.js";
import { applyRetention } from "../store/retention.js";
import { rotateLogs } from "../store/rotate.js";
import { type PipelineEvent, runActionPipeline } from "./actions/pipeline.js";
import { broadcast, configuredChannels, unescapeHtml } from "./notify/broadcast.js";
import type { FetchLike } from "./notify/http.js";
import { Outbox } from "./notify/outbox.js";
import { nextWeeklySlot, runScheduler } from "./schedule.js";
import { watch } from "./watch.js";

/**
 * `awl monitor`: the one long-running service. The composition root of the live side: the
 * live analyzer (`watch`), the action pipeline (alerts → outbox → Telegram/webhook/hook) and
 * the scheduler (weekly report, rotation + retention), side by side in one process. The
 * parts talk only through files (the stream, agent-alerts.jsonl, the outbox), so each one
 * restarts on its own from its own persisted state.
 *
 * A part that throws is reported (onError: stderr and the status) and restarted with backoff
 * (1 s doubling to 60 s): a full disk or a file briefly unreadable must not end paging for
 * good, and every part resumes from durable state. Restarting blindly would hide a
 * permanent failure, so a part that crashes MAX_CRASHES times in a row without running a
 * minute in between ends the monitor non-zero with that error (MonitorError), as does
 * another watcher holding the log directory (a restart cannot fix that).
 */
export interface MonitorOptions {
  config: AwlConfig;
  signal: AbortSignal;
  /** Wall clock (ms) for every part: tests drive the schedule with it. */
  now?: () => number;
  /** The scheduler's wait (tests inject one that advances their clock). */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  fetch?: FetchLike;
  /** Environment the on_alert hook inherits. */
  env?: NodeJS.ProcessEnv;
  /** Status every this many ms (default 60 000), and once at start and at the end. */
  statusIntervalMs?: number;
  onStatus?: (s: MonitorStatus) => void;
  /** One line per problem (a part crashed, a job failed, a send gave up). */
  onError?: (part: MonitorPart, message: string) => void;
  onNote?: (note: string) => void;
  onPipelineEvent?: (e: PipelineEvent) => void;
  /** First restart delay of a crashed part (default 1000 ms). */
  restartBaseMs?: number;
  /** The pipeline's first retry delay (default 1000 ms). */
  backoffBaseMs?: number;
}

export type MonitorPart = "analyzer" | "actions" | "scheduler" | "weekly" | "rotate" | "notify";

export interface MonitorStatus {
  type: "status";
  at: string;
  state: "running" | "stopped";
  analyzer: "on" | "off";
  /** Events the analyzer read (since start). */
  events: number;
  /** Alerts written by the analyzer / read by the pipeline (since start). */
  alerts: number;
  notifications: { sent: number; pending: number; failed: number; skipped: number };
  hooks: number;
  channels: NotifyChannel[];
  next_report: string | null;
  last_report: { at: string; week: string; sent_to: NotifyChannel[] } | null;
  last_rotation: { at: string; rotated: number; deleted: number } | null;
  restarts: Partial<Record<MonitorPart, number>>;
  last_error: { part: MonitorPart; at: string; message: string } | null;
}

export class MonitorError extends Error {
  override name = "MonitorError";
}

const MAX_CRASHES = 5;
const HEALTHY_MS = 60_000;

export async function runMonitor(opts: MonitorOptions): Promise<MonitorStatus> {
  const { config, signal } = opts;
  const now = opts.now ?? Date.now;
  const paths = logPaths(config.logDir, config.streamFile);
  const iso = () => new Date(now()).toISOString();
  const channels = configuredChannels(config);
  const status: MonitorStatus = {
    type: "status",
    at: iso(),
    state: "running",
    analyzer: config.analyzer.enabled ? "on" : "off",
    events: 0,
    alerts: 0,
    notifications: { sent: 0, pending: 0, failed: 0, skipped: 0 },
    hooks: 0,
    channels,
    next_report: config.reports.weekly ? new Date(nextWeeklySlot(now(), config.reports.day, config.reports.hour)).toISOString() : null,
    last_report: null,
    last_rotation: null,
    restarts: {},
    last_error: null,
  };
  const report = (part: MonitorPart, message: string) => {
    status.last_error = { part, at: iso(), message };
    opts.onError?.(part, message);
  };
  const outbox = new Outbox(paths.state);
  const snapshot = (): MonitorStatus => {
    status.at = iso();
    try {
      status.notifications.pending = outbox.pending().length;
    } catch {
      // the count is informative; a read error shows up in the parts themselves
    }
    return structuredClone(status);
  };

  // One monitor per log directory: two would each send every alert.
  let release: () => void;
  try {
    release = claimWatcher(paths.state, "monitor");
  } catch (err) {
    if (!(err instanceof WatcherRunningError)) throw err;
    throw new MonitorError(err.message.replace("another awl watch", "another awl monitor").replace(", or use --dry-run", ""));
  }
  // Stops every part when one fails for good.
  const stop = new AbortController();
  const all = AbortSignal.any([signal, stop.signal]);
  let fatal: Error | undefined;
  const ticker = setInterval(() => opts.onStatus?.(snapshot()), opts.statusIntervalMs ?? 60_000);
  try {
    opts.onStatus?.(snapshot());
    const supervise = async (part: MonitorPart, run: () => Promise<unknown>) => {
      let crashes = 0;
      while (!all.aborted) {
        const started = Date.now();
        try {
          await run();
          if (all.aborted) return;
          throw new Error("stopped by itself");
        } catch (err) {
          if (all.aborted) return;
          const e = err as NodeJS.ErrnoException;
          const message = `${e.code ? `${e.code}: ` : ""}${e.message ?? String(err)}`;
          if (err instanceof WatcherRunningError) {
            fatal = new MonitorError(`${part}: ${message} (or set AGENT_WORK_ANALYZER_ENABLED=false to run the monitor without its analyzer)`);
            stop.abort();
            return;
          }
          crashes = Date.now() - started >= HEALTHY_MS ? 1 : crashes + 1;
          status.restarts[part] = (status.restarts[part] ?? 0) + 1;
          if (crashes >= MAX_CRASHES) {
            fatal = new MonitorError(`${part} failed ${crashes} times in a row, giving up: ${message}`);
            report(part, fatal.message);
            stop.abort();
            return;
          }
          const delay = Math.min(60_000, (opts.restartBaseMs ?? 1000) * 2 ** (crashes - 1));
          report(part, `crashed (${message}); restarting in ${Math.round(delay / 100) / 10} s`);
          await sleepFor(delay, all);
        }
      }
    };

    const parts: Promise<void>[] = [];
    const base = { events: 0 };
    if (config.analyzer.enabled) {
      parts.push(
        supervise("analyzer", () =>
          watch({
            config,
            signal: all,
            now,
            onNote: opts.onNote,
            onCaughtUp: (s) => {
              status.events = base.events + s.events;
            },
            onAlert: () => {
              status.alerts++;
            },
          }).then((s) => {
            base.events += s.events;
            status.events = base.events;
          }),
        ),
      );
    }
    parts.push(
      supervise("actions", () =>
        runActionPipeline({
          config,
          signal: all,
          now,
          fetch: opts.fetch,
          env: opts.env,
          backoffBaseMs: opts.backoffBaseMs,
          onEvent: (e) => {
            if (e.type === "sent") {
              if (e.kind === "hook") status.hooks++;
              else status.notifications.sent++;
            } else if (e.type === "failed") {
              if (e.kind !== "hook") status.notifications.failed++;
              report("notify", `${e.kind} ${e.id}: ${e.error}`);
            } else if (e.type === "skipped") status.notifications.skipped++;
            else if (e.type === "alert" && !config.analyzer.enabled) status.alerts++;
            opts.onPipelineEvent?.(e);
          },
        }),
      ),
    );
    parts.push(
      supervise("scheduler", () =>
        runScheduler({
          stateDir: paths.state,
          weekly: { enabled: config.reports.weekly, day: config.reports.day, hour: config.reports.hour },
          rotationIntervalMs: config.rotation.checkIntervalMs,
          signal: all,
          now,
          sleep: opts.sleep,
          weeklyReport: async (slot) => {
            const r = await weeklyReportJob(config, slot, { now, fetch: opts.fetch, signal: all, backoffBaseMs: opts.backoffBaseMs });
            status.last_report = { at: iso(), week: r.week, sent_to: r.sentTo };
            status.next_report = new Date(nextWeeklySlot(now(), config.reports.day, config.reports.hour)).toISOString();
          },
          rotate: async () => {
            const t = now();
            const rot = await rotateLogs(config, { now: t });
            const ret = applyRetention(config, { now: t });
            status.last_rotation = { at: new Date(t).toISOString(), rotated: rot.rotated.length, deleted: ret.deleted.length };
          },
          onError: (job, err) => report(job, (err as Error).message ?? String(err)),
        }),
      ),
    );
    await Promise.all(parts);
  } finally {
    clearInterval(ticker);
    release();
  }
  if (fatal) throw fatal;
  status.state = "stopped";
  const last = snapshot();
  opts.onStatus?.(last);
  return last;
}

interface WeeklyJobResult {
  week: string;
  sentTo: NotifyChannel[];
}

interface WeeklySent {
  v: 1;
  week: string;
  channels: NotifyChannel[];
}

/**
 * The scheduled weekly report: written for the last complete week before the slot, then its
 * summary sent through every configured channel. The channels already delivered for that
 * week are kept in `.state/weekly-sent.json`, so a retry after a partial failure (Telegram
 * sent, the webhook down) sends only what is missing; a channel that fails makes the job fail
 * and the scheduler retry it later.
 */
export async function weeklyReportJob(
  config: AwlConfig,
  slot: number,
  opts: { now?: () => number; fetch?: FetchLike; signal?: AbortSignal; backoffBaseMs?: number } = {},
): Promise<WeeklyJobResult> {
  // Loaded on first use: DuckDB is heavy, and most of the monitor's life is not the report.
  const { openAnalytics } = await import("../analytics/index.js");
  const { lastCompleteWeek, weeklySummaryText, writeWeeklyReport } = await import("../report/index.js");
  const paths = logPaths(config.logDir, config.streamFile);
  const week = lastCompleteWeek(new Date(slot));
  const a = await openAnalytics(config);
  let summary: string;
  let files: { json: string; md: string; html: string };
  try {
    const written = await writeWeeklyReport(a, week, paths.reports);
    summary = weeklySummaryText(written.report);
    files = written.files;
  } finally {
    a.close();
  }
  const channels = configuredChannels(config);
  if (channels.length === 0) return { week: week.label, sentTo: [] };
  const sentFile = join(paths.state, "weekly-sent.json");
  let sent: WeeklySent = { v: 1, week: week.label, channels: [] };
  try {
    const s = JSON.parse(readFileSync(sentFile, "utf8")) as WeeklySent;
    if (s.v === 1 && s.week === week.label) sent = s;
  } catch {
    // nothing sent for this week yet
  }
  const todo = channels.filter((c) => !sent.channels.includes(c));
  if (todo.length > 0) {
    const results = await broadcast(
      config,
      { html: summary, text: unescapeHtml(summary), type: "weekly_report", id: `weekly-${week.label}`, extra: { week: week.label, files } },
      { only: todo, fetch: opts.fetch, now: opts.now, signal: opts.signal, backoffBaseMs: opts.backoffBaseMs },
    );
    for (const r of results) if (r.outcome.ok) sent.channels.push(r.channel);
    writeFileAtomic(sentFile, JSON.stringify(sent));
    const failed = results.filter((r) => !r.outcome.ok);
    if (failed.length > 0) {
      throw new Error(`weekly report ${week.label} written; not sent to ${failed.map((f) => `${f.channel} (${f.outcome.ok ? "" : f.outcome.error})`).join(", ")}`);
    }
  }
  return { week: week.label, sentTo: sent.channels };
}

function sleepFor(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal.removeEventListener("abort", done);
      resolve();
    }
    signal.addEventListener("abort", done, { once: true });
  });
}
