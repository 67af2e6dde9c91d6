import { statSync } from "node:fs";
import { type Alert, type AlertActionRecord, type AlertRecord, alertRecordSchema, SCHEMA_VERSION, ValidationError } from "../schema/index.js";
import { closeQuietly, endsTorn, ensureDir, openAppend, writeAll } from "../store/fs.js";
import { type LogPaths, logPaths } from "../store/paths.js";
import { emptyStats, type ReadStats, readRecords } from "../store/reader.js";
import { redactValue } from "../store/redact.js";

/**
 * The one writer and reader of agent-alerts.jsonl. Alerts (the analyzer) and actions
 * (what awl did about them) share the file; every caller goes through here so a line is
 * always one whole record written with one O_APPEND write.
 */

export interface AlertFilter {
  record_type?: AlertRecord["record_type"];
  type?: Alert["type"] | readonly Alert["type"][];
  attempt_id?: string;
  alert_id?: string;
  /** Records whose `timestamp` (or an alert's `last_seen`) is at or after this time. */
  since?: Date;
}

function alertsFile(where: string | LogPaths): string {
  return typeof where === "string" ? logPaths(where).alerts : where.alerts;
}

/**
 * Appends whole records in one write; nothing is written for an empty list. Every record is
 * validated (a bad one throws and none is written) and redacted: alert messages quote agent
 * errors, action details quote hook output. The file is opened per call, so after a rotation
 * renamed it away the next call writes the new file. A file ending in a partial line (a
 * writer died mid-write) gets a newline first: the torn bytes stay a line of their own that
 * readers skip, instead of swallowing the first record written after them. Returns the bytes
 * written.
 */
export function appendAlertRecords(where: string | LogPaths, records: readonly AlertRecord[]): number {
  if (records.length === 0) return 0;
  const file = alertsFile(where);
  let text = "";
  for (const r of records) {
    const parsed = alertRecordSchema.safeParse(r);
    if (!parsed.success) throw new ValidationError(`${r.record_type ?? "alert"} record`, parsed.error.issues);
    text += `${JSON.stringify(redactValue(parsed.data))}\n`;
  }
  ensureDir(typeof where === "string" ? where : where.dir);
  const fd = openAppend(file);
  try {
    const buf = Buffer.from(endsTorn(fd) ? `\n${text}` : text, "utf8");
    writeAll(fd, buf);
    return buf.length;
  } finally {
    closeQuietly(fd);
  }
}

export type ActionRecordInput = Omit<AlertActionRecord, "record_type" | "timestamp" | "schema_version"> & { timestamp?: string };

/** Appends `action` records (what awl did about an alert), stamped now unless they carry a time. */
export function appendActionRecords(where: string | LogPaths, records: readonly ActionRecordInput[], now: () => number = Date.now): AlertActionRecord[] {
  const ts = new Date(now()).toISOString();
  const out = records.map((r) => ({ record_type: "action", schema_version: SCHEMA_VERSION, ...r, timestamp: r.timestamp ?? ts }) as AlertActionRecord);
  appendAlertRecords(where, out);
  return out.map((r) => redactValue(r));
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

const acceptAlertRecord = (v: unknown): AlertRecord | undefined => {
  const r = alertRecordSchema.safeParse(v);
  return r.success ? r.data : undefined;
};

/**
 * Every record of the alerts file matching `filter`, in file order, with the reader's
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
