import { createHash } from "node:crypto";
import { closeSync, existsSync, fstatSync, openSync, readFileSync, readSync, statSync, } from "node:fs";
import type { Usage } from "../schema/index.js";
import { estimateCost } from "../schema/pricing.js";
import { sessionFile } from "../store/paths.js";
import { DEFAULT_MAX_LINE_BYTES } from "../store/reader.js";
import type { LogWriter } from "../store/writer.js";
import { AGENT_IDS, type Adapter, type AgentId, addUsage, type Captured, type LineParser, type ParserSnapshot, type SessionFacts, type SourceFormat } from "./adapter.js";
import { adapterFor, detectDocument, detectLine } from "./detect.js";
import { type FileState, readResume } from "./import-state.js";
import { type BatchItem, capturedItem, Recorder, withFingerprint } from "./recorder.js";

/**
 * One source's import: read a file (or stdin's text), detect its agent and format, parse it,
 * and record what the attempt does not hold yet. Runs in whichever thread imports the file
 * (import.ts decides); everything it needs comes in the context.
 */

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

export function emptySummary(): ImportSummary {
  return { files: 0, unchanged: 0, sessions: 0, events: 0, duplicates: 0, skipped_lines: {}, unknown_records: {}, skipped_files: [] };
}

/** Adds one file's (or one thread's) summary into the total. */
export function mergeSummary(into: ImportSummary, from: ImportSummary): void {
  into.files += from.files;
  into.unchanged += from.unchanged;
  into.sessions += from.sessions;
  into.events += from.events;
  into.duplicates += from.duplicates;
  for (const [k, n] of Object.entries(from.skipped_lines)) add(into.skipped_lines, k, n);
  for (const [k, n] of Object.entries(from.unknown_records)) add(into.unknown_records, k, n);
  into.skipped_files.push(...from.skipped_files);
}

/**
 * Exclusive use of an attempt while one source of it is read against what it holds and
 * recorded: two threads importing a session's stream and its session file at once must not
 * both find the attempt empty. Resolves to the release.
 */
export type ClaimAttempt = (attemptId: string) => Promise<() => void>;

export const noClaim: ClaimAttempt = async () => () => {};

export interface ImportContext {
  writer: LogWriter;
  /** `.state/import/`, where saved parser states are read from. */
  stateDir: string;
  /** Remembers a file as imported: the journal (ImportJournal.record), written by one thread of the import. */
  remember: (path: string, state: Omit<FileState, "resume">, resume: string | undefined) => void;
  summary: ImportSummary;
  claim: ClaimAttempt;
}

interface Resume {
  /** Byte offset just past the last line parsed. */
  offset: number;
  snapshot: ParserSnapshot;
  /** The time the last event was given, for the next one that names none. */
  lastAt: string;
  /** What the parser had counted at the snapshot: the summary reports only what the new lines add. */
  skippedLines: number;
  unknownRecords: Record<string, number>;
  /** The attempt as this import left it: while its session file has this size, nothing else wrote to it, and it need not be read again. */
  attempt: KnownAttempt;
}

/** What record() needs to know of an attempt only this file wrote to. */
interface KnownAttempt {
  id: string;
  /** Its session file's size after the import. */
  size: number;
  /** The source formats recorded in it (a merged attempt is read back in full). */
  formats: string[];
  endTotalTokens?: number;
  usage?: Usage;
  toolCalls: number;
  errors: number;
  /** Keys of the events the parser flushed at the end: the restored parser gives them again. */
  heldKeys: string[];
}

/**
 * A file written to within this long is likely a session still running: its parser's state is
 * kept (tens of kB at most), so when it grows only the new lines are read. An older file that
 * grows after all is read again from its start, and what it already gave is recognised.
 */
const RESUME_WINDOW_MS = 24 * 3600 * 1000;
/** A snapshot larger than this is not kept; the file is then read from its start if it grows. */
const MAX_SNAPSHOT_CHARS = 512 * 1024;

const EXECUTORS: Record<string, string> = { claude: "CLAUDE", codex: "CODEX", gemini: "GEMINI" };

/**
 * True when `path` is as it was when last imported: same size, time and first bytes. The
 * first bytes are read only when size and time agree: a changed file is read whole anyway.
 */
export function isUnchanged(path: string, before: FileState | undefined): boolean {
  try {
    const st = statSync(path);
    return before !== undefined && before.size === st.size && before.mtimeMs === st.mtimeMs && before.head === headHash(readHead(path));
  } catch {
    return false; // importFile reports why it cannot be read
  }
}

/** Imports one file the caller found changed (isUnchanged) and remembers it as imported. */
export async function importFile(path: string, before: FileState | undefined, ctx: ImportContext, now = Date.now()): Promise<void> {
  const { summary } = ctx;
  let st: import("node:fs").Stats;
  let head: Buffer;
  try {
    st = statSync(path);
    head = readHead(path);
  } catch (err) {
    summary.skipped_files.push({ path, reason: (err as NodeJS.ErrnoException).code ?? "unreadable" });
    return;
  }
  summary.files++;
  if (head.includes(0)) {
    summary.skipped_files.push({ path, reason: "binary, not an agent log" });
    return;
  }
  const resumed = before?.resume ? resumable(before, readResume(ctx.stateDir, path, before) as Resume | undefined, st.size, head) : undefined;
  const read = readLinesFrom(path, resumed?.offset ?? 0);
  add(summary.skipped_lines, "torn last line", read.torn);
  add(summary.skipped_lines, "oversized line", read.oversized);
  const source = resumed ? resumed.go(read.lines) : parseSource(read.lines, path.endsWith(".json") ? () => readFileSync(path, "utf8") : undefined);
  if (!source) {
    summary.skipped_files.push({ path, reason: read.lines.length > 0 ? "not a Claude Code, Codex or Gemini CLI log" : "empty" });
    return;
  }
  const { lastAt, attempt } = await recordSource(path, source, ctx, resumed?.lastAt ?? st.mtime.toISOString(), resumed?.attempt);
  const snapshot = now - st.mtimeMs < RESUME_WINDOW_MS ? source.snapshot : undefined;
  const resume: Resume | undefined = snapshot && { offset: read.consumed, snapshot, lastAt, skippedLines: source.facts.skipped_lines, unknownRecords: source.facts.unknown_records, attempt };
  const resumeText = resume && JSON.stringify(resume);
  ctx.remember(path, { size: st.size, mtimeMs: st.mtimeMs, head: headHash(head), headBytes: head.length }, resumeText !== undefined && resumeText.length <= MAX_SNAPSHOT_CHARS ? resumeText : undefined);
}

/** stdin's text: parsed and recorded like a file, with nothing to remember. */
export async function importText(text: string, ctx: ImportContext, untimedAt: string): Promise<void> {
  const lines = text.split("\n").filter((l) => l.trim() !== "");
  const source = parseSource(lines, undefined);
  if (source) await recordSource("-", source, ctx, untimedAt, undefined);
  else ctx.summary.skipped_files.push({ path: "-", reason: lines.length > 0 ? "not a Claude Code, Codex or Gemini CLI log" : "empty" });
}

/** A source parsed: its events, the facts, and (line formats) the parser's state after its last line. */
interface Source {
  adapter: Adapter;
  format: SourceFormat;
  events: Captured[];
  facts: SessionFacts;
  snapshot?: ParserSnapshot;
  /** Keys of the events end() flushed (see KnownAttempt.heldKeys). */
  heldKeys?: string[];
  /** Counted by an earlier import of the same file (a resumed parser's facts cover the whole file). */
  countedBefore?: { skippedLines: number; unknownRecords: Record<string, number> };
}

function parseSource(lines: readonly string[], wholeText: (() => string) | undefined): Source | undefined {
  const first = lines[0];
  const found = first !== undefined ? detectLine(first) : undefined;
  if (found) return parseLines(found.adapter, found.format, found.adapter.parser(found.format), lines);
  if (!wholeText && !(first?.trim().startsWith("{") && lines.length > 1)) return undefined;
  try {
    const value: unknown = JSON.parse(wholeText ? wholeText() : lines.join("\n"));
    const adapter = detectDocument(value);
    return adapter?.parseDocument ? { adapter, format: "session", ...adapter.parseDocument(value) } : undefined;
  } catch {
    return undefined; // not one JSON document either
  }
}

function parseLines(adapter: Adapter, format: SourceFormat, parser: LineParser, lines: readonly string[]): Source {
  const events: Captured[] = [];
  for (const line of lines) for (const e of parser.line(line)) events.push(e);
  // Taken before end(): what end() flushes now (a response still waiting for its final usage) the
  // restored parser holds again, so a grown file gives it in its final form.
  const snapshot = parser.snapshot();
  const held = parser.end();
  for (const e of held) events.push(e);
  return { adapter, format, events, facts: parser.facts(), snapshot, heldKeys: held.map((c) => c.key ?? contentKey(c)) };
}

/**
 * The parser a file's last import left, when the file only grew since: the same first bytes, no
 * shorter, and a snapshot this awl reads. Else undefined, and the file is read from its start.
 */
function resumable(before: FileState, r: Resume | undefined, size: number, head: Buffer): (Resume & { go: (lines: readonly string[]) => Source }) | undefined {
  if (!r || typeof r.offset !== "number" || before.headBytes === undefined || size <= before.size || r.offset > size) return undefined;
  if (headHash(head.subarray(0, before.headBytes)) !== before.head) return undefined;
  const snap = r.snapshot as Partial<ParserSnapshot> | undefined;
  if (!snap || typeof snap.adapter !== "string" || !(AGENT_IDS as readonly string[]).includes(snap.adapter) || (snap.format !== "stream" && snap.format !== "session")) return undefined;
  const adapter = adapterFor(snap.adapter as AgentId);
  const format = snap.format;
  const restored = adapter.restore(format, snap);
  if (!restored.ok) return undefined;
  return {
    ...r,
    go: (lines) => ({ ...parseLines(adapter, format, restored.parser, lines), countedBefore: { skippedLines: r.skippedLines, unknownRecords: r.unknownRecords } }),
  };
}

/** Records a parsed source as its attempt; returns the time of its last event and the attempt as left. */
async function recordSource(label: string, source: Source, ctx: ImportContext, untimedAt: string, known: KnownAttempt | undefined): Promise<{ lastAt: string; attempt: KnownAttempt }> {
  const { adapter, format, events, facts, countedBefore } = source;
  const { summary } = ctx;
  add(summary.skipped_lines, "not a record", facts.skipped_lines - (countedBefore?.skippedLines ?? 0));
  for (const [type, n] of Object.entries(facts.unknown_records)) add(summary.unknown_records, `${adapter.id}:${type}`, n - (countedBefore?.unknownRecords[type] ?? 0));
  const sessionId = facts.session_id ?? createHash("sha256").update(label).digest("hex").slice(0, 16);
  const attemptId = `${adapter.id}-${sessionId}`;
  const release = await ctx.claim(attemptId);
  try {
    return await record(ctx, { adapter, format, events, facts, attemptId, sessionId, untimedAt, heldKeys: source.heldKeys ?? [] }, known);
  } finally {
    release();
  }
}

/** The agent's own cost where it reports one (for the whole session), else the price table's estimate. */
function costOf(facts: SessionFacts, total: Usage): { cost_usd?: number; cost_estimated?: boolean } {
  if (facts.cost_usd !== undefined) return { cost_usd: facts.cost_usd, cost_estimated: false };
  const cost = estimateCost(facts.model, total);
  return cost !== undefined ? { cost_usd: cost, cost_estimated: true } : {};
}

interface Parsed {
  adapter: Adapter;
  format: SourceFormat;
  events: Captured[];
  facts: SessionFacts;
  attemptId: string;
  sessionId: string;
  untimedAt: string;
  heldKeys: string[];
}

/** Writes what the attempt does not hold yet; the caller has the attempt to itself. Returns the last event's time. */
async function record(ctx: ImportContext, p: Parsed, known: KnownAttempt | undefined): Promise<{ lastAt: string; attempt: KnownAttempt }> {
  const { writer, summary } = ctx;
  const { adapter, format, events, facts, attemptId, sessionId, untimedAt } = p;
  const existing = (known && knownExisting(writer, known, attemptId, format)) ?? existingAttempt(writer, attemptId);
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
  // A second source of a session already recorded from another format adds only what it alone
  // has: the stream what it alone prints (retries, the final result), the session file what it
  // alone knows (failures). An error both report is kept once.
  const otherFormat = existing.formats.size > 0 && !existing.formats.has(format);
  const added = otherFormat ? newFailures(events, (c) => format === "session" || c.presence === "stream_only", existing) : undefined;
  const batch: BatchItem[] = [];
  let lastAt = fallbackAt;
  let usage: Usage | undefined;
  for (const c of events) {
    if (added && !(c.event_type === "error" ? added.has(c) : format === "stream" && c.presence === "stream_only")) {
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
  const endAt = facts.ended_at ?? lastAt;
  const duration = facts.started_at && facts.ended_at ? { duration_ms: Math.max(0, Date.parse(facts.ended_at) - Date.parse(facts.started_at)) } : {};
  if (!existing.ended) {
    const total = facts.total_usage ?? addUsage(existing.usage, usage);
    recorder.end(
      {
        completion_status: facts.status ?? "success",
        ...duration,
        ...(total ? { usage: total, total_tokens: total.total_tokens, ...costOf(facts, total) } : facts.cost_usd !== undefined ? { cost_usd: facts.cost_usd, cost_estimated: false } : {}),
        ...(facts.error ? { error: facts.error } : {}),
      },
      { timestamp: endAt },
    );
  } else {
    // An earlier import ended the attempt: a file that grew since, or a second source with the
    // agent's own totals (Gemini CLI's session file leaves out its router model's tokens; its
    // stream's result counts them), supersedes its figures in a later metrics record.
    const own = facts.total_usage && facts.total_usage.total_tokens !== existing.endTotalTokens ? facts.total_usage : undefined;
    const total = own ?? (usage ? addUsage(existing.usage, usage) : undefined);
    const { toolCalls: tool_calls, errors } = recorder.totals();
    if (total || tool_calls > 0 || errors > 0) {
      recorder.metrics({
        timestamp: endAt,
        metrics: {
          ...duration,
          ...(total ? { usage: total, total_tokens: total.total_tokens, ...costOf(facts, total) } : {}),
          ...(tool_calls > 0 ? { tool_calls: existing.toolCalls + tool_calls } : {}),
          ...(errors > 0 ? { errors: existing.errors + errors } : {}),
        },
      });
    }
  }
  const written = recorder.totals();
  recorder.close();
  const attempt: KnownAttempt = {
    id: attemptId,
    size: sizeOf(sessionFile(writer.paths, attemptId)),
    formats: [...new Set([...existing.formats, format])],
    endTotalTokens: existing.ended ? existing.endTotalTokens : (facts.total_usage ?? addUsage(existing.usage, usage))?.total_tokens,
    usage: addUsage(existing.usage, usage),
    toolCalls: existing.toolCalls + written.toolCalls,
    errors: existing.errors + written.errors,
    heldKeys: p.heldKeys,
  };
  return { lastAt, attempt };
}

/**
 * The attempt as the file's last import left it, when nothing wrote to it since (its session
 * file has the size it had then) and only this format did: then it need not be read back. The
 * only events the resumed parser can give again are those it held (their keys).
 */
function knownExisting(writer: LogWriter, known: KnownAttempt, attemptId: string, format: SourceFormat): Existing | undefined {
  if (known.id !== attemptId || known.formats.length !== 1 || known.formats[0] !== format || sizeOf(sessionFile(writer.paths, attemptId)) !== known.size) return undefined;
  return {
    started: true,
    ended: true,
    endTotalTokens: known.endTotalTokens,
    usage: known.usage,
    toolCalls: known.toolCalls,
    errors: known.errors,
    keys: new Set(known.heldKeys),
    formats: new Set([format]),
    failedCalls: new Set(),
    failures: new Map(),
  };
}

function sizeOf(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return -1;
  }
}

/** Files are read in pieces of this size; a line may be as long as the store's line limit. */
const CHUNK_BYTES = 16 * 1024 * 1024;

interface ReadResult {
  lines: string[];
  /** Byte offset just past the last line read whole. */
  consumed: number;
  torn: number;
  oversized: number;
}

/**
 * A file's lines from `offset` on, each decoded on its own: most lines are ASCII and become
 * one-byte strings, which V8 decodes, parses, serializes and encodes several times faster than
 * the two-byte string a whole file with one "’" in it would be. A last line without its newline
 * is kept when it is whole JSON (a finished file), else counted as torn and left for next time;
 * a line over the store's limit is skipped and counted. Synchronous: an import thread has
 * nothing else to do meanwhile, and each await would be a thread-pool round trip.
 */
function eachLine(path: string, offset: number, onLine: (line: string) => void): Omit<ReadResult, "lines"> {
  const out = { consumed: offset, torn: 0, oversized: 0 };
  const fd = openSync(path, "r");
  try {
    const size = fstatSync(fd).size;
    let carry: Buffer = Buffer.alloc(0);
    let pos = offset;
    let skipping = false; // inside a line already over the limit
    const emit = (line: string) => {
      if (line.trim() !== "") onLine(line);
    };
    for (;;) {
      // Sized to what is left (one more byte to see the end), so a small file costs no 16 MB buffer.
      const want = Math.min(CHUNK_BYTES, Math.max(64 * 1024, size - pos + 1));
      const chunk = Buffer.allocUnsafe(want);
      const bytesRead = readSync(fd, chunk, 0, want, pos);
      const buf = carry.length > 0 ? Buffer.concat([carry, chunk.subarray(0, bytesRead)]) : chunk.subarray(0, bytesRead);
      const base = pos - carry.length;
      pos += bytesRead;
      let from = 0;
      for (;;) {
        const nl = buf.indexOf(10, from);
        if (nl < 0) break;
        if (skipping) skipping = false;
        else emit(buf.toString("utf8", from, nl > from && buf[nl - 1] === 13 ? nl - 1 : nl));
        from = nl + 1;
        out.consumed = base + from;
      }
      carry = buf.subarray(from);
      if (carry.length > DEFAULT_MAX_LINE_BYTES) {
        if (!skipping) out.oversized++;
        skipping = true;
        carry = Buffer.alloc(0);
      }
      if (bytesRead < want) break; // the end as it is now: a file still growing is read on, next time
    }
    const last = carry.toString("utf8");
    if (!skipping && last.trim() !== "") {
      try {
        JSON.parse(last);
        emit(last);
        out.consumed = pos;
      } catch {
        out.torn = 1;
      }
    }
  } finally {
    closeSync(fd);
  }
  return out;
}

function readLinesFrom(path: string, offset: number): ReadResult {
  const lines: string[] = [];
  return { lines, ...eachLine(path, offset, (l) => lines.push(l)) };
}

interface Existing {
  started: boolean;
  ended: boolean;
  /** `session_end.data.total_tokens` as recorded. */
  endTotalTokens?: number;
  /** The sum of the recorded events' `data.usage`, and their tool calls and errors. */
  usage: Usage | undefined;
  toolCalls: number;
  errors: number;
  keys: Set<string>;
  formats: Set<string>;
  failedCalls: Set<string>;
  /** Messages of the errors already recorded, by fingerprint: a second source whose call ids differ (Codex's stream says `item_3`, its session file `call_…`), or that has no call id, matches them by what failed. */
  failures: Map<string, string[]>;
}

/**
 * What an attempt already holds: read from its session file, the truth, not from a side index.
 * Lines this store wrote: parsed, not validated again (a line that is not an event is passed over).
 */
function existingAttempt(writer: LogWriter, attemptId: string): Existing {
  const e: Existing = { started: false, ended: false, keys: new Set(), formats: new Set(), failedCalls: new Set(), failures: new Map(), usage: undefined, toolCalls: 0, errors: 0 };
  const path = sessionFile(writer.paths, attemptId);
  if (!existsSync(path)) return e;
  writer.releaseLocks(); // what this process wrote is on disk before it is read back
  eachLine(path, 0, (line) => {
    let ev: { event_type?: unknown; data?: unknown };
    try {
      ev = JSON.parse(line) as typeof ev;
    } catch {
      return;
    }
    if (typeof ev !== "object" || ev === null || typeof ev.event_type !== "string" || typeof ev.data !== "object" || ev.data === null) return;
    const d = ev.data as { record_id?: string; import_format?: string; tool_call_id?: string; result?: string; total_tokens?: number; usage?: Usage; error_fingerprint?: string; error_message?: string };
    if (ev.event_type === "session_start") {
      e.started = true;
      if (d.import_format) e.formats.add(d.import_format);
    }
    if (ev.event_type === "session_end") {
      e.ended = true;
      e.endTotalTokens = d.total_tokens;
    }
    if (typeof d.record_id === "string") e.keys.add(d.record_id);
    if (ev.event_type !== "session_end") e.usage = addUsage(e.usage, d.usage);
    if (ev.event_type === "tool_call") e.toolCalls++;
    if (ev.event_type === "error") e.errors++;
    if ((ev.event_type === "error" || d.result === "error") && d.tool_call_id) e.failedCalls.add(d.tool_call_id);
    if (ev.event_type === "error" && d.error_fingerprint) e.failures.set(d.error_fingerprint, [...(e.failures.get(d.error_fingerprint) ?? []), d.error_message ?? ""]);
  });
  return e;
}

/**
 * Of a second source's errors, the failures the first source did not record: tool failures
 * (Gemini CLI's stream reports a failed shell command as a success; only its session file
 * knows), retries only the stream prints, an agent error only the session file holds. An
 * error the attempt has already, under the same call id, with the same message, or else as
 * one more error of the same fingerprint (the sources word it differently: Gemini's "Loop
 * detected" and "Potential loop detected"), is the same failure again.
 */
function newFailures(events: readonly Captured[], eligible: (c: Captured) => boolean, existing: Existing): Set<Captured> {
  const left = new Map([...existing.failures].map(([fp, messages]) => [fp, [...messages]]));
  const take = (fp: string, message: string | undefined): boolean => {
    const messages = left.get(fp);
    const i = message === undefined ? (messages?.length ?? 0) - 1 : (messages?.indexOf(message) ?? -1);
    if (i < 0) return false;
    messages?.splice(i, 1);
    return true;
  };
  const errors: { c: Captured & { event_type: "error" }; fp: string }[] = [];
  for (const c of events) if (c.event_type === "error") errors.push({ c, fp: withFingerprint(c.data).error_fingerprint ?? "" });
  // The same record in both sources (the same key) is its own match, whatever its wording now.
  const rest = errors.filter(({ c, fp }) => !(c.key !== undefined && existing.keys.has(c.key) && (take(fp, c.data.error_message) || take(fp, undefined))));
  const candidates = rest.filter(({ c }) => eligible(c) && !(c.data.tool_call_id !== undefined && existing.failedCalls.has(c.data.tool_call_id)));
  const byFingerprint = candidates.filter(({ c, fp }) => !take(fp, c.data.error_message));
  return new Set(byFingerprint.filter(({ fp }) => !take(fp, undefined)).map(({ c }) => c));
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



function add(into: Record<string, number>, key: string, n: number): void {
  if (n > 0) into[key] = (into[key] ?? 0) + n;
}
