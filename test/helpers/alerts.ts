import type { Alert } from "../../src/schema/alert.js";

/** A valid alert record with sensible values; override what a test is about. */
export function makeAlert(over: Partial<Alert> = {}): Alert {
  return {
    record_type: "alert",
    schema_version: 1,
    alert_id: "al-error_loop-ve-1-abc",
    type: "error_loop",
    severity: "error",
    timestamp: "2026-11-25T10:04:01.000Z",
    attempt_id: "ve-1",
    session_id: "s-1",
    task_id: "task-7",
    project_id: "proj",
    executor: "CLAUDE_CODE",
    model: "claude-sonnet-4-5",
    occurrences: 4,
    first_seen: "2026-11-25T10:00:00.000Z",
    last_seen: "2026-11-25T10:04:00.000Z",
    recommendation: "trigger_ai_autofix",
    message: "git push failed 4 times in 4 minutes",
    error_fingerprint: "git_push_failed",
    error_category: "git",
    ...over,
  } as Alert;
}
