import { existsSync } from "node:fs";
import { stat } from "node:fs/promises";
import { type Alert, type AlertActionRecord, type AlertRecord, alertRecordSchema } from "../schema/index.js";
import { follow } from "../store/follow.js";
import { readRecords } from "../store/reader.js";

/**
 * Reading agent-alerts.jsonl for the server (the live analyzer writes it). Stand-in until
 * the shared alerts reader lands: it is the store's reader plus the alert schema.
 */
export const acceptAlertRecord = (v: unknown): AlertRecord | undefined => {
  const r = alertRecordSchema.safeParse(v);
  return r.success ? r.data : undefined;
};

export interface AlertFilter {
  attemptId?: string;
  type?: string;
  severity?: string;
  /** Only alerts whose last_seen is at or after this time (ISO). */
  since?: string;
  limit: number;
}

export interface AlertWithActions extends Alert {
  actions: AlertActionRecord[];
}

export interface AlertList {
  /** Newest first. */
  alerts: AlertWithActions[];
  total: number;
  /** The alerts stream's id to resume from, so nothing between this list and the stream is missed. */
  cursor: number;
  skipped: number;
}

export async function listAlerts(file: string, filter: AlertFilter): Promise<AlertList> {
  if (!existsSync(file)) return { alerts: [], total: 0, cursor: 0, skipped: 0 };
  const alerts: AlertWithActions[] = [];
  const byId = new Map<string, AlertWithActions>();
  const orphans: AlertActionRecord[] = [];
  const it = readRecords(file, { accept: acceptAlertRecord });
  for (;;) {
    const r = await it.next();
    if (r.done) {
      const s = r.value;
      for (const a of orphans) byId.get(a.alert_id)?.actions.push(a);
      const since = filter.since ? Date.parse(filter.since) : undefined;
      const matching = alerts.filter(
        (a) =>
          (!filter.attemptId || a.attempt_id === filter.attemptId) &&
          (!filter.type || a.type === filter.type) &&
          (!filter.severity || a.severity === filter.severity) &&
          (since === undefined || Date.parse(a.last_seen) >= since),
      );
      matching.reverse();
      return {
        alerts: matching.slice(0, filter.limit),
        total: matching.length,
        cursor: s.endOffset,
        skipped: s.skipped.invalid_json + s.skipped.invalid_schema + s.skipped.oversized,
      };
    }
    for (const rec of r.value) {
      if (rec.record_type === "alert") {
        // Two writers (awl run's analyzer, awl watch) may write one alert: the first line is it.
        if (byId.has(rec.alert_id)) continue;
        const a: AlertWithActions = { ...rec, actions: [] };
        alerts.push(a);
        byId.set(rec.alert_id, a);
      } else {
        const a = byId.get(rec.alert_id);
        if (a) a.actions.push(rec);
        else orphans.push(rec);
      }
    }
  }
}

export interface AlertLine {
  record: AlertRecord;
  /** Byte offset just past the record's line: the SSE event id. */
  offset: number;
}

/**
 * Follows the alerts file from a byte offset, handing over each record with the offset
 * just past its line. Offsets survive a server restart; after a rotation (the file is
 * now shorter than the offset) the stream starts again from the new file's beginning.
 */
export async function followAlerts(
  file: string,
  from: number,
  pollMs: number,
  signal: AbortSignal,
  onRecords: (lines: AlertLine[]) => void,
): Promise<void> {
  let start = from;
  try {
    if (start > (await stat(file)).size) start = 0;
  } catch {
    start = 0;
  }
  await follow(file, {
    start,
    pollMs,
    signal,
    onLines: (lines, endOffset) => {
      // Offsets of each line, counted back from the end of the batch.
      let end = endOffset;
      const out: AlertLine[] = [];
      for (let i = lines.length - 1; i >= 0; i--) {
        const line = lines[i]!;
        const lineEnd = end;
        end -= Buffer.byteLength(line, "utf8") + 1;
        let value: unknown;
        try {
          value = JSON.parse(line);
        } catch {
          continue;
        }
        const record = acceptAlertRecord(value);
        if (record) out.push({ record, offset: lineEnd });
      }
      out.reverse();
      if (out.length) onRecords(out);
    },
  });
}
