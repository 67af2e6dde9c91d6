import type { Alert } from "../../schema/alert.js";
import type { Severity } from "../../schema/vocabulary.js";

/** Telegram's limit on one message's text (sendMessage `text`, after entity parsing). */
export const TELEGRAM_MAX_CHARS = 4096;
/** A label line's value is cut here, so only the free-text message can ever need a hard split. */
const MAX_VALUE_CHARS = 200;

const MARK: Record<Severity, string> = { info: "ℹ️", warning: "⚠️", error: "🔴", critical: "🚨" };

/** Escapes text for Telegram's HTML parse mode: only `&`, `<` and `>` are special there. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>]/g, (c) => (c === "&" ? "&amp;" : c === "<" ? "&lt;" : "&gt;"));
}

function cut(text: string, max = MAX_VALUE_CHARS): string {
  const chars = Array.from(text);
  return chars.length <= max ? text : `${chars.slice(0, max - 1).join("")}…`;
}

function clock(iso: string): string {
  return iso.length >= 19 ? `${iso.slice(0, 10)} ${iso.slice(11, 19)} UTC` : iso;
}

/**
 * The lines that describe an alert, as [label, value] pairs, in the order a person reads
 * them: what it is about, where, how often, what to do. Shared by the HTML and plain forms.
 */
function facts(alert: Alert): [string, string][] {
  const out: [string, string][] = [];
  const task = alert.task_id ? `${alert.task_id}${alert.project_id ? ` (${alert.project_id})` : ""}` : undefined;
  if (task) out.push(["Task", task]);
  out.push(["Attempt", alert.attempt_id]);
  const who = [alert.executor, alert.model].filter(Boolean).join(" · ");
  if (who) out.push(["Executor", who]);
  const span = alert.first_seen === alert.last_seen ? `at ${clock(alert.last_seen)}` : `${clock(alert.first_seen)} → ${clock(alert.last_seen)}`;
  out.push(["Seen", `${alert.occurrences}× ${span}`]);
  if (alert.error_fingerprint) out.push(["Fingerprint", alert.error_fingerprint + (alert.error_category ? ` (${alert.error_category})` : "")]);
  if (alert.tool_name) out.push(["Tool", alert.tool_name]);
  out.push(["Recommendation", alert.recommendation]);
  return out;
}

/**
 * An alert as Telegram HTML (parse_mode "HTML"). Every value is escaped; tags open and
 * close within one line and label values are bounded, so `splitMessage` can cut between
 * lines (or, for a long message, inside a tag-free line) without breaking the markup.
 */
export function formatAlertHtml(alert: Alert): string {
  const head = `${MARK[alert.severity]} <b>${escapeHtml(alert.type)}</b> · ${escapeHtml(alert.severity)}`;
  const lines = facts(alert).map(([k, v]) => `<b>${k}:</b> ${k === "Fingerprint" || k === "Attempt" ? `<code>${escapeHtml(cut(v))}</code>` : escapeHtml(cut(v))}`);
  const body = alert.message.trim() ? `\n\n${escapeHtml(alert.message.trim())}` : "";
  return `${head}\n${lines.join("\n")}${body}`;
}

/** An alert as plain text (webhook payloads, hook environment): no markup. */
export function formatAlertText(alert: Alert): string {
  const head = `[${alert.severity}] ${alert.type}`;
  const lines = facts(alert).map(([k, v]) => `${k}: ${cut(v)}`);
  return `${head}\n${lines.join("\n")}${alert.message.trim() ? `\n\n${alert.message.trim()}` : ""}`;
}

/**
 * Splits a message into parts of at most `max` UTF-16 code units (Telegram counts its limit
 * after parsing entities, so measuring the escaped HTML is conservative). Cuts at the last
 * line break that fits; a single longer line is cut hard, but never inside an HTML entity
 * (`&amp;`) or a surrogate pair. Parts are never empty, and joining them (with the line
 * breaks that were cut at, and blank lines at a cut dropped) gives back the text.
 */
export function splitMessage(text: string, max = TELEGRAM_MAX_CHARS): string[] {
  if (max < 16) throw new Error("splitMessage: max must be at least 16");
  const parts: string[] = [];
  let rest = text;
  while (rest.length > max) {
    const nl = rest.lastIndexOf("\n", max);
    if (nl > 0) {
      const part = rest.slice(0, nl).replace(/\n+$/, "");
      if (part) parts.push(part);
      rest = rest.slice(nl + 1).replace(/^\n+/, ""); // Telegram refuses a part that is only line breaks
      continue;
    }
    let at = max;
    const amp = rest.lastIndexOf("&", at - 1);
    if (amp !== -1 && amp > at - 8 && !rest.slice(amp, at).includes(";")) at = amp; // inside an entity
    const code = rest.charCodeAt(at - 1);
    if (code >= 0xd800 && code <= 0xdbff) at--; // would leave half a surrogate pair
    parts.push(rest.slice(0, at));
    rest = rest.slice(at);
  }
  if (rest.length > 0 || parts.length === 0) parts.push(rest);
  return parts;
}
