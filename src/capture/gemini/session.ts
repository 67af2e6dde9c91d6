import type { DataOf, Usage } from "../../schema/index.js";
import { z } from "zod";
import type { Captured, LineParser, ParserSnapshot, SessionFacts } from "../adapter.js";
import { emptyFacts, snapshotParts } from "../adapter.js";
import { RecentSet } from "../bounded.js";
import { boundMessage, httpStatus, isObj, iso, keys, mainModel, ms, type Obj, recordUsage, shellMessage, shellOutcome, str } from "./common.js";

/**
 * Gemini CLI's own session file, `~/.gemini/tmp/<project>/chats/session-<time>-<id8>.jsonl`
 * (shared/formats/gemini-cli.md §2), and the single-JSON-document files it wrote before the
 * JSONL switch (`{sessionId, projectHash, startTime, lastUpdated, messages:[…]}`).
 *
 * Decisions:
 * - Records are the event log, de-duplicated by `id`, last version wins. Gemini CLI appends a
 *   `gemini` record again each time it completes it (tokens, then tool calls, then their
 *   results), so one is held until a record with another id arrives (or end()). A version that
 *   still shows up after that adds only what is new (keys already emitted are not emitted again;
 *   tokens count once per id).
 * - `{"$set":{…}}` patches are metadata: `lastUpdated` gives ended_at; `messages` replaces the
 *   whole list (the synthetic `<session_context>` at start, a rewritten history after loop
 *   detection or compression, which drops records that did happen, such as the loop nudge) and
 *   is not replayed. `{"$rewindTo":id}` (the user rewound) does not un-happen what was recorded.
 *   All of these count as handled lines.
 * - Tokens: `data.usage` on the first event of each `gemini` record (recordUsage). The sum over
 *   de-duplicated records equals Gemini's own `stats.models[<main model>]`; the routing
 *   classifier's call is not in the file (stdout's `result.stats` has it).
 * - Tool calls: `toolCalls[]` → tool_call + tool_result, keyed on `toolCalls[].id` (= stdout
 *   `tool_id`). A result fails on `status` "error" or "cancelled", or on a non-zero
 *   `Exit Code: N` in a shell result's trailer, which `status` does not reflect ("success" for an
 *   exit 128). Every failed result also yields an `error` event (error_source "tool").
 *   duration_ms = completion time − the record's time, omitted where the two are equal (the
 *   older files stamped both at once).
 * - User records: the first real prompt is facts.prompt (what the user typed: `displayContent`
 *   where the CLI expanded a command such as /init). `<session_context>` is context, not a
 *   prompt: skipped. Function responses are already in `toolCalls`: skipped. "System: Potential
 *   loop detected…" is the CLI's loop detection speaking: an `error` (error_source "agent").
 *   Other "System: …" nudges ("Please continue.") and later prompts become `agent_output` with
 *   record_type "system_nudge" / "user". `info`/`warning` records become `agent_output` with
 *   their type as record_type; `error` records become `error` events.
 */

const LAST_UPDATED = /^\{"\$set":\{"lastUpdated":"([^"\\]*)"\}\}$/;
const MESSAGES_SET = /^\{"\$set":\{"messages":/;
const TRAILING_LAST_UPDATED = /"lastUpdated":"([^"\\]*)"\}\}\s*$/;
const CONTEXT_SET_MAX = 256 * 1024;
const KNOWN_TYPES = new Set(["user", "gemini", "info", "error", "warning"]);
/**
 * Windows (capture/bounded.ts): event keys emitted and record ids whose tokens were counted, so a
 * later version of a record adds only what is new. In every real and public file a record's
 * versions follow one another with no other record between; a version arriving later than this
 * many keys (some hundred records) would repeat events under keys import already has, and count
 * its tokens again.
 */
const EMITTED_KEYS = 512;
const USAGE_IDS = 128;

/** Raised whenever the snapshot's state, or what the parser does with it, changes. */
export const GEMINI_SESSION_SNAPSHOT_VERSION = 1;

export class GeminiSessionParser implements LineParser {
  private f: SessionFacts = emptyFacts();
  private held: Obj | undefined;
  private emitted = new RecentSet(EMITTED_KEYS);
  private usageCounted = new RecentSet(USAGE_IDS);
  private readonly modelTokens = new Map<string, number>();
  private sawPrompt = false;
  private sawMessagesSet = false;

  line(text: string, seenAt?: string): Captured[] {
    try {
      return this.parse(text, iso(seenAt));
    } catch {
      this.f.skipped_lines++;
      return [];
    }
  }

  end(): Captured[] {
    try {
      return this.flushHeld();
    } catch {
      return [];
    }
  }

  facts(): SessionFacts {
    // A copy: the parser's own facts hold only what lines said, so a snapshot does not depend on when facts were asked.
    const f: SessionFacts = { ...this.f, unknown_records: { ...this.f.unknown_records } };
    const model = mainModel(this.modelTokens);
    if (model) f.model = model;
    return f;
  }

  /**
   * Facts and the per-model token counts `facts().model` is chosen from, whether the prompt and
   * the first `messages` patch were seen, the `gemini` record held until a record with another id
   * arrives (one line's record: end() would emit it), the EMITTED_KEYS most recent event keys and
   * the USAGE_IDS most recent records whose tokens were counted.
   */
  snapshot(): ParserSnapshot {
    const state: GeminiSessionState = {
      facts: this.f,
      held: (this.held as GeminiSessionState["held"]) ?? null,
      emitted: this.emitted.toJSON(),
      usageCounted: this.usageCounted.toJSON(),
      modelTokens: [...this.modelTokens],
      sawPrompt: this.sawPrompt,
      sawMessagesSet: this.sawMessagesSet,
    };
    return { adapter: "gemini", format: "session", version: GEMINI_SESSION_SNAPSHOT_VERSION, state: structuredClone(state) };
  }

  static fromState(st: GeminiSessionState): GeminiSessionParser {
    const p = new GeminiSessionParser();
    p.f = st.facts;
    p.held = st.held ?? undefined;
    p.emitted = new RecentSet(EMITTED_KEYS, st.emitted);
    p.usageCounted = new RecentSet(USAGE_IDS, st.usageCounted);
    for (const [m, n] of st.modelTokens) p.modelTokens.set(m, n);
    p.sawPrompt = st.sawPrompt;
    p.sawMessagesSet = st.sawMessagesSet;
    return p;
  }

  /** A whole pre-JSONL document: the header fields, then each message as if it were a line. */
  document(doc: Obj): Captured[] {
    this.header(doc);
    const out: Captured[] = [];
    const messages = Array.isArray(doc["messages"]) ? doc["messages"] : [];
    for (const m of messages) {
      try {
        if (isObj(m) && typeof m["id"] === "string" && typeof m["type"] === "string") out.push(...this.record(m));
        else this.f.skipped_lines++;
      } catch {
        this.f.skipped_lines++;
      }
    }
    out.push(...this.end());
    return out;
  }

  private parse(raw: string, seenAt: string | undefined): Captured[] {
    const text = raw.trim();
    if (text === "") return [];
    // The most common line by far, and it carries one timestamp: no JSON.parse.
    const lu = LAST_UPDATED.exec(text);
    if (lu) {
      this.touch(iso(lu[1]));
      return [];
    }
    // A replacement of the whole message list can be as large as the session; it is not replayed.
    if (MESSAGES_SET.test(text)) {
      const m = TRAILING_LAST_UPDATED.exec(text.slice(-80));
      if (m) this.touch(iso(m[1]));
      // The first one, written at start, holds the synthetic context naming the workspace.
      if (!this.sawMessagesSet && text.length <= CONTEXT_SET_MAX) this.contextFromSet(text);
      this.sawMessagesSet = true;
      return [];
    }
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
    if (!isObj(rec)) {
      this.f.skipped_lines++;
      return [];
    }
    if (typeof rec["id"] === "string" && typeof rec["type"] === "string") {
      if (seenAt && !iso(rec["timestamp"])) rec["timestamp"] = seenAt;
      return this.record(rec);
    }
    if (isObj(rec["$set"])) {
      const set = rec["$set"];
      this.touch(iso(set["lastUpdated"]));
      // A resumed session is renamed by a patch.
      if (typeof set["sessionId"] === "string") this.f.session_id = set["sessionId"];
      return [];
    }
    if (typeof rec["$rewindTo"] === "string") return [];
    if (typeof rec["sessionId"] === "string" && rec["type"] === undefined) {
      this.header(rec);
      return [];
    }
    this.f.skipped_lines++;
    return [];
  }

  private contextFromSet(line: string): void {
    let v: unknown;
    try {
      v = JSON.parse(line);
    } catch {
      return;
    }
    const set = isObj(v) && isObj(v["$set"]) ? v["$set"] : undefined;
    const messages = set && Array.isArray(set["messages"]) ? set["messages"] : [];
    for (const m of messages) {
      const said = isObj(m) && m["type"] === "user" ? text(m["content"]) : "";
      if (said.trimStart().startsWith("<session_context>")) {
        this.f.cwd ??= workspace(said);
        return;
      }
    }
  }

  private header(h: Obj): void {
    this.f.session_id ??= str(h["sessionId"]);
    const start = iso(h["startTime"]);
    if (start) this.f.started_at ??= start;
    this.touch(iso(h["lastUpdated"]));
  }

  private touch(at: string | undefined): void {
    if (!at) return;
    const t = ms(at)!;
    const cur = ms(this.f.ended_at);
    if (cur === undefined || t > cur) this.f.ended_at = at;
  }

  private record(rec: Obj): Captured[] {
    const id = rec["id"] as string;
    const type = rec["type"] as string;
    const at = iso(rec["timestamp"]);
    this.touch(at);
    if (at && !this.f.started_at) this.f.started_at = at;
    const out = this.held && this.held["id"] !== id ? this.flushHeld() : [];
    if (type === "gemini") {
      this.held = rec;
      return out;
    }
    if (!KNOWN_TYPES.has(type)) {
      this.f.unknown_records[type] = (this.f.unknown_records[type] ?? 0) + 1;
      this.push(out, { event_type: "agent_output", data: { output: text(rec["content"]), record_type: type, raw: rec }, ...stamp(at), key: keys.record(id, type) });
      return out;
    }
    if (type === "user") this.user(rec, id, at, out);
    else if (type === "error") {
      const message = text(rec["content"]) || "Gemini CLI error";
      const status = httpStatus(message);
      const api = status !== undefined || /\bAPI Error\b/.test(message);
      const data: DataOf<"error"> = { error_message: boundMessage(message), error_source: api ? "api" : "agent" };
      if (api && status !== undefined) data.http_status = status;
      this.push(out, { event_type: "error", data, ...stamp(at), key: keys.record(id, "error") });
    } else {
      const output = text(rec["content"]);
      if (output) this.push(out, { event_type: "agent_output", data: { output, record_type: type }, ...stamp(at), key: keys.record(id, type) });
    }
    return out;
  }

  private user(rec: Obj, id: string, at: string | undefined, out: Captured[]): void {
    const said = text(rec["content"]);
    if (said === "") return; // function responses only: the tool calls carry them
    if (said.trimStart().startsWith("<session_context>")) {
      this.f.cwd ??= workspace(said);
      return;
    }
    if (/^System: Potential loop detected\b/.test(said)) {
      this.push(out, {
        event_type: "error",
        data: { error_message: boundMessage(said), error_source: "agent", record_type: "loop_detected" },
        ...stamp(at),
        key: keys.record(id, "loop"),
      });
      return;
    }
    if (/^System: /.test(said)) {
      this.push(out, { event_type: "agent_output", data: { output: said, record_type: "system_nudge" }, ...stamp(at), key: keys.record(id, "nudge") });
      return;
    }
    const typed = text(rec["displayContent"]) || said;
    if (!this.sawPrompt) {
      this.sawPrompt = true;
      this.f.prompt ??= typed;
      return;
    }
    this.push(out, { event_type: "agent_output", data: { output: typed, record_type: "user" }, ...stamp(at), key: keys.record(id, "user") });
  }

  private flushHeld(): Captured[] {
    const rec = this.held;
    this.held = undefined;
    if (!rec) return [];
    const id = rec["id"] as string;
    const at = iso(rec["timestamp"]);
    const model = str(rec["model"]);
    const events: Captured[] = [];
    const withModel = model ? { model } : {};

    const thoughts = Array.isArray(rec["thoughts"]) ? rec["thoughts"] : [];
    thoughts.forEach((th, i) => {
      if (!isObj(th)) return;
      const subject = str(th["subject"])?.trim() ?? "";
      const description = str(th["description"])?.trim() ?? "";
      const thinking = subject && description ? `${subject}\n${description}` : subject || description;
      if (!thinking) return;
      this.push(events, { event_type: "agent_thinking", data: { thinking }, ...stamp(iso(th["timestamp"]) ?? at), ...withModel, key: keys.record(id, `thought:${i}`) });
    });

    const output = text(rec["content"]);
    if (output) this.push(events, { event_type: "agent_output", data: { output }, ...stamp(at), ...withModel, key: keys.record(id, "output") });

    const calls = Array.isArray(rec["toolCalls"]) ? rec["toolCalls"] : [];
    for (const tc of calls) if (isObj(tc)) this.toolCall(tc, at, withModel, events);

    // A model is known even from records without tokens (an interrupted response).
    if (model && !this.modelTokens.has(model)) this.modelTokens.set(model, 0);
    if (!this.usageCounted.has(id)) {
      const usage = recordUsage(rec["tokens"]);
      if (usage) {
        this.usageCounted.add(id);
        if (model) this.modelTokens.set(model, (this.modelTokens.get(model) ?? 0) + (usage.total_tokens ?? 0));
        this.attachUsage(events, usage, id, at, withModel);
      }
    }
    return events;
  }

  /** The record's tokens ride on its first event; a record with nothing else to show gets an empty output. */
  private attachUsage(events: Captured[], usage: Usage, id: string, at: string | undefined, withModel: { model?: string }): void {
    const first = events.find((e) => e.event_type === "agent_output" || e.event_type === "agent_thinking" || e.event_type === "tool_call");
    if (first && (first.event_type === "agent_output" || first.event_type === "agent_thinking" || first.event_type === "tool_call")) {
      first.data.usage = usage;
      return;
    }
    const key = keys.record(id, "usage");
    if (this.emitted.has(key)) return;
    this.emitted.add(key);
    events.unshift({ event_type: "agent_output", data: { output: "", usage }, ...stamp(at), ...withModel, key });
  }

  private toolCall(tc: Obj, recordAt: string | undefined, withModel: { model?: string }, events: Captured[]): void {
    const id = str(tc["id"]);
    const name = str(tc["name"]) || "unknown";
    const call: DataOf<"tool_call"> = { tool_name: name, tool_params: tc["args"] };
    if (id) call.tool_call_id = id;
    this.push(events, { event_type: "tool_call", data: call, ...stamp(recordAt), ...withModel, ...(id ? { key: keys.call(id) } : {}) });

    const status = str(tc["status"]);
    if (status !== "success" && status !== "error" && status !== "cancelled") return; // still running when written
    const response = functionResponse(tc["result"], id);
    const resultText = str(response?.["output"]) ?? str(response?.["error"]) ?? str(tc["result"]);
    const outcome = resultText !== undefined && isShell(name, resultText) ? shellOutcome(resultText) : {};
    const failed = status !== "success" || (outcome.exitCode !== undefined && outcome.exitCode !== 0) || outcome.signal !== undefined;
    const doneAt = iso(tc["timestamp"]);
    const result: DataOf<"tool_result"> = { tool_name: name, result: failed ? "error" : "success" };
    const resultData = response ? (response["output"] ?? response["error"] ?? response) : tc["result"];
    if (resultData !== undefined && resultData !== null) result.result_data = resultData;
    if (id) result.tool_call_id = id;
    const d = doneAt !== undefined && recordAt !== undefined && doneAt !== recordAt ? ms(doneAt)! - ms(recordAt)! : undefined;
    if (d !== undefined && d >= 0) result.duration_ms = d;
    if (outcome.exitCode !== undefined) result.exit_code = outcome.exitCode;
    const when = stamp(doneAt ?? recordAt);
    this.push(events, { event_type: "tool_result", data: result, ...when, ...withModel, ...(id ? { key: keys.result(id) } : {}) });
    if (!failed) return;
    const display = str(tc["resultDisplay"]);
    let message: string;
    if (status === "cancelled") message = (resultText && shellMessage(resultText)) || `${name} was cancelled by the user`;
    else if (outcome.exitCode !== undefined && status === "success") message = (resultText && shellMessage(resultText)) || `Command exited with code ${outcome.exitCode}`;
    else message = str(response?.["error"]) || (resultText && shellMessage(resultText)) || display || `${name} failed`;
    const err: DataOf<"error"> = { error_message: boundMessage(message), error_source: "tool", tool_name: name };
    if (id) err.tool_call_id = id;
    this.push(events, { event_type: "error", data: err, ...when, ...withModel, ...(id ? { key: keys.toolError(id) } : {}) });
  }

  /** Adds an event unless an earlier version of its record already did. */
  private push(events: Captured[], e: Captured): void {
    if (e.key !== undefined) {
      if (this.emitted.has(e.key)) return;
      this.emitted.add(e.key);
    }
    events.push(e);
  }
}

/** The state a GeminiSessionParser snapshot holds (see `snapshot()`). */
export const geminiSessionState = z.object({
  facts: snapshotParts.facts,
  /** A `gemini` record as read: it has an `id` and a `type`. */
  held: z.looseObject({ id: z.string(), type: z.string() }).nullable(),
  emitted: z.array(z.string()),
  usageCounted: z.array(z.string()),
  modelTokens: z.array(z.tuple([z.string(), z.number()])),
  sawPrompt: z.boolean(),
  sawMessagesSet: z.boolean(),
});
type GeminiSessionState = z.infer<typeof geminiSessionState>;

function stamp(at: string | undefined): { timestamp?: string } {
  return at ? { timestamp: at } : {};
}

/** Text of a content value: a string, or the `text` parts of a parts list (or one part). */
function text(content: unknown): string {
  if (typeof content === "string") return content;
  if (Array.isArray(content)) {
    let s = "";
    for (const p of content) if (isObj(p) && typeof p["text"] === "string" && p["thought"] !== true) s += p["text"];
    return s;
  }
  if (isObj(content) && typeof content["text"] === "string") return content["text"];
  return "";
}

/** The `response` of the functionResponse part that answers call `id` (or the first one). */
function functionResponse(result: unknown, id: string | undefined): Obj | undefined {
  const parts = Array.isArray(result) ? result : isObj(result) ? [result] : [];
  let first: Obj | undefined;
  for (const p of parts) {
    const fr = isObj(p) && isObj(p["functionResponse"]) ? p["functionResponse"] : undefined;
    const resp = fr && isObj(fr["response"]) ? fr["response"] : undefined;
    if (!resp) continue;
    if (id !== undefined && fr!["id"] === id) return resp;
    first ??= resp;
  }
  return first;
}

/** The first workspace directory the synthetic `<session_context>` names: the session's cwd. */
function workspace(context: string): string | undefined {
  return /Workspace Directories:\*\*\n\s*- ([^\n]+)\n/.exec(context)?.[1]?.trim() || undefined;
}

function isShell(name: string, result: string): boolean {
  return /shell|bash|command/i.test(name) || result.includes("\nProcess Group PGID: ");
}
