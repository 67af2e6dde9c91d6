import { type Adapter, restoreParser, type SourceFormat } from "../adapter.js";
import { CLAUDE_SNAPSHOT_VERSION, ClaudeParser, claudeState } from "./parser.js";
import { isRec } from "./records.js";

/** Types stdout (stream-json) prints besides `system`, recognised when a capture starts mid-run. */
const STREAM_TYPES = new Set(["assistant", "user", "result", "stream_event"]);

/** Record types of the session transcript that name no chain position (no parentUuid). */
const SESSION_TYPES = new Set(["queue-operation", "file-history-snapshot", "last-prompt", "custom-title", "summary", "attachment", "progress", "system"]);

/**
 * Which Claude Code format a first line belongs to. stdout uses snake_case (`session_id`),
 * the transcript camelCase (`sessionId`, `parentUuid`): that, not the type, tells them apart,
 * since both have `user`/`assistant`/`system` records. Gemini's session header also has a
 * `sessionId`, but no `type`, and its `user` records no `message`, so neither is taken here.
 */
export function detectClaude(firstLine: string): SourceFormat | undefined {
  if (firstLine.charCodeAt(0) !== 123 /* { */) return undefined;
  let v: unknown;
  try {
    v = JSON.parse(firstLine);
  } catch {
    return undefined;
  }
  if (!isRec(v)) return undefined;
  const type = v.type;
  if (typeof type !== "string") return undefined;
  if (typeof v.session_id === "string" && !("sessionId" in v)) {
    if (type === "system") return "stream";
    if (STREAM_TYPES.has(type) && (isRec(v.message) || isRec(v.event) || typeof v.is_error === "boolean")) return "stream";
    return undefined;
  }
  if ("parentUuid" in v || "isSidechain" in v) return "session";
  if (type === "queue-operation" || type === "file-history-snapshot") return "session";
  if (type === "summary") return typeof v.leafUuid === "string" || typeof v.summary === "string" ? "session" : undefined;
  if ((type === "user" || type === "assistant") && isRec(v.message) && (typeof v.sessionId === "string" || typeof v.uuid === "string")) return "session";
  if (typeof v.sessionId === "string" && SESSION_TYPES.has(type)) return "session";
  return undefined;
}

export const claudeAdapter: Adapter = {
  id: "claude",
  detect: detectClaude,
  parser: (format) => new ClaudeParser(format),
  restore: (format, snapshot) =>
    restoreParser(snapshot, { adapter: "claude", format, version: CLAUDE_SNAPSHOT_VERSION }, claudeState, (st) => ClaudeParser.fromState(format, st)),
};

export { ClaudeParser } from "./parser.js";
