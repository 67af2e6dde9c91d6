import type { CompletionStatus, DataOf, EventType, Usage } from "../schema/index.js";

/**
 * The shape every agent adapter has (one folder per agent under capture/): detect a
 * format from a line, then parse line by line into normalized events. Adapters are pure:
 * no I/O, no clock (capture time comes in with each line), no attempt identity. `awl run`
 * and `awl import` stamp the attempt onto what they return, add `session_start` and
 * `session_end` from the facts, and write it all through one Recorder.
 */

export const AGENT_IDS = ["claude", "codex", "gemini", "text"] as const;
export type AgentId = (typeof AGENT_IDS)[number];

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
}

export interface Adapter {
  id: AgentId;
  /** Which of this agent's formats a first line belongs to, if any. */
  detect(firstLine: string): SourceFormat | undefined;
  parser(format: SourceFormat): LineParser;
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
