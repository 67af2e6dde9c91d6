import type { DataOf, Usage } from "../../schema/index.js";
import { z } from "zod";
import type { Captured, LineParser, ParserSnapshot, SessionFacts } from "../adapter.js";
import { emptyFacts, snapshotParts, withTotal } from "../adapter.js";
import { CallMemory } from "../bounded.js";
import { boundMessage, count, httpStatus, iso, isObj, keys, mainModel, ms, type Obj, shellMessage, shellOutcome, str } from "./common.js";

/**
 * `gemini -p … --output-format stream-json` (stdout), one JSON object a line:
 * init, message (user prompt; assistant `delta:true` chunks), tool_use, tool_result, error,
 * result. Shapes: shared/formats/gemini-cli.md §1.
 *
 * Decisions:
 * - Text. Consecutive assistant deltas are one `agent_output`, closed by the next record of any
 *   other kind (tool_use, tool_result, error, result, a user message) or by end(). A timestamp
 *   gap does not close it: a gap is exactly where a mid-stream retry starts over (below), and an
 *   output already emitted cannot be taken back. Very long text is flushed at TEXT_MAX.
 * - Retries. Gemini CLI retries a broken stream (MID_STREAM_RETRY_OPTIONS, 4 attempts, ≥ 500 ms
 *   apart) and prints each attempt's partial text again, never retracted (api_error_stream:
 *   "Let me " 4×). A run of deltas that starts after a pause of SEGMENT_GAP_MS or more and repeats
 *   the previous run from its start (equal to it, or continuing it) replaces that run: the
 *   earlier one was an attempt the CLI abandoned. The same rule folds error_loop's two identical
 *   back-to-back "That failed; let me try again." responses (167 ms apart; the first one's tool
 *   call was swallowed by loop detection) into one output: stdout cannot tell a retry from a
 *   verbatim repeat, and both are the model saying one thing once more. Text that differs is kept.
 * - Presence. Text closed by an `error` record or a failed `result` was never written to the
 *   session file (the loop abort's last responses, a broken stream's partial text), so it is
 *   `stream_only`; all other text and every tool event is also in the file (`both`), keyed
 *   on the tool id exactly as the session parser keys it.
 * - Failed shell commands. stdout reports a shell command that exited 128 as
 *   `status:"success"` and prints only the display text, without the exit code. It is taken as
 *   given: no guessing from the text. Only an explicit trailer (`Exit Code: N`, printed in debug
 *   mode) or `status:"error"` makes a result failed. The session file has the real exit code;
 *   import it beside the stream (same keys) to get those failures.
 * - Tokens. Only `result.stats` has any: facts.total_usage (see resultUsage). The model comes
 *   from `stats.models` (statsModel); init.model is the setting ("auto").
 */

// Deltas of one response were 0–4 ms apart in every capture; a new response or attempt comes no
// sooner than a request's latency. A pause only matters when the run after it repeats the run
// before it, so a real model's slower chunks (a pause, then different text) lose nothing.
const SEGMENT_GAP_MS = 100;
/** A run shorter than this (after trimming) is not trusted to be a restart when repeated. */
const MIN_REPEAT = 4;
const TEXT_MAX = 256 * 1024;
/**
 * Calls by tool id (capture/bounded.ts): those awaiting a result, and the most recently answered
 * (a result printed twice keeps its tool name). Gemini CLI answers a call before the next turn.
 */
const PENDING_CALLS = 1024;
const ANSWERED_CALLS = 64;

/** Raised whenever the snapshot's state, or what the parser does with it, changes. */
export const GEMINI_STREAM_SNAPSHOT_VERSION = 1;

interface Call {
  name: string;
  atMs: number | undefined;
}

interface Segment {
  text: string;
  at: string | undefined;
  /** Whether this run was already compared with the one before it. */
  settled: boolean;
}

export class GeminiStreamParser implements LineParser {
  private f: SessionFacts = emptyFacts();
  private segments: Segment[] = [];
  private lastDeltaMs: number | undefined;
  private textN = 0;
  private errorN = 0;
  private userN = 0;
  private rawN = 0;
  private sawPrompt = false;
  /** init.model: a model name, or "auto" when Gemini CLI's router picks one per request. */
  private setting: string | undefined;
  private calls = new CallMemory<Call>(PENDING_CALLS, ANSWERED_CALLS);

  line(text: string, seenAt?: string): Captured[] {
    try {
      return this.parse(text, iso(seenAt));
    } catch {
      this.f.skipped_lines++;
      return [];
    }
  }

  end(): Captured[] {
    return this.flushText("both");
  }

  facts(): SessionFacts {
    return this.f;
  }

  /**
   * Facts, the model setting, whether the prompt was seen, the key counters, the assistant text
   * not yet closed (the runs of deltas end() would emit as one output, at most TEXT_MAX
   * characters, with the time of the last delta for the retry rule), and calls awaiting a result
   * (name and start time, for the result) plus the ANSWERED_CALLS most recently answered.
   */
  snapshot(): ParserSnapshot {
    const state: GeminiStreamState = {
      facts: this.f,
      segments: this.segments,
      lastDeltaMs: this.lastDeltaMs ?? null,
      textN: this.textN,
      errorN: this.errorN,
      userN: this.userN,
      rawN: this.rawN,
      sawPrompt: this.sawPrompt,
      setting: this.setting ?? null,
      calls: {
        pending: this.calls.pending.toJSON().map(([id, c]) => [id, { name: c.name, atMs: c.atMs ?? null }]),
        answered: this.calls.answered.toJSON().map(([id, c]) => [id, { name: c.name, atMs: c.atMs ?? null }]),
      },
    };
    return { adapter: "gemini", format: "stream", version: GEMINI_STREAM_SNAPSHOT_VERSION, state: structuredClone(state) };
  }

  static fromState(st: GeminiStreamState): GeminiStreamParser {
    const p = new GeminiStreamParser();
    p.f = st.facts;
    p.segments = st.segments.map((s) => ({ text: s.text, at: s.at, settled: s.settled }));
    p.lastDeltaMs = st.lastDeltaMs ?? undefined;
    p.textN = st.textN;
    p.errorN = st.errorN;
    p.userN = st.userN;
    p.rawN = st.rawN;
    p.sawPrompt = st.sawPrompt;
    p.setting = st.setting ?? undefined;
    const call = ([id, c]: [string, { name: string; atMs: number | null }]): [string, Call] => [id, { name: c.name, atMs: c.atMs ?? undefined }];
    p.calls = new CallMemory(PENDING_CALLS, ANSWERED_CALLS, { pending: st.calls.pending.map(call), answered: st.calls.answered.map(call) });
    return p;
  }

  private parse(raw: string, seenAt: string | undefined): Captured[] {
    const text = raw.trim();
    if (text === "") return [];
    if (text.charCodeAt(0) !== 123 /* { */) {
      this.f.skipped_lines++;
      return [];
    }
    let rec: unknown;
    try {
      rec = JSON.parse(text);
    } catch {
      this.f.skipped_lines++;
      return [];
    }
    if (!isObj(rec) || typeof rec["type"] !== "string") {
      this.f.skipped_lines++;
      return [];
    }
    const at = iso(rec["timestamp"]) ?? seenAt;
    if (at) {
      this.f.started_at ??= at;
      this.f.ended_at = at;
    }
    switch (rec["type"]) {
      case "init":
        this.f.session_id ??= str(rec["session_id"]);
        this.setting ??= str(rec["model"]);
        return [];
      case "message":
        return this.message(rec, at);
      case "tool_use":
        return [...this.flushText("both"), this.toolUse(rec, at)];
      case "tool_result":
        return [...this.flushText("both"), ...this.toolResult(rec, at)];
      case "error":
        return [...this.flushText("stream_only"), this.errorRecord(rec, at)];
      case "result":
        return this.result(rec, at);
      default: {
        const type = rec["type"] as string;
        this.f.unknown_records[type] = (this.f.unknown_records[type] ?? 0) + 1;
        return [
          ...this.flushText("both"),
          {
            event_type: "agent_output",
            data: { output: "", record_type: type, raw: rec },
            ...(at ? { timestamp: at } : {}),
            key: keys.stream(this.f.session_id, "raw", this.rawN++),
            presence: "stream_only",
          },
        ];
      }
    }
  }

  private message(rec: Obj, at: string | undefined): Captured[] {
    const content = str(rec["content"]) ?? "";
    if (rec["role"] === "user") {
      const out = this.flushText("both");
      if (!this.sawPrompt) {
        this.sawPrompt = true;
        this.f.prompt ??= content;
        return out;
      }
      out.push({
        event_type: "agent_output",
        data: { output: content, record_type: "user" },
        ...(at ? { timestamp: at } : {}),
        key: keys.stream(this.f.session_id, "user", this.userN++),
        presence: "both",
      });
      return out;
    }
    this.delta(content, at);
    const size = this.segments.reduce((n, s) => n + s.text.length, 0);
    return size >= TEXT_MAX ? this.flushText("both") : [];
  }

  private delta(content: string, at: string | undefined): void {
    const t = ms(at);
    const last = this.segments[this.segments.length - 1];
    const paused = t !== undefined && this.lastDeltaMs !== undefined && t - this.lastDeltaMs >= SEGMENT_GAP_MS;
    if (t !== undefined) this.lastDeltaMs = t;
    if (!last || paused) {
      this.segments.push({ text: content, at, settled: this.segments.length === 0 });
    } else {
      last.text += content;
    }
    const n = this.segments.length;
    const cur = this.segments[n - 1]!;
    const prev = this.segments[n - 2];
    if (cur.settled || !prev) return;
    if (prev.text.trim().length >= MIN_REPEAT && cur.text.startsWith(prev.text)) {
      // The earlier run was an attempt the CLI started over: keep the later one only.
      this.segments.splice(n - 2, 1);
      cur.settled = true;
    } else if (!prev.text.startsWith(cur.text)) {
      cur.settled = true;
    }
  }

  private flushText(presence: "both" | "stream_only"): Captured[] {
    if (this.segments.length === 0) return [];
    const output = this.segments.map((s) => s.text).join("");
    const at = this.segments[0]!.at;
    this.segments = [];
    this.lastDeltaMs = undefined;
    if (output === "") return [];
    return [
      {
        event_type: "agent_output",
        data: { output },
        ...(at ? { timestamp: at } : {}),
        key: keys.stream(this.f.session_id, "text", this.textN++),
        presence,
      },
    ];
  }

  private toolUse(rec: Obj, at: string | undefined): Captured {
    const id = str(rec["tool_id"]);
    const name = str(rec["tool_name"]) || "unknown";
    if (id) this.calls.open(id, { name, atMs: ms(at) });
    const data: DataOf<"tool_call"> = { tool_name: name, tool_params: rec["parameters"] };
    if (id) data.tool_call_id = id;
    return { event_type: "tool_call", data, ...(at ? { timestamp: at } : {}), ...(id ? { key: keys.call(id) } : {}), presence: "both" };
  }

  private toolResult(rec: Obj, at: string | undefined): Captured[] {
    const id = str(rec["tool_id"]);
    const call = id ? this.calls.get(id) : undefined;
    if (id) this.calls.answer(id);
    const output = str(rec["output"]);
    const errorObj = isObj(rec["error"]) ? rec["error"] : undefined;
    // Debug mode prints the full result with its trailer; the display text never has one.
    const outcome = output !== undefined ? shellOutcome(output) : {};
    const failed = rec["status"] === "error" || (outcome.exitCode !== undefined && outcome.exitCode !== 0) || outcome.signal !== undefined;
    const data: DataOf<"tool_result"> = { result: failed ? "error" : "success" };
    if (call) data.tool_name = call.name;
    if (output !== undefined) data.result_data = output;
    else if (errorObj) data.result_data = errorObj;
    if (id) data.tool_call_id = id;
    const t = ms(at);
    if (call?.atMs !== undefined && t !== undefined && t >= call.atMs) data.duration_ms = t - call.atMs;
    if (outcome.exitCode !== undefined) data.exit_code = outcome.exitCode;
    const stamp = at ? { timestamp: at } : {};
    const events: Captured[] = [{ event_type: "tool_result", data, ...stamp, ...(id ? { key: keys.result(id) } : {}), presence: "both" }];
    if (failed) {
      const message =
        str(errorObj?.["message"]) ||
        (output ? shellMessage(output) : "") ||
        (outcome.exitCode !== undefined ? `Command exited with code ${outcome.exitCode}` : `${call?.name ?? "tool"} failed`);
      const err: DataOf<"error"> = { error_message: boundMessage(message), error_source: "tool" };
      if (id) err.tool_call_id = id;
      if (call) err.tool_name = call.name;
      events.push({ event_type: "error", data: err, ...stamp, ...(id ? { key: keys.toolError(id) } : {}), presence: "both" });
    }
    return events;
  }

  private errorRecord(rec: Obj, at: string | undefined): Captured {
    const message = str(rec["message"]) || "Gemini CLI reported an error";
    const severity = str(rec["severity"]);
    // "Loop detected, stopping execution" (warning) and "Maximum session turns exceeded" are the
    // CLI's own verdicts; an API failure surfaces in `result`, but say so if one shows up here.
    const api = /\bAPI Error\b/.test(message);
    const data: DataOf<"error"> = { error_message: boundMessage(message), error_source: api ? "api" : "agent" };
    if (severity) data["severity"] = severity;
    const status = api ? httpStatus(message) : undefined;
    if (status !== undefined) data.http_status = status;
    return { event_type: "error", data, ...(at ? { timestamp: at } : {}), key: keys.stream(this.f.session_id, "error", this.errorN++), presence: "stream_only" };
  }

  private result(rec: Obj, at: string | undefined): Captured[] {
    const failed = rec["status"] === "error";
    const events = this.flushText(failed ? "stream_only" : "both");
    const status = str(rec["status"]);
    if (status === "success") this.f.status = "success";
    else if (status === "error") this.f.status = "failed";
    const stats = isObj(rec["stats"]) ? rec["stats"] : undefined;
    if (stats) {
      const usage = resultUsage(stats);
      if (usage) this.f.total_usage = usage;
      const model = statsModel(stats, this.setting);
      if (model) this.f.model = model;
    }
    const errorObj = isObj(rec["error"]) ? rec["error"] : undefined;
    if (failed) {
      const message = str(errorObj?.["message"]) || "Gemini CLI ended with an error";
      this.f.error = message;
      const status = httpStatus(message);
      const api = status !== undefined || /\bAPI Error\b/.test(message);
      const data: DataOf<"error"> = { error_message: boundMessage(message), error_source: api ? "api" : "agent" };
      if (status !== undefined) data.http_status = status;
      const type = str(errorObj?.["type"]);
      if (type) data["error_type"] = type;
      events.push({ event_type: "error", data, ...(at ? { timestamp: at } : {}), key: keys.stream(this.f.session_id, "result", 0), presence: "stream_only" });
    }
    return events;
  }
}

const callEntries = z.array(z.tuple([z.string(), z.object({ name: z.string(), atMs: z.number().nullable() })]));

/** The state a GeminiStreamParser snapshot holds (see `snapshot()`). */
export const geminiStreamState = z.object({
  facts: snapshotParts.facts,
  segments: z.array(z.object({ text: z.string(), at: z.string().optional(), settled: z.boolean() })),
  lastDeltaMs: z.number().nullable(),
  textN: z.number().int().nonnegative(),
  errorN: z.number().int().nonnegative(),
  userN: z.number().int().nonnegative(),
  rawN: z.number().int().nonnegative(),
  sawPrompt: z.boolean(),
  setting: z.string().nullable(),
  calls: z.object({ pending: callEntries, answered: callEntries }),
});
type GeminiStreamState = z.infer<typeof geminiStreamState>;

/**
 * `result.stats` in awl's buckets. 0.61's StreamStats: `input_tokens` (prompt, includes
 * `cached`), `output_tokens` (candidates, excludes thoughts), `total_tokens` (Gemini's
 * totalTokenCount summed, which also holds thoughts and tool-use prompt tokens), no thoughts
 * field. So input = input_tokens − cached, cache_read = cached, output = output_tokens, and the
 * remainder total_tokens − input_tokens − output_tokens goes to `reasoning`: stdout does not split
 * thoughts from tool-use prompt tokens, and thoughts are what it nearly always is (tool-use
 * prompts come only from Google's built-in grounding tools). The buckets then sum to
 * stats.total_tokens exactly (53354 / 35252 / 9154 on the real fixtures, remainder 0 since the
 * mock reports no thoughts). The older SessionMetrics shape (`models[m].tokens{prompt,
 * candidates, cached, thoughts, tool, total}`, `--output-format json`) is read too.
 */
export function resultUsage(stats: Obj): Usage | undefined {
  if (typeof stats["total_tokens"] === "number" || typeof stats["input_tokens"] === "number") {
    const prompt = count(stats["input_tokens"]);
    const cached = count(stats["cached"]);
    const output = count(stats["output_tokens"]);
    const total = count(stats["total_tokens"]);
    const reasoning = Math.max(0, total - prompt - output);
    return withTotal({ input: Math.max(0, prompt - cached), cache_read: cached, output, reasoning });
  }
  const models = isObj(stats["models"]) ? stats["models"] : undefined;
  if (!models) return undefined;
  let sum: Usage | undefined;
  for (const m of Object.values(models)) {
    const tk = isObj(m) && isObj(m["tokens"]) ? m["tokens"] : undefined;
    if (!tk) continue;
    const cached = count(tk["cached"]);
    const u = {
      input: Math.max(0, count(tk["prompt"]) - cached) + count(tk["tool"]),
      cache_read: cached,
      output: count(tk["candidates"]),
      reasoning: count(tk["thoughts"]),
    };
    sum = withTotal({
      input: (sum?.input ?? 0) + u.input,
      cache_read: (sum?.cache_read ?? 0) + u.cache_read,
      output: (sum?.output ?? 0) + u.output,
      reasoning: (sum?.reasoning ?? 0) + u.reasoning,
    });
  }
  return sum;
}

/**
 * The model that did the work. With `auto`, Gemini CLI first asks a flash-lite classifier which
 * model to use; that side call is in stats.models too and is never the answer, even when it is
 * the only entry (the main request failed before any token was counted). Otherwise the model
 * that used the most tokens: a fallback after a quota error leaves two.
 */
function statsModel(stats: Obj, setting: string | undefined): string | undefined {
  const models = isObj(stats["models"]) ? stats["models"] : undefined;
  if (!models) return undefined;
  const routed = setting === undefined || /^auto\b/i.test(setting);
  const totals = new Map<string, number>();
  for (const [name, m] of Object.entries(models)) {
    if (!isObj(m) || (routed && /flash-lite/i.test(name))) continue;
    const tk = isObj(m["tokens"]) ? m["tokens"] : undefined;
    totals.set(name, count(m["total_tokens"]) || count(tk?.["total"]) || count(m["input_tokens"]) + count(m["output_tokens"]));
  }
  return mainModel(totals);
}
