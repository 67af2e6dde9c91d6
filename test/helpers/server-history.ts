import { appendFileSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { importPaths } from "../../src/capture/import.js";
import { createRecorder, type Recorder } from "../../src/capture/recorder.js";
import { loadConfig } from "../../src/config/index.js";
import { ALERT_TYPES, type Alert, type AlertActionRecord, RECOMMENDATIONS, SEVERITIES } from "../../src/schema/index.js";
import { logPaths } from "../../src/store/paths.js";

export const REAL_FIXTURES = join(import.meta.dirname, "..", "fixtures", "real");

/** Imports copies of real transcripts (test/fixtures/real/<agent>/<name>.session.jsonl) into a log directory. */
export async function importFixtures(logDir: string, names: string[]) {
  const config = loadConfig({ flags: { logDir }, env: {}, cwd: logDir });
  return importPaths({ paths: names.map((n) => join(REAL_FIXTURES, `${n}.session.jsonl`)), config });
}

/** A recorder on a fake clock: each call advances it by `stepMs`. */
export function recorder(logDir: string, attemptId: string, opts: { executor?: string; model?: string; taskId?: string; taskTitle?: string; startMs?: number; stepMs?: number } = {}): Recorder {
  let now = opts.startMs ?? Date.parse("2026-11-20T10:00:00Z");
  const step = opts.stepMs ?? 1000;
  return createRecorder({
    logDir,
    attemptId,
    executor: opts.executor ?? "CLAUDE",
    model: opts.model ?? "claude-sonnet-4-5",
    taskId: opts.taskId,
    taskTitle: opts.taskTitle,
    now: () => {
      now += step;
      return now;
    },
  });
}

let alertSeq = 0;

export function alertRecord(fields: Partial<Alert> & { attempt_id: string }): Alert {
  alertSeq++;
  return {
    record_type: "alert",
    schema_version: 1,
    alert_id: `al-${alertSeq}-${fields.attempt_id}`,
    type: ALERT_TYPES[0],
    severity: SEVERITIES[2],
    timestamp: "2026-11-20T10:05:00.000Z",
    occurrences: 4,
    first_seen: "2026-11-20T10:01:00.000Z",
    last_seen: "2026-11-20T10:04:00.000Z",
    recommendation: RECOMMENDATIONS[0],
    message: "the same error 4 times in 10 minutes",
    error_fingerprint: "npm_install_timeout",
    ...fields,
  } as Alert;
}

/** Appends alert/action records to agent-alerts.jsonl as the analyzer would (one line per write). */
export function writeAlerts(logDir: string, records: (Alert | AlertActionRecord)[]): void {
  mkdirSync(logDir, { recursive: true });
  for (const r of records) appendFileSync(logPaths(logDir).alerts, `${JSON.stringify(r)}\n`);
}
