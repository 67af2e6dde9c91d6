import { type AlertActionRecord, type AlertRecord, alertRecordSchema, SCHEMA_VERSION, ValidationError } from "../schema/index.js";
import { alertsFile } from "../store/alerts.js";
import { closeQuietly, endsTorn, ensureDir, openAppend, writeAll } from "../store/fs.js";
import type { LogPaths } from "../store/paths.js";
import { redactValue } from "../store/redact.js";

/**
 * The one writer of agent-alerts.jsonl. Alerts (the analyzer) and actions (what awl did
 * about them) share the file; every caller goes through here so a line is always one whole
 * record written with one O_APPEND write. The reader is store/alerts.ts, re-exported here.
 */
export { type AlertFilter, matchesFilter, readAlertRecords } from "../store/alerts.js";

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
