import type { AwlEvent, MetricsRecord, OutcomeStatus, SessionStatus } from "../schema/index.js";
import { mergeMetricsRecords, RUNNING } from "../schema/index.js";

/** One attempt as `awl sessions` and the server list it. */
export interface SessionSummary {
  attempt_id: string;
  session_id?: string;
  task_id?: string;
  task_title?: string;
  executor?: string;
  model?: string;
  status: SessionStatus;
  started_at: string;
  last_event_at: string;
  ended_at?: string;
  duration_ms: number;
  events: number;
  errors: number;
  tool_calls: number;
  total_tokens?: number;
  cost_usd?: number;
  outcome?: OutcomeStatus;
}

/** Folds events (any order of attempts, each attempt's in order) into per-attempt summaries. */
export class SessionIndex {
  private readonly byAttempt = new Map<string, SessionSummary>();
  private readonly metrics = new Map<string, MetricsRecord[]>();

  add(e: AwlEvent): void {
    let s = this.byAttempt.get(e.attempt_id);
    if (!s) {
      s = {
        attempt_id: e.attempt_id,
        status: RUNNING,
        started_at: e.timestamp,
        last_event_at: e.timestamp,
        duration_ms: 0,
        events: 0,
        errors: 0,
        tool_calls: 0,
      };
      this.byAttempt.set(e.attempt_id, s);
    }
    s.events++;
    s.session_id ??= e.session_id ?? undefined;
    s.task_id ??= e.task_id ?? undefined;
    s.task_title ??= e.task_title ?? undefined;
    s.executor ??= e.executor ?? undefined;
    s.model = e.model ?? s.model;
    if (e.timestamp < s.started_at) s.started_at = e.timestamp;
    if (e.timestamp > s.last_event_at) s.last_event_at = e.timestamp;
    switch (e.event_type) {
      case "session_start":
        // A fresh session under the same attempt (an intervention's retry) reopens it.
        if (s.ended_at) {
          s.status = RUNNING;
          s.ended_at = undefined;
        }
        break;
      case "error":
        s.errors++;
        break;
      case "tool_call":
        s.tool_calls++;
        break;
      case "session_end":
        s.status = e.data.completion_status;
        s.ended_at = e.timestamp;
        if (e.data.total_tokens !== undefined) s.total_tokens = e.data.total_tokens;
        if (e.data.cost_usd !== undefined) s.cost_usd = e.data.cost_usd;
        break;
    }
    s.duration_ms = Date.parse(s.ended_at ?? s.last_event_at) - Date.parse(s.started_at);
  }

  addMetrics(m: MetricsRecord): void {
    const list = this.metrics.get(m.attempt_id) ?? [];
    list.push(m);
    this.metrics.set(m.attempt_id, list);
  }

  /** Newest first. */
  list(): SessionSummary[] {
    const out = [...this.byAttempt.values()];
    for (const s of out) {
      const merged = mergeMetricsRecords(this.metrics.get(s.attempt_id) ?? []);
      if (merged?.outcome?.status) s.outcome = merged.outcome.status;
      if (s.total_tokens === undefined && merged?.metrics?.total_tokens !== undefined) s.total_tokens = merged.metrics.total_tokens;
      if (s.cost_usd === undefined && merged?.metrics?.cost_usd !== undefined) s.cost_usd = merged.metrics.cost_usd;
    }
    return out.sort((a, b) => (a.started_at < b.started_at ? 1 : a.started_at > b.started_at ? -1 : 0));
  }
}
