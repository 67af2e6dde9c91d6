import { existsSync } from "node:fs";
import type { AlertRecord, AwlEvent, MetricsRecord } from "../schema/index.js";
import { follow } from "../store/follow.js";
import type { LogPaths } from "../store/paths.js";
import { acceptEvent, acceptMetrics, type ReadStats, readRecords } from "../store/reader.js";
import { SessionIndex, type SessionSummary } from "../store/sessions.js";
import { acceptAlertRecord } from "./alerts.js";

/**
 * The server's picture of every session: built once from the stream and metrics files,
 * then kept current by following both, so `GET /api/sessions` answers from memory and
 * the dashboard's list updates as events are written. Listeners hear which sessions changed.
 */
export class LiveIndex {
  private readonly index = new SessionIndex();
  private readonly metrics = new Map<string, MetricsRecord[]>();
  private readonly listeners = new Set<(changed: SessionSummary[]) => void>();
  private readonly controller = new AbortController();
  private followers: Promise<void>[] = [];
  /** Lines skipped while reading (torn or invalid), per file: reported by /api/health. */
  readonly skipped: Record<string, number> = {};
  private cache: SessionSummary[] | undefined;
  private readonly alertCounts = new Map<string, number>();
  private readonly alertIds = new Set<string>();

  constructor(
    private readonly paths: LogPaths,
    private readonly pollMs: number,
  ) {}

  async start(): Promise<void> {
    const streamEnd = await this.load(this.paths.stream, acceptEvent, (batch) => this.addEvents(batch, false));
    const metricsEnd = await this.load(this.paths.metrics, acceptMetrics, (batch) => this.addMetrics(batch, false));
    const alertsEnd = await this.load(this.paths.alerts, acceptAlertRecord, (batch) => this.addAlerts(batch, false));
    const signal = this.controller.signal;
    this.followers = [
      follow(this.paths.stream, { start: streamEnd, pollMs: this.pollMs, signal, onLines: (lines) => this.addEvents(parse(lines, acceptEvent, this.skip(this.paths.stream)), true) }),
      follow(this.paths.metrics, { start: metricsEnd, pollMs: this.pollMs, signal, onLines: (lines) => this.addMetrics(parse(lines, acceptMetrics, this.skip(this.paths.metrics)), true) }),
      follow(this.paths.alerts, { start: alertsEnd, pollMs: this.pollMs, signal, onLines: (lines) => this.addAlerts(parse(lines, acceptAlertRecord, this.skip(this.paths.alerts)), true) }),
    ].map((p) => p.catch(() => undefined));
  }

  async close(): Promise<void> {
    this.controller.abort();
    await Promise.all(this.followers);
  }

  onChange(listener: (changed: SessionSummary[]) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Newest first, metrics merged in. */
  list(): SessionSummary[] {
    this.cache ??= this.index.list();
    return this.cache;
  }

  get(attemptId: string): SessionSummary | undefined {
    return this.list().find((s) => s.attempt_id === attemptId);
  }

  /** Alerts raised for the attempt so far. */
  alertsOf(attemptId: string): number {
    return this.alertCounts.get(attemptId) ?? 0;
  }

  metricsOf(attemptId: string): MetricsRecord[] {
    return this.metrics.get(attemptId) ?? [];
  }

  private skip(file: string) {
    return () => {
      this.skipped[file] = (this.skipped[file] ?? 0) + 1;
    };
  }

  private async load<T>(file: string, accept: (v: unknown) => T | undefined, onBatch: (batch: T[]) => void): Promise<number> {
    if (!existsSync(file)) return 0;
    const it = readRecords(file, { accept });
    for (;;) {
      const r = await it.next();
      if (r.done) {
        const stats: ReadStats = r.value;
        const n = stats.skipped.invalid_json + stats.skipped.invalid_schema + stats.skipped.oversized;
        if (n) this.skipped[file] = n;
        return stats.endOffset;
      }
      onBatch(r.value);
    }
  }

  private addEvents(events: AwlEvent[], notify: boolean): void {
    if (events.length === 0) return;
    const changed = new Set<string>();
    for (const e of events) {
      this.index.add(e);
      changed.add(e.attempt_id);
    }
    this.changed(changed, notify);
  }

  private addMetrics(records: MetricsRecord[], notify: boolean): void {
    if (records.length === 0) return;
    const changed = new Set<string>();
    for (const m of records) {
      this.index.addMetrics(m);
      const list = this.metrics.get(m.attempt_id) ?? [];
      list.push(m);
      this.metrics.set(m.attempt_id, list);
      changed.add(m.attempt_id);
    }
    this.changed(changed, notify);
  }

  private addAlerts(records: AlertRecord[], notify: boolean): void {
    const changed = new Set<string>();
    for (const r of records) {
      if (r.record_type !== "alert" || this.alertIds.has(r.alert_id)) continue;
      this.alertIds.add(r.alert_id); // one alert may be written by two processes
      this.alertCounts.set(r.attempt_id, (this.alertCounts.get(r.attempt_id) ?? 0) + 1);
      changed.add(r.attempt_id);
    }
    if (changed.size) this.changed(changed, notify);
  }

  private changed(ids: Set<string>, notify: boolean): void {
    this.cache = undefined;
    if (!notify || this.listeners.size === 0) return;
    const summaries = this.list().filter((s) => ids.has(s.attempt_id));
    for (const l of this.listeners) l(summaries);
  }
}

/** Parses followed lines with the reader's rules: invalid ones are counted, never thrown. */
export function parse<T>(lines: string[], accept: (v: unknown) => T | undefined, onSkip: () => void): T[] {
  const out: T[] = [];
  for (const line of lines) {
    const text = line.endsWith("\r") ? line.slice(0, -1) : line;
    if (text.trim() === "") continue;
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      onSkip();
      continue;
    }
    const rec = accept(value);
    if (rec === undefined) onSkip();
    else out.push(rec);
  }
  return out;
}
