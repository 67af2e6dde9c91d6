import type { DataOf, EventType, Usage } from "../../schema/index.js";
import { z } from "zod";
import { type Captured, emptyFacts, type LineParser, type ParserSnapshot, type SessionFacts, type SourceFormat, snapshotParts } from "../adapter.js";
import { CallMemory, RecentMap, RecentSet } from "../bounded.js";
import {
  apiStatusOf,
  baseModel,
  contentText,
  exitCodeOf,
  isRec,
  mergeUsage,
  type Rec,
  SYNTHETIC_MODEL,
  str,
  timeOf,
  toolErrorMessage,
  toUsage,
  usageGrowth,
} from "./records.js";

/**
 * One parser for both Claude Code formats: stdout of `claude -p --output-format stream-json
 * --verbose` ("stream") and the transcript `~/.claude/projects/<slug>/<session>.jsonl`
 * ("session"). They share the `assistant`/`user` records (same `uuid`s), so one mapping
 * serves both; they differ in what they add around them and in how far usage can be trusted.
 *
 * Record → event:
 * - `assistant` content blocks: `text` → agent_output, `thinking`/`redacted_thinking` →
 *   agent_thinking, `tool_use` (and server/MCP tool uses) → tool_call. A `<synthetic>` API error
 *   message (`isApiErrorMessage`, or `error` on stdout) → error (source api), not agent_output.
 * - `user`: `tool_result` blocks → tool_result, plus an error twin (source tool) when
 *   `is_error`. The first main-chain prompt becomes `facts.prompt` (session_start carries it);
 *   later prompts are agent_output with `record_type: "user"`. `isMeta` injections (caveats,
 *   skill bodies, hook reminders) are counted, not emitted.
 * - `system`: `api_retry` → error (api, stream_only); `api_error` (session files of some 2.x
 *   versions) → error (api); `compact_boundary` and subtypes with text (`local_command`, …) →
 *   agent_output with `record_type: "system/<subtype>"`; hook errors → error (agent);
 *   `init` → facts; progress chatter (`status`, `turn_duration`, hooks) is counted.
 * - `result` → facts (status from `is_error`/`api_error_status`, never `subtype`; totals; cost);
 *   a failure that no API error message already reported → error (stream_only).
 * - `progress` `agent_progress` → the nested sub-agent message, mapped like a top-level one
 *   with `data.subagent`; other progress kinds are counted.
 * - `summary` → agent_output `record_type: "summary"`.
 * - Counted in `facts.unknown_records`, not emitted: `stream_event` (deltas the aggregated
 *   `assistant` line repeats; their message_start/message_delta only feed usage),
 *   `file-history-snapshot`, `queue-operation`, `last-prompt`, `attachment`, `custom-title`,
 *   records repeated with a uuid already parsed (`duplicate_record`, a resumed session copies
 *   its last record), and content blocks nobody reads (`block/image`).
 * - Any other record type: agent_output with `record_type` and `raw`, and counted.
 *
 * Usage (Anthropic buckets, `data.usage` on the first event of each `message.id`, once):
 * - session: every line of a response repeats the usage, final in current versions; older ones
 *   (1.0–2.1) wrote a response in several lines with growing `output_tokens`. The events of a
 *   response are held until the next response of the same chain starts (or a new prompt, or
 *   the end), so the first event carries the largest usage seen. A line arriving after that
 *   (interleaved chains) that grows it carries the growth, so the sum stays exact.
 * - stream: `output_tokens` per message is a placeholder, so no per-event usage, and
 *   `facts.total_usage` comes from `result.usage`. With `--include-partial-messages`,
 *   `message_start` (input, cache) plus `message_delta` (real output) give exact per-request
 *   usage: the events of that message are held until its `message_delta`.
 * - Sub-agent messages nested in `progress` records carry no usage: theirs is a streaming
 *   snapshot, and the sub-agent's own transcript (agent-*.jsonl) holds the final figures.
 *
 * Keys: `${uuid}:${block index}` for content blocks, `${…}:err` for the error twin, the bare
 * `uuid` for single-event records, `summary:${leafUuid}` for summaries. stdout and the
 * transcript give a record the same uuid, so both parses of a run give equal keys.
 *
 * Models: each event names `message.model` (never `<synthetic>`). `facts.model` is the model
 * that answered most main-chain requests (a Haiku warm-up sub-agent does not count), else the
 * init `model` without its context-size suffix (`claude-opus-4-8[1m]` → `claude-opus-4-8`, the
 * id the API and price tables use).
 *
 * Sub-agents (sidechain records, agent-*.jsonl files, stdout lines with `parent_tool_use_id`,
 * `progress` nesting) carry `data.subagent: true`, `agent_id` and `parent_tool_call_id` where known.
 *
 * A file holding several session ids (a resumed session) keeps going: `facts.session_id` is
 * the first, and events of the later sessions are emitted as part of the same run.
 */

/** Where a record sits: who wrote it and how events from it are identified. */
interface Ctx {
  uuid: string | undefined;
  timestamp: string | undefined;
  subagent: boolean;
  agentId: string | undefined;
  parentToolCallId: string | undefined;
}

interface Call {
  name: string;
  ts?: string | undefined;
}

interface MessageState {
  chain: string;
  open: boolean;
  /** The largest usage seen for the message (by output tokens; later wins ties). */
  usage: Usage | undefined;
  output: number;
  /** The first event from the message: it carries the usage, and holds back those after it. */
  first: Captured | undefined;
  /** What the events of the message carry so far. */
  assigned: Usage | undefined;
}

/** Beyond this many held events, responses are closed anyway: memory stays bounded on odd files. */
const MAX_HELD = 4096;

/**
 * Windows of what is remembered to recognise it again (capture/bounded.ts). Measured on the real
 * and public transcripts (1.0.17 … 2.1.39): a repeated uuid came 1 record after the original (a
 * resume copying the last record), every line of a response before any other response's, a result
 * at most 8 calls after its call, and no result twice except inside that copied record. Past a
 * window, a repeated record is emitted again under the keys it had (import drops those as
 * duplicates), a result loses its call's name and duration, and a line of a response more than
 * CLOSED_MESSAGES responses old would carry that response's usage a second time.
 */
const SEEN_UUIDS = 512;
const PENDING_CALLS = 1024;
const ANSWERED_CALLS = 64;
/** Closed responses; open ones (one per chain at most) are always kept. */
const CLOSED_MESSAGES = 64;
const SUMMARY_LEAVES = 256;

/** Raised whenever the snapshot's state, or what the parser does with it, changes. */
export const CLAUDE_SNAPSHOT_VERSION = 1;

/** Whole records recognised from their first bytes, so the lines that carry nothing are not parsed. */
const COUNT_BY_PREFIX: readonly [string, string][] = [
  ['{"type":"stream_event","event":{"type":"content_block_', "stream_event"],
  ['{"type":"stream_event","event":{"type":"message_stop"', "stream_event"],
  ['{"type":"file-history-snapshot"', "file-history-snapshot"],
];

const COUNTED_TYPES = new Set(["file-history-snapshot", "last-prompt", "attachment", "custom-title"]);
const COUNTED_SYSTEM = new Set(["status", "turn_duration", "stop_hook_summary", "hook_started", "hook_response"]);

export class ClaudeParser implements LineParser {
  private f: SessionFacts = emptyFacts();
  private seen = new RecentSet(SEEN_UUIDS);
  private calls = new CallMemory<Call>(PENDING_CALLS, ANSWERED_CALLS);
  private readonly messages = new Map<string, MessageState>();
  private readonly openByChain = new Map<string, MessageState>();
  private readonly blockers = new Set<Captured>();
  private queue: Captured[] = [];
  private readonly mainModels = new Map<string, number>();
  private readonly allModels = new Map<string, number>();
  private summaryKeys = new RecentMap<number>(SUMMARY_LEAVES);
  private initModel: string | undefined;
  private sawInit = false;
  private mainPrompt: string | undefined;
  private sidePrompt: string | undefined;
  private queuePrompt: string | undefined;
  /** An API error message since the last result (a failed result then adds no second error). */
  private sawApiError = false;
  /** The main chain's last word was an API error: how a session file says the session failed. */
  private lastApiError: string | undefined;

  constructor(private readonly format: SourceFormat) {}

  line(text: string, _seenAt?: string): Captured[] {
    const out: Captured[] = [];
    if (text.charCodeAt(0) === 123 /* { */) {
      for (const [prefix, kind] of COUNT_BY_PREFIX) {
        if (text.startsWith(prefix) && text.endsWith("}")) {
          this.count(kind);
          return out;
        }
      }
    } else if (text.trim() === "") {
      // The empty piece after a file's final newline, or blank lines: not a record, nothing lost.
      return out;
    }
    let v: unknown;
    try {
      v = JSON.parse(text);
    } catch {
      this.f.skipped_lines++;
      return out;
    }
    if (!isRec(v) || typeof v.type !== "string") {
      this.f.skipped_lines++;
      return out;
    }
    try {
      this.record(v, v.type, out);
    } catch {
      // A record of a shape no version wrote: counted, and the import goes on.
      this.f.skipped_lines++;
    }
    if (this.queue.length > MAX_HELD) this.closeAll();
    this.drain(out);
    return out;
  }

  end(): Captured[] {
    const out: Captured[] = [];
    this.closeAll();
    this.drain(out);
    return out;
  }

  facts(): SessionFacts {
    const f: SessionFacts = { ...this.f, unknown_records: { ...this.f.unknown_records } };
    const model = topModel(this.mainModels) ?? topModel(this.allModels) ?? (this.initModel ? baseModel(this.initModel) : undefined);
    if (model !== undefined) f.model = model;
    const prompt = this.mainPrompt ?? this.sidePrompt ?? this.queuePrompt;
    if (prompt !== undefined) f.prompt = prompt;
    if (f.status === undefined && this.lastApiError !== undefined) {
      f.status = "failed";
      f.error = this.lastApiError;
    }
    return f;
  }

  /**
   * The parser's whole state: facts and the inputs of the derived ones (model counts, prompts,
   * the last API error); the held events (`queue`: the first event of each open response waits
   * for its final usage, and what follows it waits behind it; at most MAX_HELD); responses by
   * message id (open ones, and the CLOSED_MESSAGES most recent closed ones, whose later lines only
   * add usage growth), with `first` as an index into `queue`; the SEEN_UUIDS most recent uuids
   * (repeated records); calls awaiting a result (for the result's tool name and duration) and the
   * ANSWERED_CALLS most recently answered; the SUMMARY_LEAVES most recent summary leaves (a leaf
   * summarised again gets a numbered key).
   */
  snapshot(): ParserSnapshot {
    const ids = new Map<MessageState, string>();
    const messages: ClaudeState["messages"] = [];
    for (const [id, st] of this.messages) {
      ids.set(st, id);
      let first: number | null = null;
      if (st.first !== undefined) {
        first = this.queue.indexOf(st.first);
        if (first < 0) throw new Error(`claude parser: held event of ${id} is not in the queue`);
      }
      const assigned = st.assigned === undefined ? null : st.assigned === st.usage ? "usage" : st.assigned;
      messages.push([id, { chain: st.chain, open: st.open, output: st.output, usage: st.usage ?? null, assigned, first }]);
    }
    const state: ClaudeState = {
      facts: this.f,
      seen: this.seen.toJSON(),
      calls: this.calls.toJSON(),
      messages,
      open: [...this.openByChain.values()].map((st) => ids.get(st)!),
      queue: this.queue,
      mainModels: [...this.mainModels],
      allModels: [...this.allModels],
      summaryKeys: this.summaryKeys.toJSON(),
      initModel: this.initModel ?? null,
      sawInit: this.sawInit,
      mainPrompt: this.mainPrompt ?? null,
      sidePrompt: this.sidePrompt ?? null,
      queuePrompt: this.queuePrompt ?? null,
      sawApiError: this.sawApiError,
      lastApiError: this.lastApiError ?? null,
    };
    return { adapter: "claude", format: this.format, version: CLAUDE_SNAPSHOT_VERSION, state: structuredClone(state) };
  }

  /** A parser that goes on from a checked snapshot state (see claudeState). */
  static fromState(format: SourceFormat, st: ClaudeState): ClaudeParser {
    const p = new ClaudeParser(format);
    p.f = st.facts;
    p.seen = new RecentSet(SEEN_UUIDS, st.seen);
    p.calls = new CallMemory(PENDING_CALLS, ANSWERED_CALLS, st.calls);
    p.queue = st.queue;
    for (const [id, m] of st.messages) {
      const usage = m.usage ?? undefined;
      const first = m.first === null ? undefined : st.queue[m.first];
      if (m.first !== null && first === undefined) throw new Error(`response ${id} holds event ${m.first} of ${st.queue.length}`);
      const state: MessageState = { chain: m.chain, open: m.open, usage, output: m.output, first, assigned: m.assigned === "usage" ? usage : (m.assigned ?? undefined) };
      p.messages.set(id, state);
      if (first !== undefined) p.blockers.add(first);
    }
    for (const id of st.open) {
      const state = p.messages.get(id);
      if (!state?.open) throw new Error(`open response ${id} is not an open response`);
      p.openByChain.set(state.chain, state);
    }
    for (const [m, n] of st.mainModels) p.mainModels.set(m, n);
    for (const [m, n] of st.allModels) p.allModels.set(m, n);
    p.summaryKeys = new RecentMap(SUMMARY_LEAVES, st.summaryKeys);
    p.initModel = st.initModel ?? undefined;
    p.sawInit = st.sawInit;
    p.mainPrompt = st.mainPrompt ?? undefined;
    p.sidePrompt = st.sidePrompt ?? undefined;
    p.queuePrompt = st.queuePrompt ?? undefined;
    p.sawApiError = st.sawApiError;
    p.lastApiError = st.lastApiError ?? undefined;
    return p;
  }

  // --- records -------------------------------------------------------------------------------

  private record(r: Rec, type: string, out: Captured[]): void {
    const uuid = str(r.uuid);
    if (uuid !== undefined && type !== "stream_event") {
      if (this.seen.has(uuid)) {
        this.count("duplicate_record");
        return;
      }
      this.seen.add(uuid);
    }
    this.observe(r);
    switch (type) {
      case "assistant":
        this.assistant(r, out);
        return;
      case "user":
        this.user(r, out);
        return;
      case "system":
        this.system(r, out);
        return;
      case "result":
        this.result(r, out);
        return;
      case "stream_event":
        this.streamEvent(r);
        return;
      case "progress":
        this.progress(r, out);
        return;
      case "summary":
        this.summary(r, out);
        return;
      case "queue-operation":
        if (r.operation === "enqueue" && this.queuePrompt === undefined) this.queuePrompt = str(r.content);
        this.count(type);
        return;
      default:
        if (COUNTED_TYPES.has(type)) this.count(type);
        else this.unknown(r, type, out);
    }
  }

  /** Session-wide facts any record may carry (the first value wins). */
  private observe(r: Rec): void {
    const f = this.f;
    if (f.session_id === undefined) {
      const id = str(r.sessionId) ?? str(r.session_id);
      if (id !== undefined) f.session_id = id;
    }
    if (f.cwd === undefined && typeof r.cwd === "string") f.cwd = r.cwd;
    if (f.agent_version === undefined) {
      const v = str(r.version) ?? str(r.claude_code_version);
      if (v !== undefined) f.agent_version = v;
    }
    const ts = isoTime(r.timestamp);
    if (ts !== undefined) {
      // Claude writes ISO UTC with milliseconds, so the strings order like the times.
      if (f.started_at === undefined || ts < f.started_at) f.started_at = ts;
      if (f.ended_at === undefined || ts > f.ended_at) f.ended_at = ts;
    }
  }

  private ctx(r: Rec): Ctx {
    const parent = str(r.parent_tool_use_id);
    return {
      uuid: str(r.uuid),
      timestamp: isoTime(r.timestamp),
      subagent: r.isSidechain === true || parent !== undefined,
      agentId: str(r.agentId),
      parentToolCallId: parent,
    };
  }

  private assistant(r: Rec, out: Captured[]): void {
    const msg = isRec(r.message) ? r.message : {};
    const ctx = this.ctx(r);
    const rawModel = str(msg.model);
    const synthetic = rawModel === SYNTHETIC_MODEL;
    const model = synthetic ? undefined : rawModel;
    const apiError = r.isApiErrorMessage === true || (synthetic && r.error !== undefined && r.error !== null);
    const evs = this.assistantEvents(msg, r, ctx, model, synthetic, apiError);
    if (apiError) {
      this.sawApiError = true;
      if (!ctx.subagent) this.lastApiError = errorText(evs);
    } else if (!synthetic && !ctx.subagent) {
      this.lastApiError = undefined;
    }
    const id = str(msg.id);
    const st = id !== undefined && !synthetic ? this.track(id, model, this.chainOf(r, ctx), msg.usage, ctx.subagent) : undefined;
    this.place(evs, st, out);
  }

  private chainOf(r: Rec, ctx: Ctx): string {
    if (this.format === "stream") return ctx.parentToolCallId ?? "main";
    return r.isSidechain === true ? `side:${ctx.agentId ?? ""}` : "main";
  }

  /** The state of a response, created when its first line (or its message_start) arrives. */
  private track(id: string, model: string | undefined, chain: string, usage: unknown, subagent: boolean): MessageState {
    let st = this.messages.get(id);
    if (!st) {
      st = this.open(id, chain, model, subagent, this.format === "session");
    }
    if (this.format === "session") {
      const u = toUsage(usage);
      if (u && (u.output ?? 0) >= st.output) {
        st.usage = u;
        st.output = u.output ?? 0;
      }
    }
    return st;
  }

  private open(id: string, chain: string, model: string | undefined, subagent: boolean, holding: boolean): MessageState {
    const st: MessageState = { chain, open: false, usage: undefined, output: -1, first: undefined, assigned: undefined };
    this.messages.set(id, st);
    if (this.messages.size > CLOSED_MESSAGES) this.forgetClosed();
    if (model !== undefined) {
      bump(this.allModels, model);
      if (!subagent) bump(this.mainModels, model);
    }
    if (holding) {
      const prev = this.openByChain.get(chain);
      if (prev) this.close(prev);
      st.open = true;
      this.openByChain.set(chain, st);
    }
    return st;
  }

  private assistantEvents(msg: Rec, r: Rec, ctx: Ctx, model: string | undefined, synthetic: boolean, apiError: boolean): Captured[] {
    const evs: Captured[] = [];
    const content = msg.content;
    const blocks: unknown[] = Array.isArray(content) ? content : typeof content === "string" ? [{ type: "text", text: content }] : [];
    let reported = false;
    for (let i = 0; i < blocks.length; i++) {
      const b = blocks[i];
      if (!isRec(b)) continue;
      const key = ctx.uuid !== undefined ? `${ctx.uuid}:${i}` : undefined;
      const type = str(b.type) ?? "block";
      if (type === "text") {
        const text = str(b.text) ?? "";
        if (apiError) {
          evs.push(this.apiError(text, r, ctx, key));
          reported = true;
        } else {
          evs.push(this.make("agent_output", synthetic ? { output: text, synthetic: true } : { output: text }, ctx, key, model));
        }
      } else if (type === "thinking") {
        evs.push(this.make("agent_thinking", { thinking: str(b.thinking) ?? "" }, ctx, key, model));
      } else if (type === "redacted_thinking") {
        evs.push(this.make("agent_thinking", { thinking: "", redacted: true }, ctx, key, model));
      } else if (type === "tool_use" || type === "server_tool_use" || type === "mcp_tool_use") {
        evs.push(this.toolCall(b, type, ctx, key, model));
      } else if (type.endsWith("_tool_result")) {
        // Server-side tools (web search, code execution) answer inside the assistant message.
        const c = b.content;
        const failed = isRec(c) && typeof c.type === "string" && c.type.endsWith("_error");
        evs.push(...this.toolResult(str(b.tool_use_id), failed, c, ctx, key));
      } else {
        this.count(`block/${type}`);
        evs.push(this.make("agent_output", { output: "", record_type: `block/${type}`, raw: b }, ctx, key, model));
      }
    }
    if (apiError && !reported) {
      const text = `API Error: ${typeof r.error === "string" ? r.error : "unknown"}`;
      evs.push(this.apiError(text, r, ctx, ctx.uuid !== undefined ? `${ctx.uuid}:err` : undefined));
    }
    if (evs.length === 0) {
      // Every response yields an event, so its usage always has one to ride on.
      evs.push(this.make("agent_output", { output: "", record_type: "assistant" }, ctx, ctx.uuid !== undefined ? `${ctx.uuid}:0` : undefined, model));
    }
    return evs;
  }

  private apiError(text: string, r: Rec, ctx: Ctx, key: string | undefined): Captured {
    const status = typeof r.apiErrorStatus === "number" ? r.apiErrorStatus : apiStatusOf(text);
    const data: DataOf<"error"> = { error_message: text || "API Error", error_source: "api" };
    if (status !== undefined && Number.isInteger(status)) data.http_status = status;
    if (typeof r.error === "string") data.error_type = r.error;
    return this.make("error", data, ctx, key);
  }

  private toolCall(b: Rec, type: string, ctx: Ctx, key: string | undefined, model: string | undefined): Captured {
    const name = str(b.name) || "unknown";
    const id = str(b.id);
    const data: DataOf<"tool_call"> = { tool_name: name, tool_params: b.input };
    if (id !== undefined) {
      data.tool_call_id = id;
      this.calls.open(id, { name, ts: ctx.timestamp });
    }
    if (type !== "tool_use") data.tool_type = type;
    return this.make("tool_call", data, ctx, key, model);
  }

  private toolResult(id: string | undefined, failed: boolean, content: unknown, ctx: Ctx, key: string | undefined): Captured[] {
    const call = id !== undefined ? this.calls.get(id) : undefined;
    if (id !== undefined) this.calls.answer(id);
    const text = contentText(content);
    const data: DataOf<"tool_result"> = { result: failed ? "error" : "success" };
    if (call) data.tool_name = call.name;
    if (text !== undefined) data.result_data = text;
    else if (content !== undefined) data.result_data = content;
    if (id !== undefined) data.tool_call_id = id;
    if (call?.ts !== undefined && ctx.timestamp !== undefined) {
      const from = timeOf(call.ts);
      const to = timeOf(ctx.timestamp);
      if (from !== undefined && to !== undefined && to >= from) data.duration_ms = Math.round(to - from);
    }
    if (!failed) return [this.make("tool_result", data, ctx, key)];
    const code = exitCodeOf(text);
    if (code !== undefined) data.exit_code = code;
    const err: DataOf<"error"> = { error_message: toolErrorMessage(text, call?.name), error_source: "tool" };
    if (id !== undefined) err.tool_call_id = id;
    if (call) err.tool_name = call.name;
    return [this.make("tool_result", data, ctx, key), this.make("error", err, ctx, key !== undefined ? `${key}:err` : undefined)];
  }

  private user(r: Rec, out: Captured[]): void {
    const msg = isRec(r.message) ? r.message : {};
    const ctx = this.ctx(r);
    this.place(this.userEvents(msg, r, ctx), undefined, out);
  }

  private userEvents(msg: Rec, r: Rec, ctx: Ctx): Captured[] {
    const evs: Captured[] = [];
    const content = msg.content;
    if (typeof content === "string") {
      this.userText(content, r, ctx, ctx.uuid !== undefined ? `${ctx.uuid}:0` : undefined, evs);
      return evs;
    }
    if (!Array.isArray(content)) {
      this.count("user/no_content");
      return evs;
    }
    for (let i = 0; i < content.length; i++) {
      const b = content[i];
      if (!isRec(b)) continue;
      const key = ctx.uuid !== undefined ? `${ctx.uuid}:${i}` : undefined;
      if (b.type === "tool_result") evs.push(...this.toolResult(str(b.tool_use_id), b.is_error === true, b.content, ctx, key));
      else if (b.type === "text") this.userText(str(b.text) ?? "", r, ctx, key, evs);
      else this.count(`block/${str(b.type) ?? "block"}`);
    }
    return evs;
  }

  private userText(text: string, r: Rec, ctx: Ctx, key: string | undefined, evs: Captured[]): void {
    if (r.isMeta === true) {
      this.count("user/meta");
      return;
    }
    if (r.isCompactSummary === true) {
      evs.push(this.make("agent_output", { output: text, record_type: "compact_summary" }, ctx, key));
      return;
    }
    if (!ctx.subagent) {
      // A new turn: the responses before it are complete, their usage final.
      this.closeAll();
      if (this.mainPrompt === undefined && isPrompt(text)) {
        this.mainPrompt = text;
        return;
      }
    } else if (this.sidePrompt === undefined) {
      this.sidePrompt = text;
    }
    evs.push(this.make("agent_output", { output: text, record_type: "user" }, ctx, key));
  }

  private system(r: Rec, out: Captured[]): void {
    const subtype = str(r.subtype) ?? "";
    const ctx = this.ctx(r);
    const key = ctx.uuid;
    const evs: Captured[] = [];
    switch (subtype) {
      case "init":
        if (!this.sawInit) {
          this.sawInit = true;
          this.initModel = str(r.model);
        }
        return;
      case "api_retry":
        evs.push(this.make("error", retryError(r), ctx, key, undefined, "stream_only"));
        break;
      case "api_error":
        evs.push(this.make("error", sessionRetryError(r), ctx, key));
        break;
      case "compact_boundary": {
        const data: DataOf<"agent_output"> = { output: str(r.content) ?? "Conversation compacted", record_type: "system/compact_boundary" };
        if (r.compactMetadata !== undefined) data.raw = r.compactMetadata;
        evs.push(this.make("agent_output", data, ctx, key));
        break;
      }
      default: {
        const hookErrors = Array.isArray(r.hookErrors) ? r.hookErrors : [];
        if (hookErrors.length > 0) {
          hookErrors.forEach((e, i) => {
            const message = typeof e === "string" ? e : JSON.stringify(e);
            evs.push(this.make("error", { error_message: message, error_source: "agent", hook: true }, ctx, key !== undefined ? `${key}:${i}` : undefined));
          });
        } else if (COUNTED_SYSTEM.has(subtype)) {
          this.count(`system/${subtype}`);
        } else if (typeof r.content === "string") {
          const recordType = `system/${subtype}`;
          evs.push(
            r.level === "error"
              ? this.make("error", { error_message: r.content, error_source: "agent", record_type: recordType }, ctx, key)
              : this.make("agent_output", { output: r.content, record_type: recordType }, ctx, key),
          );
        } else {
          this.unknown(r, `system/${subtype}`, out);
        }
      }
    }
    this.place(evs, undefined, out);
  }

  private result(r: Rec, out: Captured[]): void {
    this.closeAll();
    const f = this.f;
    const status = typeof r.api_error_status === "number" ? r.api_error_status : undefined;
    const failed = r.is_error === true || (r.api_error_status !== undefined && r.api_error_status !== null);
    f.status = failed ? "failed" : "success";
    const usage = toUsage(r.usage);
    if (usage) f.total_usage = usage;
    if (typeof r.total_cost_usd === "number" && Number.isFinite(r.total_cost_usd) && r.total_cost_usd >= 0) f.cost_usd = r.total_cost_usd;
    if (!failed) {
      delete f.error;
      this.sawApiError = false;
      return;
    }
    const errors = Array.isArray(r.errors) ? r.errors.filter((e): e is string => typeof e === "string").join("\n") : "";
    const text = str(r.result) || errors || `Claude Code ended with ${str(r.subtype) ?? "an error"}`;
    f.error = text;
    if (!this.sawApiError) {
      const data: DataOf<"error"> = { error_message: text, error_source: status !== undefined ? "api" : "agent" };
      if (status !== undefined && Number.isInteger(status)) data.http_status = status;
      const subtype = str(r.subtype);
      if (subtype !== undefined) data.error_type = subtype;
      this.place([this.make("error", data, this.ctx(r), str(r.uuid), undefined, "stream_only")], undefined, out);
    }
    this.sawApiError = false;
  }

  private streamEvent(r: Rec): void {
    this.count("stream_event");
    const e = r.event;
    if (!isRec(e)) return;
    const chain = str(r.parent_tool_use_id) ?? "main";
    if (e.type === "message_start" && isRec(e.message)) {
      const id = str(e.message.id);
      if (id === undefined || this.messages.has(id)) return;
      const model = str(e.message.model);
      const st = this.open(id, chain, model === SYNTHETIC_MODEL ? undefined : model, chain !== "main", true);
      // message_start's output count is a placeholder; message_delta brings the real one.
      st.usage = mergeUsage(toUsage(e.message.usage), { output_tokens: 0 });
    } else if (e.type === "message_delta") {
      const st = this.openByChain.get(chain);
      if (!st) return;
      st.usage = mergeUsage(st.usage, e.usage);
      this.close(st);
    }
  }

  private progress(r: Rec, out: Captured[]): void {
    const d = isRec(r.data) ? r.data : {};
    const kind = str(d.type) ?? "unknown";
    const nested = d.message;
    if (kind !== "agent_progress" || !isRec(nested) || !isRec(nested.message)) {
      this.count(`progress/${kind}`);
      return;
    }
    const uuid = str(nested.uuid);
    if (uuid !== undefined) {
      if (this.seen.has(uuid)) {
        this.count("duplicate_record");
        return;
      }
      this.seen.add(uuid);
    }
    const ctx: Ctx = {
      uuid,
      timestamp: isoTime(nested.timestamp) ?? isoTime(r.timestamp),
      subagent: true,
      agentId: str(d.agentId),
      parentToolCallId: str(r.parentToolUseID),
    };
    const msg = nested.message;
    if (nested.type === "assistant") {
      const rawModel = str(msg.model);
      const synthetic = rawModel === SYNTHETIC_MODEL;
      const apiError = nested.isApiErrorMessage === true || (synthetic && nested.error !== undefined && nested.error !== null);
      const id = str(msg.id);
      // Counted for the model only: no usage, and nothing held.
      if (id !== undefined && !synthetic && !this.messages.has(id)) this.open(id, "progress", rawModel, true, false);
      this.place(this.assistantEvents(msg, nested, ctx, synthetic ? undefined : rawModel, synthetic, apiError), undefined, out);
    } else if (nested.type === "user") {
      this.place(this.userEvents(msg, nested, ctx), undefined, out);
    } else {
      this.count(`progress/${kind}`);
    }
  }

  private summary(r: Rec, out: Captured[]): void {
    const leaf = str(r.leafUuid);
    let key: string | undefined;
    if (leaf !== undefined) {
      const n = this.summaryKeys.get(leaf) ?? 0;
      this.summaryKeys.set(leaf, n + 1);
      key = n === 0 ? `summary:${leaf}` : `summary:${leaf}:${n}`;
    }
    const ctx = this.ctx(r);
    this.place([this.make("agent_output", { output: str(r.summary) ?? "", record_type: "summary" }, ctx, key)], undefined, out);
  }

  private unknown(r: Rec, recordType: string, out: Captured[]): void {
    this.count(recordType);
    const ctx = this.ctx(r);
    const output = str(r.content) ?? str(r.text) ?? str(r.message) ?? "";
    this.place([this.make("agent_output", { output, record_type: recordType, raw: r }, ctx, ctx.uuid)], undefined, out);
  }

  // --- events, holding, usage ----------------------------------------------------------------

  private make<T extends EventType>(
    type: T,
    data: DataOf<T>,
    ctx: Ctx,
    key: string | undefined,
    model?: string,
    presence?: "stream_only",
  ): Captured {
    if (ctx.subagent) {
      const d = data as Rec;
      d.subagent = true;
      if (ctx.agentId !== undefined) d.agent_id = ctx.agentId;
      if (ctx.parentToolCallId !== undefined) d.parent_tool_call_id = ctx.parentToolCallId;
    }
    const ev = { event_type: type, data } as Captured;
    if (ctx.timestamp !== undefined) ev.timestamp = ctx.timestamp;
    if (model !== undefined) ev.model = model;
    if (key !== undefined) ev.key = key;
    if (presence !== undefined) ev.presence = presence;
    return ev;
  }

  /** Queues or emits the events of one record; the first event of an open response is held. */
  private place(evs: Captured[], st: MessageState | undefined, out: Captured[]): void {
    let i = 0;
    if (st && evs.length > 0) {
      const first = evs[0]!;
      if (st.open && st.first === undefined) {
        st.first = first;
        this.blockers.add(first);
        this.queue.push(first);
        i = 1;
      } else if (!st.open && st.usage !== undefined) {
        const growth = usageGrowth(st.usage, st.assigned);
        if (growth) {
          (first.data as { usage?: Usage }).usage = growth;
          st.assigned = st.usage;
        }
      }
    }
    for (; i < evs.length; i++) {
      const ev = evs[i]!;
      if (this.queue.length > 0) this.queue.push(ev);
      else out.push(ev);
    }
  }

  private close(st: MessageState): void {
    if (!st.open) return;
    st.open = false;
    if (this.openByChain.get(st.chain) === st) this.openByChain.delete(st.chain);
    if (st.first !== undefined) {
      if (st.usage !== undefined) (st.first.data as { usage?: Usage }).usage = st.usage;
      st.assigned = st.usage;
      this.blockers.delete(st.first);
      // Released: a long transcript must not keep every response's first event alive.
      st.first = undefined;
    }
  }

  /** The oldest closed responses beyond the window; open ones stay (a chain's response is open until the next). */
  private forgetClosed(): void {
    let over = this.messages.size - CLOSED_MESSAGES;
    for (const [id, st] of this.messages) {
      if (over <= 0) return;
      if (st.open) continue;
      this.messages.delete(id);
      over--;
    }
  }

  private closeAll(): void {
    if (this.openByChain.size === 0) return;
    for (const st of [...this.openByChain.values()]) this.close(st);
  }

  private drain(out: Captured[]): void {
    const q = this.queue;
    if (q.length === 0) return;
    let i = 0;
    while (i < q.length && !this.blockers.has(q[i]!)) i++;
    if (i === 0) return;
    if (i === q.length) {
      for (const ev of q) out.push(ev);
      this.queue = [];
    } else {
      for (const ev of q.splice(0, i)) out.push(ev);
    }
  }

  private count(kind: string): void {
    const u = this.f.unknown_records;
    u[kind] = (u[kind] ?? 0) + 1;
  }
}

const entries = <T>(value: z.ZodType<T>) => z.array(z.tuple([z.string(), value]));
const call = z.object({ name: z.string(), ts: z.string().optional() });
const usage = snapshotParts.usage;

/** The state a ClaudeParser snapshot holds (see `snapshot()`). */
export const claudeState = z.object({
  facts: snapshotParts.facts,
  seen: z.array(z.string()),
  calls: z.object({ pending: entries(call), answered: entries(call) }),
  messages: entries(
    z.object({
      chain: z.string(),
      open: z.boolean(),
      output: z.number(),
      usage: usage.nullable(),
      /** "usage": the same as `usage` (what a closed response has). */
      assigned: z.union([z.literal("usage"), usage]).nullable(),
      first: z.number().int().nonnegative().nullable(),
    }),
  ),
  open: z.array(z.string()),
  queue: z.array(snapshotParts.captured),
  mainModels: entries(z.number()),
  allModels: entries(z.number()),
  summaryKeys: entries(z.number()),
  initModel: z.string().nullable(),
  sawInit: z.boolean(),
  mainPrompt: z.string().nullable(),
  sidePrompt: z.string().nullable(),
  queuePrompt: z.string().nullable(),
  sawApiError: z.boolean(),
  lastApiError: z.string().nullable(),
});
type ClaudeState = z.infer<typeof claudeState>;

/**
 * What the user typed that is not a request to the agent: local slash commands (/clear, /mcp,
 * /model: `<command-name>` first; prompt commands such as /init start with `<command-message>`),
 * their output, `!` shell input and interruptions. None of them is the session's prompt.
 */
const NOT_PROMPT = ["<command-name>", "<local-command-", "<bash-", "[Request interrupted"];

function isPrompt(text: string): boolean {
  if (text.trim() === "") return false;
  for (const p of NOT_PROMPT) if (text.startsWith(p)) return false;
  return true;
}

const ISO_TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d{1,9})?(?:Z|[+-]\d\d:\d\d)$/;

/** An ISO time as Claude writes it (`2026-11-24T21:03:17.624Z`); anything else would fail the event schema. */
function isoTime(v: unknown): string | undefined {
  return typeof v === "string" && ISO_TIME.test(v) ? v : undefined;
}

function bump(m: Map<string, number>, k: string): void {
  m.set(k, (m.get(k) ?? 0) + 1);
}

/** The model that answered most requests; the first seen wins a tie. */
function topModel(m: Map<string, number>): string | undefined {
  let best: string | undefined;
  let n = 0;
  for (const [k, v] of m) {
    if (v > n) {
      best = k;
      n = v;
    }
  }
  return best;
}

function errorText(evs: Captured[]): string | undefined {
  for (const ev of evs) if (ev.event_type === "error") return ev.data.error_message;
  return undefined;
}

/**
 * `system/api_retry` → "API Error: 529 overloaded (retry 1/10)": worded like Claude's own final
 * "API Error: 529 …" so the fingerprint rules name the cause (overloaded, server error, bad key,
 * rate limit) instead of grouping retries under an unknown template.
 */
function retryError(r: Rec): DataOf<"error"> {
  const status = typeof r.error_status === "number" && Number.isInteger(r.error_status) ? r.error_status : undefined;
  const attempt = typeof r.attempt === "number" ? r.attempt : undefined;
  const max = typeof r.max_retries === "number" ? r.max_retries : undefined;
  return retryData(status, str(r.error) ?? "unknown error", attempt, max, typeof r.retry_delay_ms === "number" ? r.retry_delay_ms : undefined);
}

/** The session-file record of a retried request some 2.x versions wrote (`error.status`, nested API error). */
function sessionRetryError(r: Rec): DataOf<"error"> {
  const e = isRec(r.error) ? r.error : {};
  const status = typeof e.status === "number" && Number.isInteger(e.status) ? e.status : undefined;
  const body = isRec(e.error) ? e.error : {};
  const inner = isRec(body.error) ? body.error : body;
  const what = str(inner.type) ?? str(inner.message) ?? str(e.message) ?? (typeof r.error === "string" ? r.error : "unknown error");
  const attempt = typeof r.retryAttempt === "number" ? r.retryAttempt : undefined;
  const max = typeof r.maxRetries === "number" ? r.maxRetries : undefined;
  return retryData(status, what, attempt, max, typeof r.retryInMs === "number" ? r.retryInMs : undefined);
}

function retryData(status: number | undefined, what: string, attempt: number | undefined, max: number | undefined, delay: number | undefined): DataOf<"error"> {
  const retry = attempt !== undefined ? ` (retry ${attempt}${max !== undefined ? `/${max}` : ""})` : "";
  const data: DataOf<"error"> = {
    error_message: `API Error: ${status !== undefined ? `${status} ` : ""}${what}${retry}`,
    error_source: "api",
  };
  if (status !== undefined) data.http_status = status;
  if (attempt !== undefined) data.retry_attempt = attempt;
  if (max !== undefined) data.max_retries = max;
  if (delay !== undefined && Number.isFinite(delay) && delay >= 0) data.retry_delay_ms = Math.round(delay);
  return data;
}
