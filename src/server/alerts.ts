import { stat } from "node:fs/promises";
import type { AlertRecord } from "../schema/index.js";
import { acceptAlertRecord, type AlertWithActions, collectAlerts, readAlertHistory } from "../store/alerts.js";
import { follow } from "../store/follow.js";
import { readRecords } from "../store/reader.js";
import { historyFiles } from "../store/rotate.js";
import type { LogPaths } from "../store/paths.js";

/** The server's view of agent-alerts.jsonl, through the store's one alerts reader. */
export { acceptAlertRecord, type AlertWithActions };

export interface AlertFilter {
  attemptId?: string;
  type?: string;
  severity?: string;
  /** Only alerts whose last_seen is at or after this time (ISO). */
  since?: string;
  limit: number;
}

export interface AlertList {
  /** Newest first. */
  alerts: AlertWithActions[];
  total: number;
  /** The alerts stream's id to resume from, so nothing between this list and the stream is missed. */
  cursor: number;
  skipped: number;
}

/**
 * The alerts of the whole history (archives too), each once (its first line) with its
 * actions, filtered, newest first.
 */
export async function listAlerts(paths: LogPaths, filter: AlertFilter): Promise<AlertList> {
  const { records, endOffset, skipped } = await readAlertHistory(paths);
  const since = filter.since ? Date.parse(filter.since) : undefined;
  const matching = collectAlerts(records).filter(
    (a) =>
      (!filter.attemptId || a.attempt_id === filter.attemptId) &&
      (!filter.type || a.type === filter.type) &&
      (!filter.severity || a.severity === filter.severity) &&
      (since === undefined || Date.parse(a.last_seen) >= since),
  );
  matching.reverse();
  return { alerts: matching.slice(0, filter.limit), total: matching.length, cursor: endOffset, skipped };
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
 * An alert already on an earlier line (archives included) is not handed over again: the
 * history before `from` is read for its ids first (alerts files are small: one line per
 * episode), then the stream goes on from `from`.
 */
export async function followAlerts(
  paths: LogPaths,
  from: number,
  pollMs: number,
  signal: AbortSignal,
  onRecords: (lines: AlertLine[]) => void,
): Promise<void> {
  const file = paths.alerts;
  let cut = from;
  try {
    if (cut > (await stat(file)).size) cut = 0;
  } catch {
    cut = 0;
  }
  const seen = new Set<string>();
  for (const f of historyFiles(paths, "agent-alerts")) {
    if (f.kind === "live") continue;
    for await (const batch of readRecords(f.path, { accept: acceptAlertRecord })) for (const r of batch) if (r.record_type === "alert") seen.add(r.alert_id);
  }
  let before = cut > 0;
  await follow(file, {
    start: 0,
    pollMs,
    signal,
    onReset: () => {
      before = false;
    },
    onLines: (lines, endOffset) => {
      // Offsets of each line, counted back from the end of the batch.
      let end = endOffset;
      const parsed: AlertLine[] = [];
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
        if (record) parsed.push({ record, offset: lineEnd });
      }
      parsed.reverse();
      const out: AlertLine[] = [];
      for (const l of parsed) {
        const first = l.record.record_type !== "alert" || !seen.has(l.record.alert_id);
        if (l.record.record_type === "alert") seen.add(l.record.alert_id);
        if (before && l.offset <= cut) continue;
        if (first) out.push(l);
      }
      if (before && endOffset >= cut) before = false;
      if (out.length) onRecords(out);
    },
  });
}
