import { type Line, metricsRecord, type SessionSpec, sessionEvents, writeLog } from "./history.js";

/**
 * The hand-built history of the analytics tests: 22 sessions of 16 tasks over three ISO weeks
 * (2026-11-02, -09, -16), three executors, archives (one still with its plain twin beside the
 * .gz), outcomes arriving after the session, an error loop and a tool loop with their alerts
 * and interventions, a crashed session without end or metrics, a session whose metrics record
 * is missing, an invalid line inside an archive and a torn last line in the live stream.
 * Every expected number in analytics.test.ts is worked out by hand from this table.
 */
const dep = (n: number) => ({ fingerprint: "npm_install_timeout", category: "dependency" as const, message: "npm install timed out after 300s", n });
const ctx = { fingerprint: "context_window_exceeded", category: "context_window" as const, message: "prompt is too long: 210000 tokens > 200000", n: 1 };
const key = (n: number) => ({ fingerprint: "api_key_missing", category: "api_key" as const, message: "OPENAI_API_KEY is not set", n });
const test = { fingerprint: "test_failed", category: "test" as const, message: "1 test failed: auth.spec.ts", n: 1 };
const RETRY = { promptType: "retry" as const, followupReason: "previous_attempt_failed" };

export const S: Record<string, SessionSpec> = {
  s01: { id: "s01", task: "T1", executor: "claude", model: "opus", start: "2026-11-02T10:00:00.000Z", end: "success", durationS: 60, tokens: 1000, cost: 0.1 },
  s02: { id: "s02", task: "T2", executor: "claude", model: "opus", start: "2026-11-03T10:00:00.000Z", end: "failed", durationS: 120, tokens: 2000, cost: 0.2, errors: [dep(2)] },
  s03: { id: "s03", task: "T2", executor: "codex", model: "gpt", start: "2026-11-04T10:00:00.000Z", end: "success", durationS: 90, tokens: 1500, cost: 0.15, ...RETRY },
  s04: { id: "s04", task: "T3", executor: "gemini", model: "pro", start: "2026-11-05T10:00:00.000Z", end: "failed", durationS: 30, tokens: 500, cost: 0.01, errors: [ctx] },
  s05: { id: "s05", task: "T3", executor: "gemini", model: "pro", start: "2026-11-06T10:00:00.000Z", end: "failed", durationS: 30, tokens: 500, cost: 0.01, errors: [ctx], ...RETRY },
  s06: { id: "s06", task: "T3", executor: "gemini", model: "pro", start: "2026-11-06T12:00:00.000Z", end: "timeout", durationS: 40, tokens: 600, cost: 0.02, errors: [ctx], ...RETRY },
  s07: { id: "s07", task: "T4", executor: "claude", model: "opus", start: "2026-11-09T09:00:00.000Z", end: "success", durationS: 100, tokens: 3000, cost: 0.3, errors: [test] },
  s08: { id: "s08", task: "T4", executor: "claude", model: "opus", start: "2026-11-10T09:00:00.000Z", end: "success", durationS: 80, tokens: 2000, cost: 0.2, ...RETRY },
  s09: { id: "s09", task: "T5", executor: "codex", model: "gpt", start: "2026-11-10T11:00:00.000Z", end: "failed", durationS: 50, tokens: 800, cost: 0.05, errors: [key(3)] },
  s10: { id: "s10", task: "T5", executor: "codex", model: "gpt", start: "2026-11-11T11:00:00.000Z", end: "failed", durationS: 50, tokens: 800, cost: 0.05, errors: [key(1)], ...RETRY },
  s11: { id: "s11", task: "T6", executor: "gemini", model: "pro", start: "2026-11-12T10:00:00.000Z", end: "success", durationS: 20, tokens: 400, cost: 0.01 },
  s15: { id: "s15", task: "T8", executor: "codex", model: "gpt", start: "2026-11-17T11:00:00.000Z", end: "success", durationS: 30, tokens: 700, cost: 0.07, promptType: "retry", followupReason: "tool_loop" },
  s16: { id: "s16", task: "T10", executor: "gemini", model: "pro", start: "2026-11-18T10:00:00.000Z", end: "success", durationS: 25, tokens: 300, cost: 0.01, errors: [test] },
  s17: { id: "s17", task: "T11", executor: "claude", model: "opus", start: "2026-11-19T10:00:00.000Z", end: "success", durationS: 60, tokens: 1000, cost: 0.1 },
  s18: { id: "s18", task: "T12", executor: "codex", model: "gpt", start: "2026-11-19T11:00:00.000Z", end: "success", durationS: 60, tokens: 1000, cost: 0.1 },
  s19: { id: "s19", task: "T13", executor: "gemini", model: "pro", start: "2026-11-19T12:00:00.000Z", end: "success", durationS: 60, tokens: 1000, cost: 0.1 },
  s20: { id: "s20", task: "T14", executor: "claude", model: "opus", start: "2026-11-20T10:00:00.000Z", end: "failed", durationS: 60, tokens: 1000, cost: 0.1, errors: [dep(1)] },
  s21: { id: "s21", task: "T15", executor: "codex", model: "gpt", start: "2026-11-20T11:00:00.000Z", end: "success", durationS: 60, tokens: 1000, cost: 0.1 },
  s22: { id: "s22", task: "T16", executor: "gemini", model: "pro", start: "2026-11-20T12:00:00.000Z", end: "failed", durationS: 60, tokens: 1000, cost: 0.1 },
};

// s12: crashed after a tool call: no result, no end, no metrics record.
export const S12: SessionSpec = { id: "s12", task: "T9", executor: "claude", model: "opus", start: "2026-11-13T10:00:00.000Z", durationS: 5, tokens: 0, cost: 0 };
// s13 and s14: the loops, written event by event below.
export const S13: SessionSpec = { id: "s13", task: "T7", executor: "claude", model: "opus", start: "2026-11-16T10:00:00.000Z", end: "success", durationS: 10, tokens: 400, cost: 0.04 };
export const S14: SessionSpec = { id: "s14", task: "T8", executor: "codex", model: "gpt", start: "2026-11-17T10:00:00.000Z", end: "interrupted", durationS: 5, tokens: 250, cost: 0.05 };

function ev(s: SessionSpec, seq: number, ms: number, event_type: string, data: Line, extra: Line = {}): Line {
  return {
    schema_version: 1,
    timestamp: new Date(Date.parse(s.start) + ms).toISOString(),
    attempt_id: s.id,
    session_id: `sess-${s.id}`,
    task_id: s.task,
    executor: s.executor,
    model: s.model,
    ...extra,
    event_type,
    data,
    elapsed_ms: ms,
    sequence_num: seq,
  };
}

const meta = (s: SessionSpec) => ({ task_title: `Task ${s.task}`, project_id: "proj" });

function s12Events(): Line[] {
  return [ev(S12, 0, 0, "session_start", { prompt: "do T9", prompt_type: "initial" }, meta(S12)), ev(S12, 1, 5000, "tool_call", { tool_name: "Bash", tool_call_id: "s12-c1" })];
}

function s13Events(): Line[] {
  const loop = (seq: number) =>
    ev(S13, seq, seq * 1000, "error", { error_message: "step 7 failed at line 12", error_fingerprint: "tmpl_loop01", error_category: "unknown", error_source: "output" });
  return [
    ev(S13, 0, 0, "session_start", { prompt: "do T7", prompt_type: "initial" }, meta(S13)),
    ev(S13, 1, 1000, "agent_output", { output: "trying", usage: { input: 90, output: 10, total_tokens: 100 } }),
    loop(2),
    loop(3),
    loop(4),
    loop(5),
    ev(S13, 6, 6000, "followup_sent", { prompt: "stop and fix the root cause", followup_reason: "error_loop", alert_id: "A1", action: "autofix_prompt" }),
    ev(S13, 7, 7000, "agent_output", { output: "fixed", usage: { input: 250, output: 50, total_tokens: 300 } }),
    ev(S13, 8, 10000, "session_end", { completion_status: "success", duration_ms: 10000, total_tokens: 400, cost_usd: 0.04 }, meta(S13)),
  ];
}

function s14Events(): Line[] {
  return [
    ev(S14, 0, 0, "session_start", { prompt: "do T8", prompt_type: "initial" }, meta(S14)),
    ev(S14, 1, 500, "agent_output", { output: "looking", usage: { input: 40, output: 10, total_tokens: 50 } }),
    ev(S14, 2, 1000, "tool_call", { tool_name: "Read", tool_call_id: "x1" }),
    ev(S14, 3, 3000, "tool_call", { tool_name: "Read", tool_call_id: "x2" }),
    ev(S14, 4, 3500, "tool_result", { tool_name: "Read", tool_call_id: "x1", result: "success" }),
    ev(S14, 5, 3600, "tool_result", { tool_name: "Read", tool_call_id: "x2", result: "success" }),
    ev(S14, 6, 4000, "agent_output", { output: "still looking", usage: { input: 150, output: 50, total_tokens: 200 } }),
    ev(S14, 7, 4500, "followup_sent", { followup_reason: "tool_loop", alert_id: "A2", action: "fresh_session" }),
    ev(S14, 8, 5000, "session_end", { completion_status: "interrupted", duration_ms: 5000, total_tokens: 250, cost_usd: 0.05 }, meta(S14)),
  ];
}

const alert = (id: string, s: SessionSpec, type: string, rec: string, seq: number, first: number, last: number, writtenMs: number, extra: Line) => ({
  record_type: "alert",
  schema_version: 1,
  alert_id: id,
  type,
  severity: "warning",
  timestamp: new Date(Date.parse(s.start) + writtenMs).toISOString(),
  attempt_id: s.id,
  session_id: `sess-${s.id}`,
  task_id: s.task,
  executor: s.executor,
  model: s.model,
  occurrences: 4,
  first_seen: new Date(Date.parse(s.start) + first).toISOString(),
  last_seen: new Date(Date.parse(s.start) + last).toISOString(),
  recommendation: rec,
  message: `${type} in ${s.id}`,
  trigger_sequence_num: seq,
  ...extra,
});

const action = (alertId: string, s: SessionSpec, act: string, status: string, ms: number, detail?: string) => ({
  record_type: "action",
  schema_version: 1,
  timestamp: new Date(Date.parse(s.start) + ms).toISOString(),
  alert_id: alertId,
  attempt_id: s.id,
  action: act,
  status,
  ...(detail ? { detail } : {}),
});

/** Writes the history into `dir` (a log directory). */
export function writeHandHistory(dir: string): void {
  const week1 = ["s01", "s02", "s03", "s04", "s05", "s06"].flatMap((id) => sessionEvents(S[id]!));
  const week2 = [...["s07", "s08", "s09", "s10", "s11"].flatMap((id) => sessionEvents(S[id]!)), ...s12Events()];
  const week3 = [...s13Events(), ...s14Events(), ...["s15", "s16", "s17", "s18", "s19", "s20", "s21", "s22"].flatMap((id) => sessionEvents(S[id]!))];
  writeLog(dir, "archive/agent-work-stream.2026-11-08T00-00-00-000Z.jsonl.gz", week1, { gzip: true });
  // Rotation stopped between compressing and removing the plain copy: the same lines twice.
  writeLog(dir, "archive/agent-work-stream.2026-11-08T00-00-00-000Z.jsonl", week1);
  writeLog(dir, "archive/agent-work-stream.2026-11-15T00-00-00-000Z.jsonl.gz", [...week2.slice(0, 10), "garbage{not json", ...week2.slice(10)], { gzip: true });
  writeLog(dir, "agent-work-stream.jsonl", week3, { tail: '{"schema_version":1,"timestamp":"2026-11-20T13:' });
  // The session files and agent-errors.jsonl repeat the stream: analytics must not count them.
  writeLog(dir, "agent-sessions/s01.jsonl", sessionEvents(S.s01!));
  writeLog(
    dir,
    "agent-errors.jsonl",
    [...week1, ...week2, ...week3].filter((l) => l.event_type === "error"),
  );
  writeLog(
    dir,
    "archive/agent-metrics.2026-11.jsonl.gz",
    ["s01", "s02", "s03", "s04", "s05", "s07"].map((id) => metricsRecord(S[id]!)),
    { gzip: true },
  );
  writeLog(dir, "agent-metrics.jsonl", [
    // The outcome of s07 arrives after its session's record: it overrides the session's success.
    { schema_version: 1, timestamp: "2026-11-12T08:00:00.000Z", attempt_id: "s07", outcome: { status: "failed", test_passed: false } },
    metricsRecord(S.s08!),
    { schema_version: 1, timestamp: "2026-11-11T08:00:00.000Z", attempt_id: "s08", outcome: { status: "completed", pr_number: 12, pr_merged: true } },
    "{not json",
    ...["s09", "s10", "s11", "s15", "s16", "s17", "s18", "s19", "s20", "s21", "s22"].map((id) => metricsRecord(S[id]!)),
    metricsRecord(S13),
    metricsRecord(S14),
  ]);
  writeLog(dir, "agent-alerts.jsonl", [
    alert("A1", S13, "error_loop", "trigger_ai_autofix", 5, 2000, 5000, 5500, { error_fingerprint: "tmpl_loop01", error_category: "unknown" }),
    action("A1", S13, "notify", "ok", 5600, "telegram"),
    action("A1", S13, "intervene", "ok", 6000),
    alert("A2", S14, "tool_loop", "fresh_session", 3, 1000, 3000, 4500, { tool_name: "Read" }),
    action("A2", S14, "intervene", "ok", 4600, "s15"),
    action("A2", S14, "autofix", "failed", 4700),
  ]);
}

