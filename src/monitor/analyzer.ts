import { createHash } from "node:crypto";
import type { AwlConfig } from "../config/index.js";
import { type Alert, type AlertType, type AwlEvent, SCHEMA_VERSION } from "../schema/index.js";
import { contextExhaustion } from "./detectors/context.js";
import { costBudget } from "./detectors/cost-budget.js";
import { errorLoop } from "./detectors/error-loop.js";
import { failedSession } from "./detectors/failed-session.js";
import { providerErrors } from "./detectors/provider-errors.js";
import { excessiveRestarts, type TaskState } from "./detectors/restarts.js";
import { stuckFinding } from "./detectors/stuck.js";
import { toolLoop } from "./detectors/tool-loop.js";
import { type AttemptState, type DetectorOptions, detectorOptions, episodeKey, type Finding, newAttempt, type Sink } from "./detectors/types.js";

/**
 * The analyzer: a pure engine over the event sequence. It keeps one small state per open
 * attempt (windows, episodes), runs every detector on each event, and turns findings into
 * alerts once per episode. No I/O and no clock but the one it is given for the alerts'
 * `timestamp`: the same events give the same alerts, live or replayed, and `snapshot()`
 * lets a restarted watcher continue exactly where the last one stopped.
 */

export interface AnalyzerOptions {
  config: AwlConfig["analyzer"];
  /** Wall clock for the alerts' `timestamp` (when the line is written). */
  now?: () => number;
  /** A value from `snapshot()`: continue from there. */
  restore?: unknown;
}

export interface AnalyzerStats {
  events: number;
  alerts: number;
  /** Events without an attempt_id: counted, never alerted on. */
  withoutAttempt: number;
  /** Events whose timestamp is not a date. */
  badTime: number;
}

export interface Analyzer {
  /** Feeds the next event (in file order); returns the alerts it raised. */
  feed(event: AwlEvent): Alert[];
  /** The stuck check on the wall clock, for live mode's timer. */
  tick(nowMs: number): Alert[];
  /** JSON-serializable state, bounded by the open sessions. */
  snapshot(): AnalyzerSnapshot;
  readonly stats: AnalyzerStats;
  readonly openSessions: number;
  readonly options: DetectorOptions;
}

export interface AnalyzerSnapshot {
  v: 1;
  clock: number;
  nextStuckDue: number;
  attempts: AttemptState[];
  tasks: Record<string, TaskState>;
  stats: AnalyzerStats;
}

/** An ended or never-started attempt is forgotten after this much event time without events. */
const IDLE_EVICT_MS = 30 * 60_000;
/** An open attempt silent this long (a crashed agent) is forgotten too, long after its stuck alert. */
const OPEN_EVICT_MS = 24 * 3_600_000;
const TASK_EVICT_MS = 24 * 3_600_000;
const SWEEP_EVERY = 4096;

export function alertId(attemptId: string, type: AlertType, subject: string, firstSeq: number): string {
  return `al_${createHash("sha256").update(`${attemptId}\u0000${type}\u0000${subject}\u0000${firstSeq}`).digest("hex").slice(0, 20)}`;
}

const iso = (ms: number) => new Date(Number.isFinite(ms) ? ms : 0).toISOString();

export function createAnalyzer(options: AnalyzerOptions): Analyzer {
  const o = detectorOptions(options.config);
  const now = options.now ?? Date.now;
  const attempts = new Map<string, AttemptState>();
  let tasks: Record<string, TaskState> = Object.create(null);
  let clock = Number.NEGATIVE_INFINITY;
  let nextStuckDue = Number.POSITIVE_INFINITY;
  const stats: AnalyzerStats = { events: 0, alerts: 0, withoutAttempt: 0, badTime: 0 };

  if (options.restore !== undefined) {
    const snap = options.restore as AnalyzerSnapshot;
    if (snap?.v !== 1 || !Array.isArray(snap.attempts)) throw new Error("analyzer snapshot: unknown format");
    clock = snap.clock ?? Number.NEGATIVE_INFINITY;
    nextStuckDue = snap.nextStuckDue ?? Number.POSITIVE_INFINITY;
    for (const a of snap.attempts) attempts.set(a.attempt_id, a);
    tasks = Object.assign(Object.create(null), snap.tasks);
    Object.assign(stats, snap.stats);
  }

  const toAlert = (s: AttemptState, f: Finding, id: string): Alert => {
    const a: Alert = {
      record_type: "alert",
      schema_version: SCHEMA_VERSION,
      alert_id: id,
      type: f.type,
      severity: f.severity,
      timestamp: new Date(now()).toISOString(),
      attempt_id: s.attempt_id,
      session_id: s.session_id ?? null,
      task_id: s.task_id ?? null,
      project_id: s.project_id ?? null,
      executor: s.executor ?? null,
      model: s.model ?? null,
      occurrences: f.occurrences,
      first_seen: iso(f.firstTs),
      last_seen: iso(f.lastTs),
      recommendation: f.recommendation,
      message: f.message,
      trigger_sequence_num: f.triggerSeq,
    };
    if (f.error_fingerprint) a.error_fingerprint = f.error_fingerprint;
    if (f.error_category) a.error_category = f.error_category;
    if (f.tool_name) a.tool_name = f.tool_name;
    if (f.details) a.details = f.details;
    stats.alerts++;
    return a;
  };

  const sinkFor = (s: AttemptState, out: Alert[]): Sink => ({
    raise(f) {
      const key = episodeKey(f.type, f.subject);
      const ep = s.episodes[key];
      if (ep) {
        ep.last_seen = f.lastTs;
        ep.occurrences = Math.max(ep.occurrences, f.occurrences);
        return;
      }
      const id = alertId(s.attempt_id, f.type, f.subject, f.firstSeq);
      s.episodes[key] = { alert_id: id, first_seen: f.firstTs, last_seen: f.lastTs, occurrences: f.occurrences };
      out.push(toAlert(s, f, id));
    },
    clear(type, subject) {
      delete s.episodes[episodeKey(type, subject)];
    },
  });

  const stuckScan = (at: number, out: Alert[]): void => {
    if (at < nextStuckDue) return;
    let due = Number.POSITIVE_INFINITY;
    for (const s of attempts.values()) {
      if (!s.open || s.imported) continue;
      const f = stuckFinding(s, at, o);
      if (f) sinkFor(s, out).raise(f);
      else if (!s.episodes[episodeKey("stuck", "session")]) due = Math.min(due, s.lastTs + o.stuckMs);
    }
    nextStuckDue = due;
  };

  const sweep = (): void => {
    for (const [id, s] of attempts) {
      const idle = clock - s.lastTs;
      if ((!s.open && idle > IDLE_EVICT_MS) || idle > OPEN_EVICT_MS) attempts.delete(id);
    }
    for (const [id, t] of Object.entries(tasks)) if (clock - t.lastTs > TASK_EVICT_MS) delete tasks[id];
  };

  const feed = (e: AwlEvent): Alert[] => {
    if (!e || typeof e.attempt_id !== "string" || e.attempt_id === "") {
      stats.withoutAttempt++;
      return [];
    }
    stats.events++;
    const out: Alert[] = [];
    let ts = Date.parse(e.timestamp);
    if (!Number.isFinite(ts)) {
      stats.badTime++;
      ts = clock;
    }
    // Time the rest of the stream reached: sessions silent since long before are stuck (replay).
    if (ts > clock) {
      clock = ts;
      if (e.source !== "import") stuckScan(clock, out);
    }

    let s = attempts.get(e.attempt_id);
    if (!s) {
      s = newAttempt(e);
      attempts.set(e.attempt_id, s);
    }
    const t = Math.max(ts, s.lastTs);
    s.lastTs = t;
    s.lastSeq = e.sequence_num;
    if (e.source !== "import") s.imported = false;
    if (e.session_id) s.session_id = e.session_id;
    if (e.task_id) s.task_id = e.task_id;
    if (e.project_id) s.project_id = e.project_id;
    if (e.executor) s.executor = e.executor;
    if (e.model) s.model = e.model;
    const sink = sinkFor(s, out);
    // Any event ends a silence.
    if (s.episodes[episodeKey("stuck", "session")]) sink.clear("stuck", "session");
    if (e.event_type === "session_start") {
      s.open = true;
      if (!s.imported) nextStuckDue = Math.min(nextStuckDue, t + o.stuckMs);
    }

    errorLoop(s, e, t, o, sink);
    providerErrors(s, e, t, o, sink);
    toolLoop(s, e, t, o, sink);
    contextExhaustion(s, e, t, o, sink);
    costBudget(s, e, t, o, sink);
    failedSession(s, e, t, o, sink);

    if (e.task_id && (e.event_type === "session_start" || e.event_type === "session_end")) {
      let task = tasks[e.task_id];
      if (!task) {
        task = { starts: 0, lastTs: t, firstSeq: e.sequence_num, firstTs: t, firstAttempt: e.attempt_id };
        tasks[e.task_id] = task;
      }
      const sig = excessiveRestarts(task, e, t, o);
      if (sig && "raise" in sig) {
        if (task.episode) {
          task.episode.last_seen = t;
          task.episode.occurrences = sig.raise.occurrences;
        } else {
          const f = sig.raise;
          const id = alertId(task.firstAttempt, f.type, f.subject, f.firstSeq);
          task.episode = { alert_id: id, first_seen: f.firstTs, last_seen: f.lastTs, occurrences: f.occurrences };
          out.push(toAlert(s, f, id));
        }
      }
      // A task that succeeded has nothing left to count.
      if (task.starts === 0) delete tasks[e.task_id];
    }

    // An ended attempt is forgotten at once (late events start a fresh, small state), so memory
    // follows the open sessions.
    if (e.event_type === "session_end") attempts.delete(e.attempt_id);
    if (stats.events % SWEEP_EVERY === 0) sweep();
    return out;
  };

  const tick = (nowMs: number): Alert[] => {
    const out: Alert[] = [];
    stuckScan(nowMs, out);
    return out;
  };

  return {
    feed,
    tick,
    snapshot: () => ({ v: 1, clock, nextStuckDue, attempts: [...attempts.values()], tasks: { ...tasks }, stats: { ...stats } }),
    stats,
    get openSessions() {
      let n = 0;
      for (const s of attempts.values()) if (s.open) n++;
      return n;
    },
    options: o,
  };
}
