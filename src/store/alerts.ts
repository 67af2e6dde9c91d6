import { statSync } from "node:fs";
import { type Alert, type AlertActionRecord, type AlertRecord, alertRecordSchema } from "../schema/index.js";
import { type LogPaths, logPaths } from "./paths.js";
import { emptyStats, type ReadStats, readRecords } from "./reader.js";
import { historyFiles } from "./rotate.js";

/**
 * The one reader of agent-alerts.jsonl (the writer is monitor/alerts-log.ts). In the store so
 * that every reader — the analyzer, the CLI, the server — shares it without depending on monitor.
 */

export interface AlertFilter {
  record_type?: AlertRecord["record_type"];
  type?: Alert["type"] | readonly Alert["type"][];
  attempt_id?: string;
  alert_id?: string;
  /** Records whose `timestamp` (or an alert's `last_seen`) is at or after this time. */
  since?: Date;
}

export function alertsFile(where: string | LogPaths): string {
  return typeof where === "string" ? logPaths(where).alerts : where.alerts;
}

export function matchesFilter(r: AlertRecord, f: AlertFilter | undefined): boolean {
  if (!f) return true;
  if (f.record_type && r.record_type !== f.record_type) return false;
  if (f.attempt_id && r.attempt_id !== f.attempt_id) return false;
  if (f.alert_id && r.alert_id !== f.alert_id) return false;
  if (f.type) {
    if (r.record_type !== "alert") return false;
    const types = typeof f.type === "string" ? [f.type] : f.type;
    if (!types.includes(r.type)) return false;
  }
  if (f.since) {
    const at = Date.parse(r.record_type === "alert" ? r.last_seen : r.timestamp);
    const written = Date.parse(r.timestamp);
    if (Math.max(at, written) < f.since.getTime()) return false;
  }
  return true;
}

export const acceptAlertRecord = (v: unknown): AlertRecord | undefined => {
  const r = alertRecordSchema.safeParse(v);
  return r.success ? r.data : undefined;
};

/**
 * Every record of the (live) alerts file matching `filter`, in file order, with the reader's
 * counts of skipped lines. A missing file is an empty list.
 */
export async function readAlertRecords(
  where: string | LogPaths,
  filter?: AlertFilter,
  opts: { start?: number } = {},
): Promise<{ records: AlertRecord[]; stats: ReadStats }> {
  const file = alertsFile(where);
  const records: AlertRecord[] = [];
  try {
    statSync(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return { records, stats: emptyStats(file) };
    throw err;
  }
  const it = readRecords(file, { accept: acceptAlertRecord, start: opts.start });
  for (;;) {
    const r = await it.next();
    if (r.done) return { records, stats: r.value };
    for (const rec of r.value) if (matchesFilter(rec, filter)) records.push(rec);
  }
}

/**
 * The whole alerts history: rotated archives (oldest first) then the live file. `endOffset`
 * is the live file's (where a follower goes on); `skipped` counts unreadable lines in all files.
 */
export async function readAlertHistory(paths: LogPaths): Promise<{ records: AlertRecord[]; endOffset: number; skipped: number }> {
  const records: AlertRecord[] = [];
  let endOffset = 0;
  let skipped = 0;
  for (const f of historyFiles(paths, "agent-alerts")) {
    const it = readRecords(f.path, { accept: acceptAlertRecord });
    for (;;) {
      const r = await it.next();
      if (r.done) {
        const s = r.value.skipped;
        skipped += s.invalid_json + s.invalid_schema + s.oversized;
        if (f.kind === "live") endOffset = r.value.endOffset;
        break;
      }
      for (const rec of r.value) records.push(rec);
    }
  }
  return { records, endOffset, skipped };
}

export interface AlertWithActions extends Alert {
  actions: AlertActionRecord[];
}

/**
 * Alerts once each with what was done about them, in file order. The same alert can be on
 * several lines (`awl run` and `awl watch` both raise it; a replay after a crash): the first
 * line is the alert. Actions join their alert wherever they are in the history; actions
 * whose alert is nowhere are left out.
 */
export function collectAlerts(records: Iterable<AlertRecord>): AlertWithActions[] {
  const alerts: AlertWithActions[] = [];
  const byId = new Map<string, AlertWithActions>();
  const early: AlertActionRecord[] = [];
  for (const rec of records) {
    if (rec.record_type === "alert") {
      if (byId.has(rec.alert_id)) continue;
      const a: AlertWithActions = { ...rec, actions: [] };
      alerts.push(a);
      byId.set(rec.alert_id, a);
    } else {
      const a = byId.get(rec.alert_id);
      if (a) a.actions.push(rec);
      else early.push(rec);
    }
  }
  for (const act of early) byId.get(act.alert_id)?.actions.push(act);
  for (const a of alerts) a.actions.sort((x, y) => Date.parse(x.timestamp) - Date.parse(y.timestamp));
  return alerts;
}
