import { createHash } from "node:crypto";
import { closeSync, existsSync, openSync, readdirSync, readFileSync, readSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import type { AwlConfig } from "../config/index.js";
import type { Usage } from "../schema/index.js";
import { readStreamText, writeFileAtomic } from "../store/fs.js";
import { logPaths, sessionFile } from "../store/paths.js";
import { forEachEvent, readLines, type ReadStats } from "../store/reader.js";
import { LogWriter } from "../store/writer.js";
import type { Adapter, Captured, SessionFacts, SourceFormat } from "./adapter.js";
import { addUsage } from "./adapter.js";
import { detectDocument, detectLine } from "./detect.js";
import { estimateCost } from "../schema/pricing.js";
import { type BatchItem, capturedItem, Recorder, withFingerprint } from "./recorder.js";

/**
 * `awl import`: records existing agent output — saved stdout streams and the agents' own
 * session stores — as attempts named `<agent>-<session id>`. Idempotent: a file unchanged
 * since it was imported is skipped by its size, time and first bytes; any event already in
 * the attempt (same `record_id`, or the same content for events without one) is not
 * written again, so importing a session's stream and its session file yields one session.
 */

export interface ImportOptions {
  paths: string[];
  config: AwlConfig;
  /** For `-`. */
  stdin?: NodeJS.ReadableStream;
  onProgress?: (p: { files: number; totalFiles: number; bytes: number; totalBytes: number }) => void;
  now?: () => number;
}

export interface ImportSummary {
  files: number;
  unchanged: number;
  sessions: number;
  events: number;
  duplicates: number;
  skipped_lines: Record<string, number>;
  unknown_records: Record<string, number>;
  skipped_files: { path: string; reason: string }[];
}

interface FileState {
  size: number;
  mtimeMs: number;
  head: string;
}

const EXECUTORS: Record<string, string> = { claude: "CLAUDE", codex: "CODEX", gemini: "GEMINI" };

export async function importPaths(opts: ImportOptions): Promise<ImportSummary> {
  const summary: ImportSummary = { files: 0, unchanged: 0, sessions: 0, events: 0, duplicates: 0, skipped_lines: {}, unknown_records: {}, skipped_files: [] };
  const writer = new LogWriter({ logDir: opts.config.logDir, streamFile: opts.config.streamFile, enabled: opts.config.enabled, now: opts.now });
  const stateDir = join(logPaths(opts.config.logDir).state, "import");
  const files: string[] = [];
  let stdinUsed = false;
  for (const p of opts.paths) {
    if (p === "-") stdinUsed = true;
    else for (const f of expand(resolve(p), summary)) files.push(f);
  }
  const totalBytes = files.reduce((s, f) => s + sizeOf(f), 0);
  let bytes = 0;
  try {
    if (stdinUsed && opts.stdin) {
      const text = await readStreamText(opts.stdin);
      await importText("-", text.split("\n"), undefined, writer, summary, new Date((opts.now ?? Date.now)()).toISOString());
    }
    for (const [i, file] of files.entries()) {
      bytes += sizeOf(file);
      await importFile(file, stateDir, writer, summary);
      opts.onProgress?.({ files: i + 1, totalFiles: files.length, bytes, totalBytes });
    }
  } finally {
    writer.close();
  }
  return summary;
}

function expand(path: string, summary: ImportSummary): string[] {
  let st: import("node:fs").Stats;
  try {
    st = statSync(path);
  } catch (err) {
    summary.skipped_files.push({ path, reason: (err as NodeJS.ErrnoException).code ?? "unreadable" });
    return [];
  }
  if (st.isFile()) return [path];
  if (!st.isDirectory()) return [];
  const out: string[] = [];
  let entries: import("node:fs").Dirent[];
  try {
    entries = readdirSync(path, { withFileTypes: true });
  } catch (err) {
    summary.skipped_files.push({ path, reason: (err as NodeJS.ErrnoException).code ?? "unreadable" });
    return [];
  }
  for (const e of entries.sort((a, b) => a.name.localeCompare(b.name))) {
    const p = join(path, e.name);
    if (e.isDirectory()) for (const f of expand(p, summary)) out.push(f);
    else if (e.isFile() && /\.jsonl?$/.test(e.name)) out.push(p);
  }
  return out;
}

async function importFile(path: string, stateDir: string, writer: LogWriter, summary: ImportSummary): Promise<void> {
  const statePath = join(stateDir, `${createHash("sha256").update(path).digest("hex").slice(0, 24)}.json`);
  let st: import("node:fs").Stats;
  try {
    st = statSync(path);
    const before = readState(statePath);
    // The first bytes are read only when size and time agree: a file that changed is read whole below anyway.
    if (before && before.size === st.size && before.mtimeMs === st.mtimeMs && before.head === headHash(readHead(path))) {
      summary.unchanged++;
      return;
    }
  } catch (err) {
    summary.skipped_files.push({ path, reason: (err as NodeJS.ErrnoException).code ?? "unreadable" });
    return;
  }
  summary.files++;
  const whole = st.size <= WHOLE_FILE_BYTES ? readFileSync(path) : undefined;
  const head = whole ? whole.subarray(0, HEAD_BYTES) : readHead(path);
  if (head.includes(0)) {
    summary.skipped_files.push({ path, reason: "binary, not an agent log" });
    return;
  }
  const { lines, torn, oversized } = whole ? splitWhole(whole.toString("utf8")) : await readStreamed(path);
  if (torn) add(summary.skipped_lines, "torn last line", torn);
  if (oversized) add(summary.skipped_lines, "oversized line", oversized);
  const ok = await importText(path, lines, path.endsWith(".json") ? () => readFileSync(path, "utf8") : undefined, writer, summary, st.mtime.toISOString());
  if (ok) writeFileAtomic(statePath, JSON.stringify({ size: st.size, mtimeMs: st.mtimeMs, head: headHash(head) } satisfies FileState));
}

/** Parses one source (a file's lines, or stdin) and records it; false when it is no agent log. */
async function importText(
  label: string,
  lines: string[],
  wholeText: (() => string) | undefined,
  writer: LogWriter,
  summary: ImportSummary,
  /** When the source names no time at all (Codex's `exec --json` prints none): the file's last write, or now for stdin. */
  untimedAt: string,
): Promise<boolean> {
  const first = lines.find((l) => l.trim() !== "");
  let parsed: { adapter: Adapter; format: SourceFormat; events: Captured[]; facts: SessionFacts } | undefined;
  const found = first ? detectLine(first) : undefined;
  if (found) {
    const parser = found.adapter.parser(found.format);
    const events: Captured[] = [];
    for (const line of lines) events.push(...parser.line(line));
    events.push(...parser.end());
    parsed = { adapter: found.adapter, format: found.format, events, facts: parser.facts() };
  } else if (wholeText || (first?.trim().startsWith("{") && lines.length > 1)) {
    try {
      const value: unknown = JSON.parse(wholeText ? wholeText() : lines.join("\n"));
      const adapter = detectDocument(value);
      if (adapter?.parseDocument) parsed = { adapter, format: "session", ...adapter.parseDocument(value) };
    } catch {
      // not one JSON document either
    }
  }
  if (!parsed) {
    summary.skipped_files.push({ path: label, reason: first ? "not a Claude Code, Codex or Gemini CLI log" : "empty" });
    return false;
  }
  const { adapter, format, events, facts } = parsed;
  add(summary.skipped_lines, "not a record", facts.skipped_lines);
  for (const [type, n] of Object.entries(facts.unknown_records)) add(summary.unknown_records, `${adapter.id}:${type}`, n);
  const sessionId = facts.session_id ?? createHash("sha256").update(label).digest("hex").slice(0, 16);
  const attemptId = `${adapter.id}-${sessionId}`;
  const existing = await existingAttempt(writer, attemptId);
  const recorder = new Recorder({
    writer,
    source: "import",
    attemptId,
    sessionId,
    executor: EXECUTORS[adapter.id] ?? adapter.id,
    model: facts.model,
  });
  const startAt = facts.started_at ?? events.find((e) => e.timestamp)?.timestamp;
  const fallbackAt = startAt ?? untimedAt;
  if (!existing.started) {
    recorder.start(
      { ...(facts.prompt ? { prompt: facts.prompt } : {}), prompt_type: "initial", ...(facts.cwd ? { cwd: facts.cwd } : {}), import_format: format, agent_version: facts.agent_version },
      { timestamp: fallbackAt },
    );
    summary.sessions++;
  }
  // A second source of a session already recorded from another format adds only what it alone has.
  const otherFormat = existing.formats.size > 0 && !existing.formats.has(format);
  const batch: BatchItem[] = [];
  let lastAt = fallbackAt;
  let usage: Usage | undefined;
  for (const c of events) {
    if (otherFormat && !(format === "stream" ? c.presence === "stream_only" : isToolFailure(c, existing))) {
      summary.duplicates++;
      continue;
    }
    const key = c.key ?? contentKey(c);
    if (existing.keys.has(key)) {
      summary.duplicates++;
      continue;
    }
    existing.keys.add(key);
    const at = c.timestamp ?? lastAt;
    lastAt = at;
    usage = addUsage(usage, (c.data as { usage?: Usage }).usage);
    batch.push(capturedItem(c, at, key));
    if (batch.length >= 500) recorder.events(batch.splice(0));
  }
  recorder.events(batch);
  summary.events += batch.length;
  if (existing.ended && facts.total_usage && facts.total_usage.total_tokens !== existing.endTotalTokens) {
    // The session was recorded from a source without the agent's own totals (Gemini CLI's session
    // file leaves out its router model's tokens; its stream's result counts them): the later
    // metrics record supersedes the first one's figures.
    let cost = facts.cost_usd;
    const estimated = cost === undefined;
    cost ??= estimateCost(facts.model, facts.total_usage);
    recorder.metrics({
      timestamp: facts.ended_at ?? lastAt,
      metrics: {
        usage: facts.total_usage,
        total_tokens: facts.total_usage.total_tokens,
        ...(cost !== undefined ? { cost_usd: cost, cost_estimated: estimated } : {}),
      },
    });
  }
  if (!existing.ended) {
    const total = facts.total_usage ?? usage;
    let cost = facts.cost_usd;
    const estimated = cost === undefined;
    cost ??= estimateCost(facts.model, total);
    const endAt = facts.ended_at ?? lastAt;
    recorder.end(
      {
        completion_status: facts.status ?? "success",
        ...(facts.started_at && facts.ended_at ? { duration_ms: Math.max(0, Date.parse(facts.ended_at) - Date.parse(facts.started_at)) } : {}),
        ...(total ? { usage: total, total_tokens: total.total_tokens } : {}),
        ...(cost !== undefined ? { cost_usd: cost, cost_estimated: estimated } : {}),
        ...(facts.error ? { error: facts.error } : {}),
      },
      { timestamp: endAt },
    );
  }
  recorder.close();
  return true;
}

/** Files up to this size are read in one call (most session files); larger ones are streamed in bounded memory. */
const WHOLE_FILE_BYTES = 64 * 1024 * 1024;

interface ReadResult {
  lines: string[];
  torn: number;
  oversized: number;
}

function splitWhole(text: string): ReadResult {
  const lines = text.split("\n");
  const last = lines.pop() ?? "";
  let torn = 0;
  // A last line without its newline is kept when it is whole (a finished file), else it is torn.
  if (last.trim() !== "") {
    try {
      JSON.parse(last);
      lines.push(last);
    } catch {
      torn = 1;
    }
  }
  return { lines: lines.filter((l) => l.trim() !== "").map((l) => (l.endsWith("\r") ? l.slice(0, -1) : l)), torn, oversized: 0 };
}

async function readStreamed(path: string): Promise<ReadResult> {
  const lines: string[] = [];
  let stats: ReadStats | undefined;
  const it = readLines(path);
  for (;;) {
    const r = await it.next();
    if (r.done) {
      stats = r.value;
      break;
    }
    for (const l of r.value) lines.push(l); // not push(...batch): a batch can outgrow the call stack
  }
  return { lines, torn: stats.skipped.torn_final, oversized: stats.skipped.oversized };
}

interface Existing {
  started: boolean;
  ended: boolean;
  /** `session_end.data.total_tokens` as recorded. */
  endTotalTokens?: number;
  keys: Set<string>;
  formats: Set<string>;
  failedCalls: Set<string>;
  /** Tool failures already recorded, by fingerprint: a second source whose call ids differ (Codex's stream says `item_3`, its session file `call_…`) matches them by what failed. */
  toolFailures: Map<string, number>;
}

/** What an attempt already holds: read from its session file, the truth, not from a side index. */
async function existingAttempt(writer: LogWriter, attemptId: string): Promise<Existing> {
  const e: Existing = { started: false, ended: false, keys: new Set(), formats: new Set(), failedCalls: new Set(), toolFailures: new Map() };
  const path = sessionFile(writer.paths, attemptId);
  if (!existsSync(path)) return e;
  writer.releaseLocks(); // what this process wrote is on disk before it is read back
  await forEachEvent(path, (ev) => {
    const d = ev.data as { record_id?: string; import_format?: string; tool_call_id?: string; result?: string };
    if (ev.event_type === "session_start") {
      e.started = true;
      if (d.import_format) e.formats.add(d.import_format);
    }
    if (ev.event_type === "session_end") {
      e.ended = true;
      e.endTotalTokens = (ev.data as { total_tokens?: number }).total_tokens;
    }
    if (d.record_id) e.keys.add(d.record_id);
    if ((ev.event_type === "error" || d.result === "error") && d.tool_call_id) e.failedCalls.add(d.tool_call_id);
    const fp = (ev.data as { error_fingerprint?: string }).error_fingerprint;
    if (ev.event_type === "error" && d.tool_call_id && fp) e.toolFailures.set(fp, (e.toolFailures.get(fp) ?? 0) + 1);
  });
  return e;
}

/**
 * A tool failure the first source did not record (Gemini CLI's stream reports a failed shell
 * command as a success; only its session file knows). One the first source has, under the
 * same call id or, where the sources name calls differently, as one more failure of the
 * same fingerprint, is the same failure again.
 */
function isToolFailure(c: Captured, existing: Existing): boolean {
  if (c.event_type !== "error") return false;
  const id = c.data.tool_call_id;
  if (id === undefined || existing.failedCalls.has(id)) return false;
  const fp = withFingerprint(c.data).error_fingerprint ?? "";
  const left = existing.toolFailures.get(fp) ?? 0;
  if (left === 0) return true;
  existing.toolFailures.set(fp, left - 1);
  return false;
}

/** A key for an event the adapter gave none: its type, time and content. */
function contentKey(c: Captured): string {
  return `h:${createHash("sha256").update(`${c.event_type}\0${c.timestamp ?? ""}\0${JSON.stringify(c.data)}`).digest("hex").slice(0, 24)}`;
}

const HEAD_BYTES = 4096;

function readHead(path: string): Buffer {
  const fd = openSync(path, "r");
  try {
    const b = Buffer.alloc(HEAD_BYTES);
    return b.subarray(0, readSync(fd, b, 0, HEAD_BYTES, 0));
  } finally {
    closeSync(fd);
  }
}

function headHash(head: Buffer): string {
  return createHash("sha256").update(head).digest("hex").slice(0, 24);
}

function readState(path: string): FileState | undefined {
  try {
    return JSON.parse(readFileSync(path, "utf8")) as FileState;
  } catch {
    return undefined;
  }
}

function sizeOf(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}

function add(into: Record<string, number>, key: string, n: number): void {
  if (n > 0) into[key] = (into[key] ?? 0) + n;
}
