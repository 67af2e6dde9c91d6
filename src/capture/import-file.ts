import { createHash } from "node:crypto";
import { readFileSync, statSync } from "node:fs";
import type { Usage } from "../schema/index.js";
import { estimateCost } from "../schema/pricing.js";
import { sessionFile } from "../store/paths.js";
import type { LogWriter } from "../store/writer.js";
import { AGENT_IDS, type Adapter, type AgentId, addUsage, type Captured, type LineParser, type ParserSnapshot, type SessionFacts, type SourceFormat } from "./adapter.js";
import { adapterFor, detectDocument, detectLine } from "./detect.js";
import { eachLine, headHash, type LinesRead, readHead } from "./file-lines.js";
import { existingAttempt, type KnownAttempt, knownExisting, newFailures, sizeOf } from "./import-existing.js";
import { type FileState, readResume } from "./import-state.js";
import { type BatchItem, capturedItem, Recorder } from "./recorder.js";

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
  let read: LinesRead = { consumed: 0, torn: 0, oversized: 0 };
  const { source, empty } = parseEach(
    (onLine) => {
      read = eachLine(path, resumed?.offset ?? 0, onLine);
    },
    resumed,
    path.endsWith(".json") ? () => withoutBom(readFileSync(path, "utf8")) : undefined,
  );
  add(summary.skipped_lines, "torn last line", read.torn);
  add(summary.skipped_lines, "oversized line", read.oversized);
  if (!source) {
    summary.skipped_files.push({ path, reason: empty ? "empty" : "not a Claude Code, Codex or Gemini CLI log" });
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
  const lines = withoutBom(text).split("\n").filter((l) => l.trim() !== "");
  const { source, empty } = parseEach((onLine) => lines.forEach(onLine), undefined, undefined);
  if (source) await recordSource("-", source, ctx, untimedAt, undefined);
  else ctx.summary.skipped_files.push({ path: "-", reason: empty ? "empty" : "not a Claude Code, Codex or Gemini CLI log" });
}

/** Text without the byte order mark a Windows editor puts first (eachLine skips it in files read line by line). */
function withoutBom(text: string): string {
  return text.replace(/^\ufeff/, "");
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

/**
 * Parses lines as `feed` hands them over (a file's as they are read: they are never all held at
 * once, only the events they give), with the parser a file's last import left (resumed), else the
 * one its first line calls for. Lines no adapter recognises are kept instead, to be tried as one
 * JSON document (Gemini CLI's older session files; `wholeText` reads such a file whole).
 */
function parseEach(feed: (onLine: (line: string) => void) => void, resumed: ResumedParser | undefined, wholeText: (() => string) | undefined): { source: Source | undefined; empty: boolean } {
  let parsing: { adapter: Adapter; format: SourceFormat; parser: LineParser } | undefined = resumed;
  let unrecognised: string[] | undefined;
  const events: Captured[] = [];
  feed((line) => {
    if (!parsing && !unrecognised) {
      const found = detectLine(line);
      if (found) parsing = { adapter: found.adapter, format: found.format, parser: found.adapter.parser(found.format) };
      else unrecognised = [];
    }
    if (parsing) for (const e of parsing.parser.line(line)) events.push(e);
    else unrecognised?.push(line);
  });
  const empty = !parsing && !unrecognised;
  if (!parsing) return { source: unrecognised ? parseDocument(unrecognised, wholeText) : undefined, empty };
  const source = finish(parsing, events);
  return { source: resumed ? { ...source, countedBefore: resumed.countedBefore } : source, empty };
}

function parseDocument(lines: readonly string[], wholeText: (() => string) | undefined): Source | undefined {
  if (!wholeText && !(lines[0]?.trim().startsWith("{") && lines.length > 1)) return undefined;
  try {
    const value: unknown = JSON.parse(wholeText ? wholeText() : lines.join("\n"));
    const adapter = detectDocument(value);
    return adapter?.parseDocument ? { adapter, format: "session", ...adapter.parseDocument(value) } : undefined;
  } catch {
    return undefined; // not one JSON document either
  }
}

/** The parser's end: what it still held, its facts and (before that end) its state. */
function finish({ adapter, format, parser }: { adapter: Adapter; format: SourceFormat; parser: LineParser }, events: Captured[]): Source {
  // Taken before end(): what end() flushes now (a response still waiting for its final usage) the
  // restored parser holds again, so a grown file gives it in its final form.
  const snapshot = parser.snapshot();
  const held = parser.end();
  for (const e of held) events.push(e);
  return { adapter, format, events, facts: parser.facts(), snapshot, heldKeys: held.map((c) => c.key ?? contentKey(c)) };
}

/** A parser restored where a file's last import stopped. */
type ResumedParser = Resume & { adapter: Adapter; format: SourceFormat; parser: LineParser; countedBefore: NonNullable<Source["countedBefore"]> };

/**
 * The parser a file's last import left, when the file only grew since: the same first bytes, no
 * shorter, and a snapshot this awl reads. Else undefined, and the file is read from its start.
 */
function resumable(before: FileState, r: Resume | undefined, size: number, head: Buffer): ResumedParser | undefined {
  if (!r || typeof r.offset !== "number" || before.headBytes === undefined || size <= before.size || r.offset > size) return undefined;
  if (headHash(head.subarray(0, before.headBytes)) !== before.head) return undefined;
  const snap = r.snapshot as Partial<ParserSnapshot> | undefined;
  if (!snap || typeof snap.adapter !== "string" || !(AGENT_IDS as readonly string[]).includes(snap.adapter) || (snap.format !== "stream" && snap.format !== "session")) return undefined;
  const adapter = adapterFor(snap.adapter as AgentId);
  const format = snap.format;
  const restored = adapter.restore(format, snap);
  if (!restored.ok) return undefined;
  return { ...r, adapter, format, parser: restored.parser, countedBefore: { skippedLines: r.skippedLines, unknownRecords: r.unknownRecords } };
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
    // The attempt's lock goes with the claim: an import thread may go through many files without
    // the event-loop turn that gives a writer's leases back, and another thread may want it next.
    ctx.writer.releaseLocks();
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
  // The first format again after a second one added to the attempt (a session file that grew after
  // its stream was recorded): its new records are its own, but an error the other source already
  // reported in its own words is kept once.
  const foreign = !otherFormat && [...existing.addedFormats].some((f) => f !== format);
  const knownFailure = foreign ? newFailures(events, () => true, existing, existing.addedFailures) : undefined;
  /** Whether the attempt lacks an event, beyond what its key says (a repeated key is counted below). */
  const lacks = (c: Captured): boolean => {
    if (added) return c.event_type === "error" ? added.has(c) : format === "stream" && c.presence === "stream_only";
    if (knownFailure && c.event_type === "error") return knownFailure.has(c) || existing.keys.has(c.key ?? "");
    return true;
  };
  const batch: BatchItem[] = [];
  let lastAt = fallbackAt;
  let usage: Usage | undefined;
  for (const c of events) {
    if (!lacks(c)) {
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
    const item = capturedItem(c, at, key);
    // What a second format adds names its format, so a later import of the first one can tell its own records from the other source's.
    batch.push(otherFormat ? ({ ...item, data: { ...item.data, import_format: format } } as BatchItem) : item);
    summary.events++;
    if (batch.length >= 500) recorder.events(batch.splice(0));
  }
  recorder.events(batch);
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
    // A sum of events does not replace the totals another source may have reported as the agent's own.
    const total = own ?? (usage && !foreign && !otherFormat ? addUsage(existing.usage, usage) : undefined);
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
    formats: [...new Set([...existing.formats, ...existing.addedFormats, format])],
    endTotalTokens: existing.ended ? existing.endTotalTokens : (facts.total_usage ?? addUsage(existing.usage, usage))?.total_tokens,
    usage: addUsage(existing.usage, usage),
    toolCalls: existing.toolCalls + written.toolCalls,
    errors: existing.errors + written.errors,
    heldKeys: p.heldKeys,
  };
  return { lastAt, attempt };
}

/** A key for an event the adapter gave none: its type, time and content. */
function contentKey(c: Captured): string {
  return `h:${createHash("sha256").update(`${c.event_type}\0${c.timestamp ?? ""}\0${JSON.stringify(c.data)}`).digest("hex").slice(0, 24)}`;
}

function add(into: Record<string, number>, key: string, n: number): void {
  if (n > 0) into[key] = (into[key] ?? 0) + n;
}
