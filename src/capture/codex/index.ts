import { type Adapter, type LineParser, type RestoreResult, restoreParser, type SourceFormat } from "../adapter.js";
import { CODEX_SESSION_SNAPSHOT_VERSION, CodexSessionParser, codexSessionState } from "./session.js";
import { obj, parseObject, str } from "./shared.js";
import { CODEX_STREAM_SNAPSHOT_VERSION, CodexStreamParser, codexStreamState } from "./stream.js";

export { CodexSessionParser } from "./session.js";
export { CodexStreamParser } from "./stream.js";

/** `codex exec --json` types are dotted; `error` alone is not Codex's (Gemini prints one too). */
const STREAM_TYPES = new Set(["thread.started", "turn.started", "turn.completed", "turn.failed", "item.started", "item.updated", "item.completed"]);
/** Envelope types a rollout can start with: a fork or a truncated copy need not begin at `session_meta`. */
const ENVELOPE_TYPES = new Set(["session_meta", "response_item", "event_msg", "turn_context", "compacted", "token_usage_record", "world_state"]);
/** The bare header rollouts had before the envelope (Codex of mid 2025): `{id, timestamp, instructions, …}`. */
const LEGACY_HEADER_KEYS = new Set(["id", "timestamp", "instructions", "cwd", "originator", "cli_version", "git", "model", "source", "model_provider"]);

export function detectCodex(firstLine: string): SourceFormat | undefined {
  const rec = parseObject(firstLine.charCodeAt(0) === 0xfeff ? firstLine.slice(1) : firstLine);
  if (!rec) return undefined;
  const type = str(rec.type);
  if (type !== undefined) {
    if (STREAM_TYPES.has(type)) return "stream";
    if (ENVELOPE_TYPES.has(type) && obj(rec.payload) && typeof rec.timestamp === "string") return "session";
    return undefined;
  }
  const keys = Object.keys(rec);
  if (typeof rec.id === "string" && typeof rec.timestamp === "string" && keys.every((k) => LEGACY_HEADER_KEYS.has(k))) return "session";
  return undefined;
}

export const codexAdapter: Adapter = {
  id: "codex",
  detect: detectCodex,
  parser(format: SourceFormat): LineParser {
    return format === "stream" ? new CodexStreamParser() : new CodexSessionParser();
  },
  restore(format: SourceFormat, snapshot: unknown): RestoreResult {
    return format === "stream"
      ? restoreParser(snapshot, { adapter: "codex", format, version: CODEX_STREAM_SNAPSHOT_VERSION }, codexStreamState, (st) => CodexStreamParser.fromState(st))
      : restoreParser(snapshot, { adapter: "codex", format, version: CODEX_SESSION_SNAPSHOT_VERSION }, codexSessionState, (st) => CodexSessionParser.fromState(st));
  },
};
