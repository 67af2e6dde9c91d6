import { COMPLETION_STATUSES, ERROR_CATEGORIES, EVENT_TYPES } from "../schema/index.js";
import type { AwlEvent } from "../schema/index.js";

/**
 * The analyzer's view of a stream line. Every line in the stream went through the writer's
 * full schema check already; the watcher, which reads every line again at thousands per
 * second, checks what the detectors rely on — the envelope (attempt, type, sequence number,
 * a parseable time, a data object) and the type of each data field a detector reads — and
 * drops a data field of the wrong type instead of trusting it. A line failing the envelope is
 * skipped and counted as invalid, as the one reader does.
 */
const TYPES = new Set<string>(EVENT_TYPES);
const CATEGORIES = new Set<string>(ERROR_CATEGORIES);
const STATUSES = new Set<string>(COMPLETION_STATUSES);
const USAGE_KEYS = ["input", "output", "cache_read", "cache_creation", "reasoning", "total_tokens"] as const;

const isCount = (v: unknown) => typeof v === "number" && Number.isInteger(v) && v >= 0;
const optString = (v: unknown) => v === undefined || v === null || typeof v === "string";

function cleanUsage(d: Record<string, unknown>): void {
  const u = d.usage;
  if (u === undefined) return;
  if (!u || typeof u !== "object" || Array.isArray(u)) {
    delete d.usage;
    return;
  }
  for (const k of USAGE_KEYS) if ((u as Record<string, unknown>)[k] !== undefined && !isCount((u as Record<string, unknown>)[k])) delete (u as Record<string, unknown>)[k];
}

export function acceptForAnalysis(value: unknown): AwlEvent | undefined {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return undefined;
  const e = value as Record<string, unknown>;
  if (typeof e.attempt_id !== "string" || e.attempt_id === "") return undefined;
  if (typeof e.event_type !== "string" || !TYPES.has(e.event_type)) return undefined;
  if (!isCount(e.sequence_num)) return undefined;
  if (typeof e.timestamp !== "string" || !Number.isFinite(Date.parse(e.timestamp))) return undefined;
  const d = e.data;
  if (!d || typeof d !== "object" || Array.isArray(d)) return undefined;
  for (const k of ["session_id", "task_id", "project_id", "executor", "model", "source"]) if (!optString(e[k])) return undefined;
  const data = d as Record<string, unknown>;
  switch (e.event_type) {
    case "error":
      if (typeof data.error_message !== "string") return undefined;
      if (data.error_fingerprint !== undefined && typeof data.error_fingerprint !== "string") delete data.error_fingerprint;
      if (data.error_category !== undefined && !(typeof data.error_category === "string" && CATEGORIES.has(data.error_category))) delete data.error_category;
      if (data.error_source !== undefined && typeof data.error_source !== "string") delete data.error_source;
      if (data.http_status !== undefined && !Number.isInteger(data.http_status)) delete data.http_status;
      if (data.tool_name !== undefined && typeof data.tool_name !== "string") delete data.tool_name;
      break;
    case "tool_call":
      if (typeof data.tool_name !== "string" || data.tool_name === "") return undefined;
      cleanUsage(data);
      break;
    case "agent_output":
    case "agent_thinking":
      cleanUsage(data);
      break;
    case "session_end":
      if (typeof data.completion_status !== "string" || !STATUSES.has(data.completion_status)) return undefined;
      if (data.cost_usd !== undefined && !(typeof data.cost_usd === "number" && data.cost_usd >= 0)) delete data.cost_usd;
      break;
  }
  return e as unknown as AwlEvent;
}
