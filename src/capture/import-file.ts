import { createHash } from "node:crypto";
import { closeSync, existsSync, openSync, readFileSync, readSync, statSync } from "node:fs";
import { join } from "node:path";
import type { Usage } from "../schema/index.js";
import { estimateCost } from "../schema/pricing.js";
import { writeFileAtomic } from "../store/fs.js";
import { sessionFile } from "../store/paths.js";
import { forEachEvent, readLines, type ReadStats } from "../store/reader.js";
import type { LogWriter } from "../store/writer.js";
import type { Adapter, Captured, SessionFacts, SourceFormat } from "./adapter.js";
import { addUsage } from "./adapter.js";
import { detectDocument, detectLine } from "./detect.js";
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
  /** `.state/import/` of the log directory. */
  stateDir: string;
  summary: ImportSummary;
  claim: ClaimAttempt;
}

interface FileState {
  size: number;
  mtimeMs: number;
  head: string;
}

const EXECUTORS: Record<string, string> = { claude: "CLAUDE", codex: "CODEX", gemini: "GEMINI" };

function statePathOf(stateDir: string, path: string): string {
  return join(stateDir, `${createHash("sha256").update(path).digest("hex").slice(0, 24)}.json`);
}

/**
 * True when `path` is as it was when last imported: same size, time and first bytes. The
 * first bytes are read only when size and time agree: a changed file is read whole anyway.
 */
export function isUnchanged(path: string, stateDir: string): boolean {
  try {
    const st = statSync(path);
    const before = readState(statePathOf(stateDir, path));
    return before !== undefined && before.size === st.size && before.mtimeMs === st.mtimeMs && before.head === headHash(readHead(path));
  } catch {
    return false; // importFile reports why it cannot be read
  }
}

/** Imports one file the caller found changed (isUnchanged) and remembers it as imported. */
export async function importFile(path: string, ctx: ImportContext): Promise<void> {
  const { summary } = ctx;
  const statePath = statePathOf(ctx.stateDir, path);
  let st: import("node:fs").Stats;
  try {
    st = statSync(path);
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
  const { lines, torn, oversized } = whole ? splitWhole(whole) : await readStreamed(path);
  if (torn) add(summary.skipped_lines, "torn last line", torn);
  if (oversized) add(summary.skipped_lines, "oversized line", oversized);
  const ok = await importText(path, lines, path.endsWith(".json") ? () => readFileSync(path, "utf8") : undefined, ctx, st.mtime.toISOString());
  if (ok) writeFileAtomic(statePath, JSON.stringify({ size: st.size, mtimeMs: st.mtimeMs, head: headHash(head) } satisfies FileState));
}

/** Parses one source (a file's lines, or stdin) and records it; false when it is no agent log. */
export async function importText(
  label: string,
  lines: string[],
  wholeText: (() => string) | undefined,
  ctx: ImportContext,
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
    ctx.summary.skipped_files.push({ path: label, reason: first ? "not a Claude Code, Codex or Gemini CLI log" : "empty" });
    return false;
  }
  const { adapter, format, events, facts } = parsed;
  const { summary } = ctx;
  add(summary.skipped_lines, "not a record", facts.skipped_lines);
  for (const [type, n] of Object.entries(facts.unknown_records)) add(summary.unknown_records, `${adapter.id}:${type}`, n);
  const sessionId = facts.session_id ?? createHash("sha256").update(label).digest("hex").slice(0, 16);
  const attemptId = `${adapter.id}-${sessionId}`;
  const release = await ctx.claim(attemptId);
  try {
    await record(ctx, { adapter, format, events, facts, attemptId, sessionId, untimedAt });
  } finally {
    release();
  }
  return true;
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
}

/** Writes what the attempt does not hold yet; the caller has the attempt to itself. */
async function record(ctx: ImportContext, p: Parsed): Promise<void> {
  const { writer, summary } = ctx;
  const { adapter, format, events, facts, attemptId, sessionId, untimedAt } = p;
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
  recorder.close();
}

/** Files up to this size are read in one call (most session files); larger ones are streamed in bounded memory. */
const WHOLE_FILE_BYTES = 64 * 1024 * 1024;

interface ReadResult {
  lines: string[];
  torn: number;
  oversized: number;
}

/**
 * The file's lines, each decoded on its own: most lines are ASCII and become one-byte strings,
 * which V8 decodes, parses, serializes and encodes several times faster than the two-byte
 * string a whole file with one "’" in it would be.
 */
function splitWhole(buf: Buffer): ReadResult {
  const lines: string[] = [];
  let torn = 0;
  for (let from = 0; from < buf.length; ) {
    const nl = buf.indexOf(10, from);
    const end = nl < 0 ? buf.length : nl;
    const line = buf.toString("utf8", from, end > from && buf[end - 1] === 13 ? end - 1 : end);
    from = end + 1;
    if (line.trim() === "") continue;
    if (nl < 0) {
      // A last line without its newline is kept when it is whole (a finished file), else it is torn.
      try {
        JSON.parse(line);
      } catch {
        torn = 1;
        continue;
      }
    }
    lines.push(line);
  }
  return { lines, torn, oversized: 0 };
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

/** What an attempt already holds: read from its session file, the truth, not from a side index. */
async function existingAttempt(writer: LogWriter, attemptId: string): Promise<Existing> {
  const e: Existing = { started: false, ended: false, keys: new Set(), formats: new Set(), failedCalls: new Set(), failures: new Map(), usage: undefined, toolCalls: 0, errors: 0 };
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
    if (ev.event_type !== "session_end") e.usage = addUsage(e.usage, (ev.data as { usage?: Usage }).usage);
    if (ev.event_type === "tool_call") e.toolCalls++;
    if (ev.event_type === "error") e.errors++;
    if ((ev.event_type === "error" || d.result === "error") && d.tool_call_id) e.failedCalls.add(d.tool_call_id);
    const fp = (ev.data as { error_fingerprint?: string }).error_fingerprint;
    if (ev.event_type === "error" && fp) e.failures.set(fp, [...(e.failures.get(fp) ?? []), (ev.data as { error_message?: string }).error_message ?? ""]);
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

function readState(path: string): FileState | undefined {
  try {
    return JSON.parse(readFileSync(path, "utf8")) as FileState;
  } catch {
    return undefined;
  }
}


function add(into: Record<string, number>, key: string, n: number): void {
  if (n > 0) into[key] = (into[key] ?? 0) + n;
}
