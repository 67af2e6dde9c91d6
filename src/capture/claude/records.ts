import type { Usage } from "../../schema/index.js";
import { withTotal } from "../adapter.js";

/** Small readers for Claude Code's JSON records: nothing here trusts a field's type. */

export type Rec = Record<string, unknown>;

export const SYNTHETIC_MODEL = "<synthetic>";

export function isRec(v: unknown): v is Rec {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

export function str(v: unknown): string | undefined {
  return typeof v === "string" ? v : undefined;
}

function count(v: unknown): number {
  return typeof v === "number" && Number.isFinite(v) && v > 0 ? Math.trunc(v) : 0;
}

/**
 * Anthropic usage → awl buckets. `input_tokens` already excludes cache reads and writes,
 * so the buckets add up without double counting.
 */
export function toUsage(v: unknown): Usage | undefined {
  if (!isRec(v)) return undefined;
  const u = {
    input: count(v.input_tokens),
    output: count(v.output_tokens),
    cache_read: count(v.cache_read_input_tokens),
    cache_creation: count(v.cache_creation_input_tokens),
  };
  return withTotal(u);
}

/** `message_delta.usage` holds cumulative counts for the fields it names; the rest stay. */
export function mergeUsage(base: Usage | undefined, delta: unknown): Usage | undefined {
  if (!isRec(delta)) return base;
  const b = base ?? {};
  const pick = (key: string, old: number | undefined) => (typeof delta[key] === "number" ? count(delta[key]) : (old ?? 0));
  return withTotal({
    input: pick("input_tokens", b.input),
    output: pick("output_tokens", b.output),
    cache_read: pick("cache_read_input_tokens", b.cache_read),
    cache_creation: pick("cache_creation_input_tokens", b.cache_creation),
  });
}

/** What grew from `before` to `after`, bucket by bucket; undefined when nothing did. */
export function usageGrowth(after: Usage, before: Usage | undefined): Usage | undefined {
  const d = {
    input: Math.max(0, (after.input ?? 0) - (before?.input ?? 0)),
    output: Math.max(0, (after.output ?? 0) - (before?.output ?? 0)),
    cache_read: Math.max(0, (after.cache_read ?? 0) - (before?.cache_read ?? 0)),
    cache_creation: Math.max(0, (after.cache_creation ?? 0) - (before?.cache_creation ?? 0)),
  };
  const total = d.input + d.output + d.cache_read + d.cache_creation;
  return total > 0 ? withTotal(d) : undefined;
}

/**
 * The text a tool result or a user message carries: a string as is, content blocks joined
 * (non-text blocks as `[image]` and the like, so the reader sees something was there).
 */
export function contentText(c: unknown): string | undefined {
  if (typeof c === "string") return c;
  if (!Array.isArray(c)) return undefined;
  let s = "";
  for (const b of c) {
    if (!isRec(b)) continue;
    const piece = b.type === "text" && typeof b.text === "string" ? b.text : `[${typeof b.type === "string" ? b.type : "block"}]`;
    s = s ? `${s}\n${piece}` : piece;
  }
  return s;
}

const ERROR_CAP = 8192;
const ERROR_HEAD = 6144;
const ERROR_TAIL = 2048;

/**
 * The error text of a failed tool: Claude wraps its own refusals in `<tool_use_error>` tags,
 * which say nothing about the failure and would only be noise to the fingerprint. Head and
 * tail are kept when huge (a failing test run prints megabytes; the fingerprint reads the
 * head and the tail, and `result_data` keeps the whole text).
 */
export function toolErrorMessage(text: string | undefined, toolName: string | undefined): string {
  let t = (text ?? "").trim();
  if (t.startsWith("<tool_use_error>")) {
    t = t.slice("<tool_use_error>".length);
    if (t.endsWith("</tool_use_error>")) t = t.slice(0, -"</tool_use_error>".length);
    t = t.trim();
  }
  if (t === "") return `${toolName ?? "tool"} failed without a message`;
  return t.length > ERROR_CAP ? `${t.slice(0, ERROR_HEAD)}\n…\n${t.slice(-ERROR_TAIL)}` : t;
}

const EXIT_CODE = /^(?:Error: )?Exit code (-?\d{1,10})\b/;

/** Bash failures start with "Exit code N"; Claude reports the code nowhere else. */
export function exitCodeOf(text: string | undefined): number | undefined {
  if (!text || text.length < 11) return undefined;
  const c0 = text.charCodeAt(0);
  if (c0 !== 69 /* E */) return undefined;
  const m = EXIT_CODE.exec(text.slice(0, 40));
  return m?.[1] !== undefined ? Number.parseInt(m[1], 10) : undefined;
}

const API_STATUS = /^API Error:? \(?(\d{3})\b/;

export function apiStatusOf(text: string): number | undefined {
  const m = API_STATUS.exec(text);
  return m?.[1] !== undefined ? Number.parseInt(m[1], 10) : undefined;
}

/** `claude-opus-4-8[1m]` (init, modelUsage) is `claude-opus-4-8` with the 1M-context setting: the API model id is the part before. */
export function baseModel(model: string): string {
  const i = model.indexOf("[");
  return i > 0 && model.endsWith("]") ? model.slice(0, i) : model;
}

export function timeOf(ts: string | undefined): number | undefined {
  if (ts === undefined) return undefined;
  const t = Date.parse(ts);
  return Number.isFinite(t) ? t : undefined;
}
