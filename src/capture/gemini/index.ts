import type { Adapter, Captured, LineParser, RestoreResult, SessionFacts, SourceFormat } from "../adapter.js";
import { emptyFacts, restoreParser } from "../adapter.js";
import { isObj } from "./common.js";
import { GEMINI_SESSION_SNAPSHOT_VERSION, GeminiSessionParser, geminiSessionState } from "./session.js";
import { GEMINI_STREAM_SNAPSHOT_VERSION, GeminiStreamParser, geminiStreamState } from "./stream.js";

/**
 * Gemini CLI: `gemini -p … --output-format stream-json` on stdout ("stream") and its chat
 * session files ("session": JSONL since ~0.3x, one JSON document before). What each maps to,
 * and why, is in stream.ts and session.ts.
 *
 * stderr is not parsed here (the text adapter takes it), but it is where Gemini CLI reports
 * what stdout only shows as a gap: "Attempt n failed with status 503. Retrying with backoff...
 * _ApiError: {…}" plus a stack trace ending in "  status: 503\n}" per retried API call,
 * "Attempt 10 failed: … Max attempts reached", and "Error when talking to Gemini API Full report
 * available at: <tmp>/gemini-client-error-….json RetryableQuotaError: …" with its stack. The
 * rest is start-up noise (colour/YOLO/ripgrep warnings, "[STARTUP] …").
 */

export { GeminiSessionParser } from "./session.js";
export { GeminiStreamParser, resultUsage } from "./stream.js";

function detect(firstLine: string): SourceFormat | undefined {
  const text = firstLine.trim().replace(/^\uFEFF/, "");
  if (text.charCodeAt(0) !== 123 /* { */) return undefined;
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (!isObj(v)) return undefined;
  if (v["type"] === "init" && typeof v["session_id"] === "string" && "model" in v) return "stream";
  if (v["type"] === undefined && typeof v["sessionId"] === "string" && (typeof v["projectHash"] === "string" || typeof v["startTime"] === "string") && !Array.isArray(v["messages"])) {
    return "session";
  }
  return undefined;
}

function detectDocument(value: unknown): boolean {
  return isObj(value) && typeof value["sessionId"] === "string" && Array.isArray(value["messages"]) && value["type"] === undefined;
}

function parseDocument(value: unknown): { events: Captured[]; facts: SessionFacts } {
  if (!isObj(value)) {
    const facts = emptyFacts();
    facts.skipped_lines = 1;
    return { events: [], facts };
  }
  const p = new GeminiSessionParser();
  const events = p.document(value);
  return { events, facts: p.facts() };
}

export const geminiAdapter: Adapter = {
  id: "gemini",
  detect,
  parser(format: SourceFormat): LineParser {
    return format === "stream" ? new GeminiStreamParser() : new GeminiSessionParser();
  },
  restore(format: SourceFormat, snapshot: unknown): RestoreResult {
    return format === "stream"
      ? restoreParser(snapshot, { adapter: "gemini", format, version: GEMINI_STREAM_SNAPSHOT_VERSION }, geminiStreamState, (st) => GeminiStreamParser.fromState(st))
      : restoreParser(snapshot, { adapter: "gemini", format, version: GEMINI_SESSION_SNAPSHOT_VERSION }, geminiSessionState, (st) => GeminiSessionParser.fromState(st));
  },
  detectDocument,
  parseDocument,
};
