import { type AlertActionRecord, alertActionSchema, SCHEMA_VERSION, ValidationError } from "../../schema/index.js";
import { closeQuietly, ensureDir, openAppend, writeAll } from "../../store/fs.js";
import type { LogPaths } from "../../store/paths.js";
import { redactValue } from "../../store/redact.js";

export type ActionRecordInput = Omit<AlertActionRecord, "record_type" | "timestamp" | "schema_version"> & { timestamp?: string };

/**
 * Appends `action` records to agent-alerts.jsonl: validated, redacted (hook output and error
 * texts can hold anything), and written as whole lines in ONE write(2) on an O_APPEND
 * descriptor, so they never interleave with alert lines from `awl watch` processes. The file
 * is opened per call: after a rotation renamed it away, the next call writes the new file.
 */
export function appendActionRecords(paths: Pick<LogPaths, "dir" | "alerts">, records: readonly ActionRecordInput[], now: () => number = Date.now): AlertActionRecord[] {
  if (records.length === 0) return [];
  const ts = new Date(now()).toISOString();
  const out: AlertActionRecord[] = records.map((r) => {
    const parsed = alertActionSchema.safeParse({ record_type: "action", schema_version: SCHEMA_VERSION, ...r, timestamp: r.timestamp ?? ts });
    if (!parsed.success) throw new ValidationError("action record", parsed.error.issues);
    return redactValue(parsed.data);
  });
  ensureDir(paths.dir);
  const fd = openAppend(paths.alerts);
  try {
    writeAll(fd, out.map((r) => `${JSON.stringify(r)}\n`).join(""));
  } finally {
    closeQuietly(fd);
  }
  return out;
}
