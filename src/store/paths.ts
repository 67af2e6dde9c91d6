import { createHash } from "node:crypto";
import { join } from "node:path";
import { redactString } from "./redact.js";

/** Where everything lives inside a log directory (SPEC §1). */
export interface LogPaths {
  dir: string;
  stream: string;
  sessions: string;
  errors: string;
  metrics: string;
  alerts: string;
  archive: string;
  /** Bookkeeping: per-attempt counters and locks, tail offsets, outbox, schedules. */
  state: string;
  attemptState: string;
  /** One line per rotation (live name, inode, archive name): followers find every rotated file from it. */
  rotations: string;
  reports: string;
}

export const DEFAULT_STREAM_FILE = "agent-work-stream.jsonl";

export function logPaths(dir: string, streamFile: string = DEFAULT_STREAM_FILE): LogPaths {
  const state = join(dir, ".state");
  return {
    dir,
    stream: join(dir, streamFile),
    sessions: join(dir, "agent-sessions"),
    errors: join(dir, "agent-errors.jsonl"),
    metrics: join(dir, "agent-metrics.jsonl"),
    alerts: join(dir, "agent-alerts.jsonl"),
    archive: join(dir, "archive"),
    state,
    attemptState: join(state, "attempts"),
    rotations: join(state, "rotations.jsonl"),
    reports: join(dir, ".cache", "reports"),
  };
}

const SAFE_CHAR = /[A-Za-z0-9._-]/;
const MAX_READABLE = 80;
// Names Windows refuses for a file whatever the extension; kept out so a log directory can be copied there.
const WINDOWS_RESERVED = /^(con|prn|aux|nul|com[0-9]|lpt[0-9])(\..*)?$/i;

/**
 * The file name (without `.jsonl`) of an attempt's session file. `attempt_id` comes from
 * users and agents and is never trusted as a path:
 *
 * - an id made only of `A-Z a-z 0-9 . _ -`, at most 80 characters, not starting with a dot
 *   and not a Windows device name, is used as it is (`ve-a1b2-task` → `ve-a1b2-task`);
 * - any other id keeps a readable part (unsafe characters become `_`, runs collapse, leading
 *   dots go, cut at 80) followed by `-` and the first 12 hex digits of the SHA-256 of the id,
 *   so distinct ids never share a file (`../../x` → `x-1e5c8…`, `a/b` → `a_b-…`).
 *
 * - an id holding a secret (`ghp_…`) keeps only the redacted readable part, with the hash.
 *
 * The result contains no separator, is never `.` or `..`, and so always lands inside
 * `agent-sessions/`. The event keeps the original id.
 */
export function attemptFileName(attemptId: string): string {
  if (attemptId.length === 0) throw new Error("attempt_id must not be empty");
  // The events hold the id redacted, like all text; the file name must not show what they hide.
  const shown = redactString(attemptId);
  if (shown === attemptId && isPlainName(attemptId)) return attemptId;
  let readable = "";
  for (const ch of shown) {
    if (readable.length >= MAX_READABLE) break;
    readable += SAFE_CHAR.test(ch) ? ch : "_";
  }
  readable = readable.replace(/_+/g, "_").replace(/^[._]+/, "").replace(/[._]+$/, "");
  const hash = createHash("sha256").update(attemptId, "utf8").digest("hex").slice(0, 12);
  return readable ? `${readable}-${hash}` : hash;
}

function isPlainName(id: string): boolean {
  if (id.length > MAX_READABLE || id.startsWith(".") || WINDOWS_RESERVED.test(id)) return false;
  for (let i = 0; i < id.length; i++) if (!SAFE_CHAR.test(id[i]!)) return false;
  return true;
}

export function sessionFile(paths: LogPaths, attemptId: string): string {
  return join(paths.sessions, `${attemptFileName(attemptId)}.jsonl`);
}
