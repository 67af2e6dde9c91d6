import { z } from "zod";
import { COMPLETION_STATUSES, type CompletionStatus, type DataOf, EVENT_TYPES, type EventType, type Usage, usageSchema } from "../schema/index.js";
import { AGENT_IDS, type AgentId } from "./agent-ids.js";

/**
 * The shape every agent adapter has (one folder per agent under capture/): detect a
 * format from a line, then parse line by line into normalized events. Adapters are pure:
 * no I/O, no clock (capture time comes in with each line), no attempt identity. `awl run`
 * and `awl import` stamp the attempt onto what they return, add `session_start` and
 * `session_end` from the facts, and write it all through one Recorder.
 */

export { AGENT_IDS, type AgentId };

/** `stream`: what the CLI prints in its JSON mode (stdout). `session`: the agent's own session file. */
export type SourceFormat = "stream" | "session";

/** An event as an adapter found it, before the attempt's identity is stamped on it. */
export type Captured = {
  [T in EventType]: {
    event_type: T;
    data: DataOf<T>;
    /** The agent's own time of the record (ISO), where it reports one; else the line's capture time is used. */
    timestamp?: string;
    /** The model that produced it, where the record says (e.g. Claude `message.model`). */
    model?: string;
    /**
     * A stable identity of the agent record behind the event, the same in every source that
     * holds that record (Claude `uuid` plus block index, Gemini `tool_id`, Codex `call_id`), so
     * a re-import, or a second source of one session, adds nothing twice. Unique per event.
     */
    key?: string;
    /**
     * `stream_only`: records the agent prints but never writes to its session file (API retries,
     * the final result). A stream merged into a session already imported from the file keeps only
     * these; everything else is taken from the file, which is richer (timestamps, exit codes, models).
     */
    presence?: "both" | "stream_only";
  };
}[EventType];

/** What an adapter learned about the session as a whole. */
export interface SessionFacts {
  session_id?: string;
  /** The model the session ran (the one doing the work, not a router or a setting like "auto"). */
  model?: string;
  cwd?: string;
  agent_version?: string;
  /** The user's prompt, where the format records it. */
  prompt?: string;
  /** Agent time of the first and last record, where known (ISO). */
  started_at?: string;
  ended_at?: string;
  /**
   * The agent's own session totals where it reports them (Claude `result.usage`, Codex
   * `turn.completed.usage`, Gemini `result.stats`), converted to awl's buckets. They win over
   * the sum of per-request `data.usage`, which is what is used where this is absent.
   */
  total_usage?: Usage;
  /** The agent's own cost figure (USD), where it reports one. */
  cost_usd?: number;
  /** How the agent said the session ended; the exit code and awl's own view refine it. */
  status?: CompletionStatus;
  /** The final error the agent reported, if the session failed. */
  error?: string;
  /** Record types the adapter did not know, by type: kept as `agent_output` events with `raw`. */
  unknown_records: Record<string, number>;
  /** Lines that were not records at all (not JSON, or JSON of no known shape). */
  skipped_lines: number;
}

export interface LineParser {
  /** One line without its newline; `seenAt` is when it was captured (ISO), for records without a time. */
  line(text: string, seenAt?: string): Captured[];
  /** End of input: what was held back (text awaiting its end, a call without result). */
  end(): Captured[];
  facts(): SessionFacts;
  /**
   * Everything the parser needs to go on after the lines it has read, facts so far and what it
   * holds back included, as plain JSON (see ParserSnapshot). Taken between lines, without end():
   * the parser is unchanged by it and goes on as if it had not been taken, and the snapshot shares
   * nothing with it.
   */
  snapshot(): ParserSnapshot;
}

/**
 * A parser's state between two lines, so `awl import` can read a grown file from where it
 * stopped instead of from its start:
 *
 *   const snap = parser.snapshot();                    // after line(), before end()
 *   // … store JSON.stringify(snap) with the byte offset of the next line …
 *   const r = adapter.restore(format, JSON.parse(stored));
 *   if (r.ok) for (const l of linesAfterOffset) r.parser.line(l);   // then end(), facts()
 *   else …read the file from its start (r.reason says why)
 *
 * Parsing lines 1..k, snapshotting, restoring and parsing k+1..n gives the same events and
 * facts as parsing 1..n at once, given the same lines (blank-line filtering included: Codex
 * rollout keys count lines) and the same `seenAt`s; a torn last line (no newline yet) belongs
 * after the offset, not before the snapshot. facts() of the restored parser are the whole file's.
 * `state` is the adapter's own; only the adapter, format and version that wrote a snapshot
 * restore it.
 *
 * What end() would emit is in the snapshot: held events (a Claude response's first event waiting
 * for its final usage and the events queued behind it, a Gemini record waiting for its last
 * version, Gemini text deltas, a Codex process still running, open to-do lists, unflushed text).
 * A caller that snapshots and then also calls end() on the same parser (to record those now) gets
 * them again from the restored parser, under the same keys, where the file grew by then in a
 * more final form (more usage, a record's later tool results, the process's real exit).
 *
 * Bounded: what a parser keeps to recognise repeats (record ids, answered calls, closed
 * responses) is a window of the most recent ones (capture/bounded.ts), in the parser itself as
 * in its snapshot; what it holds back is bounded by the parser's own limits. What each keeps and
 * why: the `snapshot()` of each parser.
 */
export interface ParserSnapshot {
  adapter: AgentId;
  format: SourceFormat;
  /** The adapter's snapshot version: raised whenever `state`, or what a parser does with it, changes. */
  version: number;
  state: unknown;
}

/** Why a stored snapshot is not restored; the caller then reads the file from its start. */
export type RestoreRefusal = "not_a_snapshot" | "other_adapter" | "other_format" | "other_version" | "bad_state";

export type RestoreResult = { ok: true; parser: LineParser } | { ok: false; reason: RestoreRefusal; message: string };

export interface Adapter {
  id: AgentId;
  /** Which of this agent's formats a first line belongs to, if any. */
  detect(firstLine: string): SourceFormat | undefined;
  parser(format: SourceFormat): LineParser;
  /**
   * A parser of `format` that goes on from a snapshot (any value: what was read back from a
   * state file), or why not. Never throws.
   */
  restore(format: SourceFormat, snapshot: unknown): RestoreResult;
  /**
   * Formats that are one JSON document rather than lines (Gemini CLI's session files before
   * its JSONL switch): recognise and parse the whole value.
   */
  detectDocument?(value: unknown): boolean;
  parseDocument?(value: unknown): { events: Captured[]; facts: SessionFacts };
}

export function emptyFacts(): SessionFacts {
  return { unknown_records: {}, skipped_lines: 0 };
}

/** Adds usage buckets (missing = 0); `total_tokens` is recomputed as their sum. */
export function addUsage(a: Usage | undefined, b: Usage | undefined): Usage | undefined {
  if (!a) return b ? withTotal({ ...b }) : undefined;
  if (!b) return a;
  return withTotal({
    input: (a.input ?? 0) + (b.input ?? 0),
    output: (a.output ?? 0) + (b.output ?? 0),
    cache_read: (a.cache_read ?? 0) + (b.cache_read ?? 0),
    cache_creation: (a.cache_creation ?? 0) + (b.cache_creation ?? 0),
    reasoning: (a.reasoning ?? 0) + (b.reasoning ?? 0),
  });
}

export function withTotal(u: Usage): Usage {
  const total = (u.input ?? 0) + (u.output ?? 0) + (u.cache_read ?? 0) + (u.cache_creation ?? 0) + (u.reasoning ?? 0);
  return { ...u, total_tokens: total };
}

const snapshotEnvelope = z.object({
  adapter: z.string(),
  format: z.string(),
  version: z.number(),
  state: z.unknown(),
});

/**
 * The checks every adapter's `restore` makes: the envelope names this adapter, the format asked
 * for and this version, and `state` has the shape `schema` describes; then `build` makes the parser.
 */
export function restoreParser<S>(
  snapshot: unknown,
  expected: { adapter: AgentId; format: SourceFormat; version: number },
  schema: z.ZodType<S>,
  build: (state: S) => LineParser,
): RestoreResult {
  const env = snapshotEnvelope.safeParse(snapshot);
  if (!env.success) return { ok: false, reason: "not_a_snapshot", message: "not a parser snapshot (adapter, format, version, state)" };
  const s = env.data;
  if (s.adapter !== expected.adapter) return { ok: false, reason: "other_adapter", message: `a ${s.adapter} snapshot, not ${expected.adapter}` };
  if (s.format !== expected.format) return { ok: false, reason: "other_format", message: `a ${expected.adapter} ${s.format} snapshot, not ${expected.format}` };
  if (s.version !== expected.version) {
    return { ok: false, reason: "other_version", message: `${expected.adapter} ${s.format} snapshot version ${s.version}, this awl reads version ${expected.version}` };
  }
  const state = schema.safeParse(s.state);
  if (!state.success) {
    const issue = state.error.issues[0];
    return { ok: false, reason: "bad_state", message: `${expected.adapter} ${s.format} snapshot state: ${issue ? `${issue.path.join(".") || "(root)"}: ${issue.message}` : "invalid"}` };
  }
  try {
    // The schemas only check (no defaults, no transforms): the state is used as stored, not as
    // zod rebuilt it, so objects keep their key order and events are written byte for byte as a
    // parse straight through writes them. A copy: two parsers restored from one value share nothing.
    return { ok: true, parser: build(structuredClone(s.state) as S) };
  } catch (err) {
    return { ok: false, reason: "bad_state", message: `${expected.adapter} ${s.format} snapshot state: ${(err as Error).message}` };
  }
}

/** Snapshot parts every adapter shares. */
export const snapshotParts = {
  usage: usageSchema as z.ZodType<Usage>,
  facts: z.looseObject({
    session_id: z.string().optional(),
    model: z.string().optional(),
    cwd: z.string().optional(),
    agent_version: z.string().optional(),
    prompt: z.string().optional(),
    started_at: z.string().optional(),
    ended_at: z.string().optional(),
    total_usage: usageSchema.optional(),
    cost_usd: z.number().optional(),
    status: z.enum(COMPLETION_STATUSES).optional(),
    error: z.string().optional(),
    unknown_records: z.record(z.string(), z.number()),
    skipped_lines: z.number(),
  }) as unknown as z.ZodType<SessionFacts>,
  /** A held-back event: its payload is checked when it is recorded, as every event's is. */
  captured: z.object({
    event_type: z.enum(EVENT_TYPES),
    data: z.record(z.string(), z.unknown()),
    timestamp: z.string().optional(),
    model: z.string().optional(),
    key: z.string().optional(),
    presence: z.enum(["both", "stream_only"]).optional(),
  }) as unknown as z.ZodType<Captured>,
};
