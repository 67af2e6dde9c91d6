import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import type { ErrorCategory } from "../../src/schema/vocabulary.js";

/**
 * Builds log directories line by line in the file formats (events, metrics records, alert and
 * action records), so an analytics test states its history explicitly and computes every
 * expected number by hand from it.
 */
export type Line = Record<string, unknown>;

export interface SessionSpec {
  id: string;
  task: string;
  executor: string;
  model: string;
  /** ISO start time. */
  start: string;
  /** session_end completion status; omit for a session that never ended. */
  end?: "success" | "failed" | "timeout" | "interrupted";
  durationS: number;
  tokens: number;
  cost: number;
  errors?: { fingerprint: string; category: ErrorCategory; message: string; n: number }[];
  promptType?: "initial" | "followup" | "retry";
  followupReason?: string;
  project?: string;
}

const at = (start: string, ms: number) => new Date(Date.parse(start) + ms).toISOString();

/** A plain session's events: start, one agent output carrying all its tokens, a tool call and result, its errors, end. */
export function sessionEvents(s: SessionSpec): Line[] {
  const base = { attempt_id: s.id, session_id: `sess-${s.id}`, task_id: s.task, executor: s.executor, model: s.model, source: "emit" };
  const out: Line[] = [];
  let seq = 0;
  const push = (event_type: string, ms: number, data: Line, extra: Line = {}) =>
    out.push({ schema_version: 1, timestamp: at(s.start, ms), ...base, ...extra, event_type, data, elapsed_ms: ms, sequence_num: seq++ });
  push(
    "session_start",
    0,
    { prompt: `do ${s.task}`, prompt_type: s.promptType ?? "initial", ...(s.followupReason ? { followup_reason: s.followupReason } : {}) },
    { task_title: `Task ${s.task}`, project_id: s.project ?? "proj" },
  );
  push("agent_output", 1000, { output: "working", usage: { input: s.tokens - 100, output: 100, total_tokens: s.tokens } });
  push("tool_call", 2000, { tool_name: "Bash", tool_call_id: `${s.id}-c1`, tool_params: { command: "ls" } });
  push("tool_result", 3000, { tool_name: "Bash", tool_call_id: `${s.id}-c1`, result: "success" });
  for (const e of s.errors ?? []) {
    for (let i = 0; i < e.n; i++) {
      push("error", 4000 + i, { error_message: e.message, error_fingerprint: e.fingerprint, error_category: e.category, error_source: "tool" });
    }
  }
  if (s.end) {
    push(
      "session_end",
      s.durationS * 1000,
      { completion_status: s.end, duration_ms: s.durationS * 1000, total_tokens: s.tokens, cost_usd: s.cost },
      { task_title: `Task ${s.task}`, project_id: s.project ?? "proj" },
    );
  }
  return out;
}

export function metricsRecord(s: SessionSpec, extra: Line = {}): Line {
  return {
    schema_version: 1,
    timestamp: at(s.start, s.durationS * 1000),
    attempt_id: s.id,
    session_id: `sess-${s.id}`,
    task_id: s.task,
    task_title: `Task ${s.task}`,
    project_id: s.project ?? "proj",
    executor: s.executor,
    model: s.model,
    metrics: {
      duration_ms: s.durationS * 1000,
      total_tokens: s.tokens,
      cost_usd: s.cost,
      tool_calls: 1,
      errors: (s.errors ?? []).reduce((n, e) => n + e.n, 0),
      success: s.end === "success",
      completion_status: s.end,
    },
    ...extra,
  };
}

export const jsonl = (lines: readonly (Line | string)[]) => lines.map((l) => (typeof l === "string" ? l : JSON.stringify(l))).join("\n") + (lines.length ? "\n" : "");

export function writeLog(dir: string, rel: string, lines: readonly (Line | string)[], opts: { gzip?: boolean; tail?: string } = {}): string {
  const path = join(dir, rel);
  mkdirSync(join(path, ".."), { recursive: true });
  const text = jsonl(lines) + (opts.tail ?? "");
  writeFileSync(path, opts.gzip ? gzipSync(text) : text);
  return path;
}
