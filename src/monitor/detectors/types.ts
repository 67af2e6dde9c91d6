import type { AwlConfig } from "../../config/index.js";
import type { AlertType, AwlEvent, ErrorCategory, Recommendation, Severity } from "../../schema/index.js";

/**
 * What the detectors share: their settings, the per-attempt state they keep (plain JSON, so
 * the analyzer can snapshot it), and the findings they report. A detector is a function of
 * the event sequence only: windows are measured in event time, never on the wall clock.
 */

export interface DetectorOptions {
  errorLoopThreshold: number;
  errorLoopWindowMs: number;
  toolLoopThreshold: number;
  toolLoopWindowMs: number;
  providerErrorThreshold: number;
  providerErrorWindowMs: number;
  stuckMs: number;
  restartThreshold: number;
  failedSessionErrorThreshold: number;
  contextWindowRatio: number;
  contextWindows: Record<string, number>;
  costBudgetUsd: { default?: number; byExecutor: Record<string, number>; byModel: Record<string, number> };
}

export const ERROR_LOOP_WINDOW_MS = 10 * 60_000;
export const TOOL_LOOP_WINDOW_MS = 60_000;
export const PROVIDER_ERROR_WINDOW_MS = 10 * 60_000;

export function detectorOptions(a: AwlConfig["analyzer"]): DetectorOptions {
  return {
    errorLoopThreshold: a.errorLoopThreshold,
    errorLoopWindowMs: ERROR_LOOP_WINDOW_MS,
    toolLoopThreshold: a.toolLoopThreshold,
    toolLoopWindowMs: TOOL_LOOP_WINDOW_MS,
    providerErrorThreshold: a.providerErrorThreshold,
    providerErrorWindowMs: PROVIDER_ERROR_WINDOW_MS,
    stuckMs: a.stuckMinutes * 60_000,
    restartThreshold: a.restartThreshold,
    failedSessionErrorThreshold: a.failedSessionErrorThreshold,
    contextWindowRatio: a.contextWindowRatio,
    contextWindows: a.contextWindows,
    costBudgetUsd: a.costBudgetUsd,
  };
}

/** Event times and sequence numbers of the occurrences inside a window, oldest first. */
export interface Occurrences {
  t: number[];
  s: number[];
}

export interface ToolCallMark {
  t: number;
  s: number;
  tool: string;
  key: string;
}

export interface Episode {
  alert_id: string;
  first_seen: number;
  last_seen: number;
  occurrences: number;
}

/** Everything the analyzer keeps about one attempt. */
export interface AttemptState {
  attempt_id: string;
  session_id?: string | null;
  task_id?: string | null;
  project_id?: string | null;
  executor?: string | null;
  model?: string | null;
  /** A session_start was seen and no session_end yet. */
  open: boolean;
  /** Recorded by `awl import`: finished history, never "stuck". */
  imported: boolean;
  /** Event time (ms) of the latest event, never going backwards within the attempt. */
  lastTs: number;
  lastSeq: number;
  errors: Record<string, Occurrences & { cat?: ErrorCategory }>;
  provider: Occurrences;
  tools: ToolCallMark[];
  /** The last two non-waiting calls, and the calls of the A-B-A-B run they end, if any. */
  alt: { keys: [string, string][]; run: Occurrences };
  agentErrors: number;
  costUsd: number;
  episodes: Record<string, Episode>;
}

export function newAttempt(e: AwlEvent): AttemptState {
  return {
    attempt_id: e.attempt_id,
    open: false,
    imported: e.source === "import",
    lastTs: Number.NEGATIVE_INFINITY,
    lastSeq: e.sequence_num,
    errors: {},
    provider: { t: [], s: [] },
    tools: [],
    alt: { keys: [], run: { t: [], s: [] } },
    agentErrors: 0,
    costUsd: 0,
    episodes: {},
  };
}

/** A condition a detector sees as holding now, with what the alert says about it. */
export interface Finding {
  type: AlertType;
  /** What the alert is about inside the attempt (a fingerprint, a tool, "session"): one episode per subject. */
  subject: string;
  severity: Severity;
  recommendation: Recommendation;
  message: string;
  /** The episode's first event (its sequence number and event time). */
  firstSeq: number;
  firstTs: number;
  lastTs: number;
  occurrences: number;
  triggerSeq: number;
  error_fingerprint?: string;
  error_category?: ErrorCategory;
  tool_name?: string;
  details?: Record<string, unknown>;
}

/** Where a detector reports: a condition that holds, or one that no longer does. */
export interface Sink {
  raise(f: Finding): void;
  clear(type: AlertType, subject: string): void;
}

export function episodeKey(type: AlertType, subject: string): string {
  return `${type}\u0000${subject}`;
}

/** Drops occurrences older than `t - windowMs`. */
export function prune(o: Occurrences, t: number, windowMs: number): void {
  let i = 0;
  while (i < o.t.length && o.t[i]! <= t - windowMs) i++;
  if (i > 0) {
    o.t.splice(0, i);
    o.s.splice(0, i);
  }
}

export function push(o: Occurrences, t: number, s: number): void {
  o.t.push(t);
  o.s.push(s);
}

export function minutes(ms: number): string {
  const m = ms / 60_000;
  return m >= 1 ? `${Number.isInteger(m) ? m : m.toFixed(1)} min` : `${Math.round(ms / 1000)} s`;
}
