import type { ErrorSource } from "../../schema/index.js";
import { z } from "zod";
import type { Captured, LineParser, ParserSnapshot, SessionFacts } from "../adapter.js";
import { emptyFacts, snapshotParts } from "../adapter.js";
import { CallMemory, RecentMap, RecentSet } from "../bounded.js";
import { execOutcome, mcpOutcome, patchOutcome, readToolOutput, type ToolOutcome } from "./output.js";
import {
  addRawUsage,
  argvCommand,
  clip,
  emptyRawUsage,
  errorSourceOf,
  httpStatusOf,
  type Obj,
  obj,
  openAiUsage,
  parseObject,
  type RawUsage,
  str,
} from "./shared.js";

/**
 * Codex's own session file, `~/.codex/sessions/YYYY/MM/DD/rollout-*.jsonl`, in every shape seen
 * from 0.1x to 0.169: `{timestamp, [ordinal,] type, payload}` envelopes, and before that a bare
 * `{id, timestamp, instructions}` header followed by bare response items. The file stores most
 * things twice (response items for the model, event messages for the UI); one source is taken
 * per event type: `response_item` for messages, thinking and calls; for results the first record
 * that knows the outcome (`item_completed`, `exec_command_end`, `patch_apply_end`, or the
 * `*_call_output` the model saw).
 */

/**
 * `{"timestamp":"…",["ordinal":N,]"type":"X"[,"payload":{"type":"Y"]`, as Codex writes it. Only
 * used to skip lines without parsing them; a line it does not match is parsed in full.
 */
const HEAD = /^\{"timestamp":"([^"]*)",(?:"ordinal":\d+,)?"type":"([a-z_]+)"(?:,"payload":\{"type":"([a-z_]+)")?/;
const ISO_TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:\d\d)$/;
/** A call id before the (possibly huge) output, so an already answered call is not parsed again. */
const CALL_ID_HEAD = /"call_id":"([^"]+)"/;
const ITEM_TYPE_HEAD = /"item":\{"type":"(\w+)"/;

/** UI copies of what the response items already hold, progress and bookkeeping. */
const IGNORED_EVENTS = new Set([
  "agent_message",
  "agent_message_delta",
  "agent_message_content_delta",
  "agent_reasoning",
  "agent_reasoning_delta",
  "agent_reasoning_raw_content",
  "agent_reasoning_raw_content_delta",
  "agent_reasoning_section_break",
  "reasoning_content_delta",
  "reasoning_raw_content_delta",
  "exec_command_begin",
  "exec_command_output_delta",
  "terminal_interaction",
  "patch_apply_begin",
  "mcp_tool_call_begin",
  "web_search_begin",
  "task_started",
  "turn_started",
  "turn_diff",
  "plan_update",
  "context_compacted",
  "item_started",
  "background_event",
  "warning",
  "deprecation_notice",
  "entered_review_mode",
  "exited_review_mode",
  "session_configured",
  "mcp_list_tools_response",
  "mcp_startup_update",
  "mcp_startup_complete",
  "list_custom_prompts_response",
  "list_skills_response",
  "get_history_entry_response",
  "view_image_tool_call",
  "raw_response_item",
  "shutdown_complete",
  "undo_started",
  "undo_completed",
  "thread_rolled_back",
  "thread_name_updated",
  "conversation_path",
  "collab_agent_spawn_begin",
  "collab_agent_interaction_begin",
  "collab_waiting_begin",
  "collab_close_begin",
]);
/** Envelope types: a line of one of these without an object payload is no record. */
const ENVELOPES = new Set(["session_meta", "turn_context", "event_msg", "response_item", "token_usage_record", "compacted", "world_state"]);
/** `item_completed` kinds that end a tool call; the others repeat response items. */
const RESULT_ITEMS = new Set(["CommandExecution", "FileChange", "McpToolCall"]);
/** Response items with nothing to record: git snapshots for undo, opaque compaction blobs. */
const IGNORED_ITEMS = new Set(["ghost_snapshot", "compaction", "compaction_summary"]);
/** Harness blocks sent with the user role that are not what the user typed. */
const HARNESS_TEXT = /^\s*(?:<[\w -]+>|# AGENTS\.md instructions)/;
const IDE_REQUEST = "## My request for Codex:";

/**
 * Windows (capture/bounded.ts). Measured on the real and public rollouts (0.39 … 0.169): the
 * records of one call (call, output, `*_end`, `item_completed`, polls of its process) lie at most
 * 5 calls apart. A call answered longer ago than ANSWERED_CALLS calls and repeated would be
 * recorded again under the same keys, which import drops as duplicates.
 */
const PENDING_CALLS = 1024;
const ANSWERED_CALLS = 128;
/** Unified-exec processes still running, and `write_stdin` polls, by the most recent. */
const PROCESSES = 256;
const POLLS = 256;
/** `token_usage_record` response ids: a response repeated past this many others would count twice. */
const RESPONSES = 512;

/** Raised whenever the snapshot's state, or what the parser does with it, changes. */
export const CODEX_SESSION_SNAPSHOT_VERSION = 1;

interface Call {
  name: string;
  /** The command line, for a failure message when the command printed nothing. */
  command?: string;
  called: boolean;
  resulted: boolean;
  /** The latest outcome of a process still running when its output was written. */
  pending?: ToolOutcome;
}

export class CodexSessionParser implements LineParser {
  private f: SessionFacts = emptyFacts();
  private lineNo = 0;
  private sessionId: string | undefined;
  private model: string | undefined;
  private calls = new CallMemory<Call>(PENDING_CALLS, ANSWERED_CALLS);
  /** Unified exec process id → the exec call that started it. */
  private processes = new RecentMap<string>(PROCESSES);
  /** `write_stdin` call id → the process id it polls. */
  private pollArgs = new RecentMap<string>(POLLS);
  private responses = new RecentSet(RESPONSES);
  private usage: RawUsage = emptyRawUsage();
  private usageRecords = 0;
  /** The last `token_count` line with totals, parsed only if no `token_usage_record` ever comes. */
  private lastTokenCount: string | Obj | undefined;
  private parsedTokenCount: { text: string; rec: Obj } | undefined;
  private promptFromEvent: string | undefined;
  private promptFromItem: string | undefined;
  private turnFailed = false;
  private lastError: string | undefined;
  private webSearch: { id?: string; query?: unknown; action?: unknown } | undefined;

  line(text: string, seenAt?: string): Captured[] {
    this.lineNo++;
    const head = HEAD.exec(text);
    if (head && this.skippable(text, head)) {
      if (ISO_TIME.test(head[1]!)) this.seen(head[1]!);
      return [];
    }
    const rec = parseObject(text);
    if (!rec) {
      this.f.skipped_lines++;
      return [];
    }
    // The writer only takes ISO times; a record with anything else falls back to its capture time.
    const raw = str(rec.timestamp);
    const stamp = raw !== undefined && ISO_TIME.test(raw) ? raw : undefined;
    if (stamp) this.seen(stamp);
    const ts = stamp ?? seenAt;
    const type = str(rec.type);
    const payload = obj(rec.payload);
    try {
      if (type && payload) return this.envelope(type, payload, ts);
      if (type && !("payload" in rec) && !ENVELOPES.has(type)) return this.responseItem(type, rec, ts);
      if (rec.record_type === "state") return [];
      if (typeof rec.id === "string" && raw !== undefined) {
        this.meta(rec);
        return [];
      }
    } catch {
      // A record of a shape no version wrote: counted below, never a reason to stop the import.
    }
    this.f.skipped_lines++;
    return [];
  }

  end(): Captured[] {
    const out: Captured[] = [];
    for (const [id, call] of this.calls.pending.entries()) {
      if (call.pending && !call.resulted) out.push(...this.result(id, { ...call.pending, final: true }, undefined));
    }
    return out;
  }

  facts(): SessionFacts {
    // A copy: the parser's own facts hold only what lines said, so a snapshot does not depend on when facts were asked.
    const f: SessionFacts = { ...this.f, unknown_records: { ...this.f.unknown_records } };
    if (this.usageRecords > 0) f.total_usage = openAiUsage(this.usage);
    else if (this.lastTokenCount !== undefined) {
      let rec = this.lastTokenCount;
      if (typeof rec === "string") {
        // Parsed once per line kept, beside the state (which keeps the line as read).
        if (this.parsedTokenCount?.text !== rec) this.parsedTokenCount = { text: rec, rec: parseObject(rec) ?? {} };
        rec = this.parsedTokenCount.rec;
      }
      const total = obj(obj(obj(rec.payload)?.info)?.total_token_usage);
      if (total) f.total_usage = openAiUsage(total);
    }
    const prompt = this.promptFromEvent ?? this.promptFromItem;
    if (prompt !== undefined) f.prompt = prompt;
    if (this.model) f.model = this.model;
    return f;
  }

  /**
   * Facts and the inputs of the derived ones (usage sums and the response ids counted, the last
   * `token_count`, the prompts, the model), the line number (rollout keys count lines), the
   * session id, calls awaiting their result (with the outcome of a process still running, which
   * end() would report) and the ANSWERED_CALLS most recently answered (a second record of a result
   * adds nothing), running processes and polls, the turn's failure state and a pending web search.
   */
  snapshot(): ParserSnapshot {
    const state: CodexSessionState = {
      facts: this.f,
      lineNo: this.lineNo,
      sessionId: this.sessionId ?? null,
      model: this.model ?? null,
      calls: this.calls.toJSON(),
      processes: this.processes.toJSON(),
      pollArgs: this.pollArgs.toJSON(),
      responses: this.responses.toJSON(),
      usage: this.usage,
      usageRecords: this.usageRecords,
      lastTokenCount: this.lastTokenCount ?? null,
      promptFromEvent: this.promptFromEvent ?? null,
      promptFromItem: this.promptFromItem ?? null,
      turnFailed: this.turnFailed,
      lastError: this.lastError ?? null,
      webSearch: this.webSearch ?? null,
    };
    return { adapter: "codex", format: "session", version: CODEX_SESSION_SNAPSHOT_VERSION, state: structuredClone(state) };
  }

  static fromState(st: CodexSessionState): CodexSessionParser {
    const p = new CodexSessionParser();
    p.f = st.facts;
    p.lineNo = st.lineNo;
    p.sessionId = st.sessionId ?? undefined;
    p.model = st.model ?? undefined;
    p.calls = new CallMemory(PENDING_CALLS, ANSWERED_CALLS, st.calls);
    p.processes = new RecentMap(PROCESSES, st.processes);
    p.pollArgs = new RecentMap(POLLS, st.pollArgs);
    p.responses = new RecentSet(RESPONSES, st.responses);
    p.usage = st.usage;
    p.usageRecords = st.usageRecords;
    p.lastTokenCount = st.lastTokenCount ?? undefined;
    p.promptFromEvent = st.promptFromEvent ?? undefined;
    p.promptFromItem = st.promptFromItem ?? undefined;
    p.turnFailed = st.turnFailed;
    p.lastError = st.lastError ?? undefined;
    p.webSearch = st.webSearch ?? undefined;
    return p;
  }

  private seen(ts: string): void {
    this.f.started_at ??= ts;
    this.f.ended_at = ts;
  }

  /** Lines that can be dropped on their first bytes: the bulk of a rollout is token counts and copies. */
  private skippable(text: string, head: RegExpExecArray): boolean {
    const outer = head[2]!;
    const inner = head[3];
    if (outer === "world_state") return true;
    // Only the first header counts (resumed and forked rollouts repeat their origin's), and it is large.
    if (outer === "session_meta") return this.sessionId !== undefined;
    if (outer === "event_msg" && inner) {
      if (inner === "token_count") {
        if (!text.includes('"info":null')) this.lastTokenCount = text;
        return true;
      }
      if (IGNORED_EVENTS.has(inner)) return true;
      if (inner === "item_completed") {
        const kind = ITEM_TYPE_HEAD.exec(text.slice(0, 600))?.[1];
        return kind !== undefined && !RESULT_ITEMS.has(kind) && (kind !== "UserMessage" || this.promptFromEvent !== undefined);
      }
      if (inner === "exec_command_end" || inner === "patch_apply_end" || inner === "mcp_tool_call_end") return this.answered(text);
      return false;
    }
    if (outer === "response_item" && inner) {
      if (inner === "message") return text.slice(0, 400).includes('"role":"developer"');
      if (inner === "function_call_output" || inner === "custom_tool_call_output") return this.answered(text);
    }
    return false;
  }

  private answered(text: string): boolean {
    const headText = text.slice(0, 400);
    const m = CALL_ID_HEAD.exec(headText);
    if (!m) return false;
    const outputAt = headText.indexOf('"output":');
    if (outputAt >= 0 && outputAt < m.index) return false;
    return this.calls.get(m[1]!)?.resulted === true;
  }

  private lineKey(suffix = ""): string | undefined {
    return this.sessionId ? `${this.sessionId}:${this.lineNo}${suffix}` : undefined;
  }

  private base(ts: string | undefined, key: string | undefined): { timestamp?: string; key?: string; model?: string } {
    return { ...(ts ? { timestamp: ts } : {}), ...(key ? { key } : {}), ...(this.model ? { model: this.model } : {}) };
  }

  private envelope(type: string, p: Obj, ts: string | undefined): Captured[] {
    switch (type) {
      case "session_meta":
        this.meta(p);
        return [];
      case "turn_context":
        this.model = str(p.model) ?? this.model;
        if (!this.f.cwd && str(p.cwd)) this.f.cwd = str(p.cwd);
        return [];
      case "event_msg":
        return this.event(str(p.type) ?? "", p, ts);
      case "response_item":
        return this.responseItem(str(p.type) ?? "", p, ts);
      case "token_usage_record": {
        // One record per model response; a response is counted once whatever repeats it.
        const id = str(p.response_id) ?? `line:${this.lineNo}`;
        if (!this.responses.has(id)) {
          this.responses.add(id);
          this.usageRecords++;
          addRawUsage(this.usage, p.usage);
        }
        return [];
      }
      case "compacted": {
        // The summary that replaced the history when the context filled up.
        const message = str(p.message) ?? "";
        return [{ event_type: "agent_output", data: { output: message, record_type: "compacted" }, ...this.base(ts, this.lineKey()) }];
      }
      case "world_state":
        return [];
      default:
        return [this.unknown(type, p, ts)];
    }
  }

  private meta(p: Obj): void {
    if (this.sessionId) return; // a resumed or forked rollout repeats its origin's header
    this.sessionId = str(p.id) ?? str(p.session_id);
    if (this.sessionId) this.f.session_id = this.sessionId;
    const cwd = str(p.cwd);
    if (cwd) this.f.cwd = cwd;
    const version = str(p.cli_version);
    if (version) this.f.agent_version = version;
    this.model ??= str(p.model);
  }

  private event(type: string, p: Obj, ts: string | undefined): Captured[] {
    switch (type) {
      case "user_message":
        this.promptFromEvent ??= userPrompt(str(p.message));
        return [];
      case "item_completed": {
        const item = obj(p.item);
        const kind = item && str(item.type);
        const id = item && str(item.id);
        if (!item || !kind) return [];
        if (kind === "UserMessage") {
          this.promptFromItem ??= userPrompt(textOf(item.content));
          return [];
        }
        if (!id || !RESULT_ITEMS.has(kind)) return [];
        const outcome = kind === "CommandExecution" ? execOutcome(item) : kind === "FileChange" ? patchOutcome(item) : mcpOutcome(item);
        if (outcome.durationMs === undefined && typeof p.started_at_ms === "number" && typeof p.completed_at_ms === "number" && p.completed_at_ms >= p.started_at_ms) {
          outcome.durationMs = Math.round(p.completed_at_ms - p.started_at_ms);
        }
        if (kind === "CommandExecution") this.ensureCall(id, "shell", argvCommand(item.command));
        if (kind === "FileChange") this.ensureCall(id, "apply_patch");
        if (kind === "McpToolCall") this.ensureCall(id, mcpName(item.server, item.tool));
        return this.result(id, outcome, ts);
      }
      case "exec_command_end": {
        const id = str(p.call_id);
        if (!id) return [];
        this.ensureCall(id, "shell", argvCommand(p.command));
        return this.result(id, execOutcome(p), ts);
      }
      case "patch_apply_end": {
        const id = str(p.call_id);
        if (!id) return [];
        this.ensureCall(id, "apply_patch");
        return this.result(id, patchOutcome(p), ts);
      }
      case "mcp_tool_call_end": {
        const id = str(p.call_id);
        if (!id) return [];
        const inv = obj(p.invocation);
        this.ensureCall(id, mcpName(inv?.server, inv?.tool));
        return this.result(id, mcpOutcome(p), ts);
      }
      case "web_search_end":
        this.webSearch = { ...(str(p.call_id) ? { id: str(p.call_id) } : {}), query: p.query, action: p.action };
        return [];
      case "token_count":
        if (obj(p.info)) this.lastTokenCount = { payload: p };
        return [];
      case "thread_settings_applied":
        this.model = str(obj(p.thread_settings)?.model) ?? this.model;
        return [];
      case "task_complete": {
        const error = obj(p.error);
        const message = error && (str(error.message) ?? "task failed");
        const out = message ? this.agentError(message, error.codex_error_info, ts) : [];
        if (message || this.turnFailed) this.f.status = "failed";
        else this.f.status = "success";
        this.turnFailed = false;
        this.lastError = undefined;
        return out;
      }
      case "turn_aborted":
        this.f.status = "interrupted";
        this.turnFailed = false;
        return [];
      case "error": {
        const message = str(p.message) ?? "error";
        this.turnFailed = true;
        return this.agentError(message, p.codex_error_info, ts);
      }
      case "stream_error": {
        // A retry the model client made (only some versions persist it).
        const message = str(p.message) ?? "stream error";
        const http = httpStatusOf(message);
        return [{ event_type: "error", data: { error_message: message, error_source: "api", ...(http ? { http_status: http } : {}) }, ...this.base(ts, this.lineKey(":error")) }];
      }
      default:
        if (!IGNORED_EVENTS.has(type)) this.f.unknown_records[`event_msg:${type}`] = (this.f.unknown_records[`event_msg:${type}`] ?? 0) + 1;
        return [];
    }
  }

  /** A turn the agent gave up on: the final API or agent error (retries are not in the file). */
  private agentError(message: string, info: unknown, ts: string | undefined): Captured[] {
    this.f.status = "failed";
    this.f.error = message;
    // Versions that persist the `error` event also repeat its text in `task_complete`.
    if (this.lastError === message) return [];
    this.lastError = message;
    const { source, http } = classify(info, message);
    return [
      {
        event_type: "error",
        data: { error_message: message, error_source: source, ...(http ? { http_status: http } : {}), ...(info !== undefined ? { codex_error_info: info } : {}) },
        ...this.base(ts, this.lineKey(":error")),
      },
    ];
  }

  private responseItem(type: string, p: Obj, ts: string | undefined): Captured[] {
    switch (type) {
      case "message": {
        const role = str(p.role);
        const text = textOf(p.content);
        if (role === "user") {
          if (!HARNESS_TEXT.test(text)) this.promptFromItem ??= userPrompt(text);
          return [];
        }
        if (role !== "assistant" || !text) return [];
        const phase = str(p.phase);
        return [{ event_type: "agent_output", data: { output: text, ...(phase ? { phase } : {}) }, ...this.base(ts, str(p.id) ?? this.lineKey()) }];
      }
      case "reasoning": {
        // Summaries, or the raw reasoning text where the provider returns it; encrypted-only items hold nothing readable.
        const thinking = textOf(p.summary, "\n\n") || textOf(p.content, "\n\n");
        if (!thinking) return [];
        return [{ event_type: "agent_thinking", data: { thinking }, ...this.base(ts, str(p.id) ?? this.lineKey()) }];
      }
      case "function_call": {
        const id = str(p.call_id) ?? str(p.id);
        if (!id) return [];
        const raw = str(p.arguments);
        const params = raw === undefined ? p.arguments : (parseJson(raw) ?? raw);
        const args = obj(params);
        const command = str(args?.cmd) ?? argvCommand(args?.command) ?? str(args?.command);
        const name = str(p.name) || "function";
        if (name === "write_stdin" && (typeof args?.session_id === "number" || typeof args?.session_id === "string")) this.pollArgs.set(id, String(args.session_id));
        return this.call(id, name, params, command, ts);
      }
      case "custom_tool_call": {
        const id = str(p.call_id) ?? str(p.id);
        if (!id) return [];
        return this.call(id, str(p.name) || "custom_tool", { input: p.input }, undefined, ts);
      }
      case "local_shell_call": {
        const id = str(p.call_id) ?? str(p.id);
        if (!id) return [];
        const action = obj(p.action);
        return this.call(id, "local_shell", action, argvCommand(action?.command), ts);
      }
      case "function_call_output":
      case "custom_tool_call_output": {
        const id = str(p.call_id);
        if (!id) return [];
        return this.output(id, p.output, ts);
      }
      case "web_search_call":
        return this.webSearchCall(p, ts);
      default:
        if (IGNORED_ITEMS.has(type)) return [];
        return [this.unknown(`response_item:${type}`, p, ts)];
    }
  }

  private ensureCall(id: string, name: string, command?: string): Call {
    let call = this.calls.get(id);
    if (!call) {
      call = { name, called: false, resulted: false, ...(command ? { command } : {}) };
      this.calls.open(id, call);
    } else if (command && !call.command) call.command = command;
    return call;
  }

  private call(id: string, name: string, params: unknown, command: string | undefined, ts: string | undefined): Captured[] {
    const call = this.calls.get(id);
    if (call?.called) return [];
    if (call) {
      call.name = name;
      call.called = true;
      if (command) call.command = command;
    } else this.calls.open(id, { name, called: true, resulted: false, ...(command ? { command } : {}) });
    return [{ event_type: "tool_call", data: { tool_name: name, tool_params: params, tool_call_id: id }, ...this.base(ts, id) }];
  }

  private output(id: string, output: unknown, ts: string | undefined): Captured[] {
    const call = this.calls.get(id);
    const outcome = readToolOutput(output, call?.name);
    if (outcome.processId && !outcome.final) this.processes.set(outcome.processId, id);
    if (call?.name === "write_stdin" && outcome.exitCode !== undefined) this.polled(id, outcome);
    if (call?.name === "write_stdin") delete outcome.exitCode;
    return this.result(id, outcome, ts);
  }

  /** A poll saw a unified-exec process exit: the exec call it belongs to keeps that as its fallback end. */
  private polled(pollId: string, outcome: ToolOutcome): void {
    const poll = this.pollArgs.get(pollId);
    const execId = poll === undefined ? undefined : this.processes.get(poll);
    const exec = execId === undefined ? undefined : this.calls.get(execId);
    if (!exec || exec.resulted || !exec.pending) return;
    const code = outcome.exitCode ?? 0;
    exec.pending = { ...exec.pending, ok: code === 0, exitCode: code, data: outcome.data, ...(code !== 0 ? { message: String(outcome.data ?? "") } : {}) };
  }

  private result(id: string, outcome: ToolOutcome, ts: string | undefined): Captured[] {
    const call = this.ensureCall(id, "unknown");
    if (call.resulted) return [];
    if (!outcome.final) {
      call.pending = outcome;
      return [];
    }
    const out: Captured[] = [];
    if (!call.called) {
      call.called = true;
      out.push({
        event_type: "tool_call",
        data: { tool_name: call.name, ...(call.command ? { tool_params: { command: call.command } } : {}), tool_call_id: id },
        ...this.base(ts, id),
      });
    }
    call.resulted = true;
    call.pending = undefined;
    this.calls.answer(id);
    out.push({
      event_type: "tool_result",
      data: {
        tool_name: call.name,
        result: outcome.ok ? "success" : "error",
        tool_call_id: id,
        ...(outcome.data !== undefined ? { result_data: outcome.data } : {}),
        ...(outcome.exitCode !== undefined ? { exit_code: outcome.exitCode } : {}),
        ...(outcome.durationMs !== undefined ? { duration_ms: outcome.durationMs } : {}),
      },
      ...this.base(ts, `${id}:result`),
    });
    if (!outcome.ok) {
      const text = (outcome.message ?? (typeof outcome.data === "string" ? outcome.data : "")).trim();
      const message = text || (call.command ? `command exited with code ${outcome.exitCode ?? "?"}: ${call.command}` : `${call.name} failed`);
      out.push({
        event_type: "error",
        data: { error_message: clip(message), error_source: "tool", tool_call_id: id, tool_name: call.name },
        ...this.base(ts, `${id}:error`),
      });
    }
    return out;
  }

  private webSearchCall(p: Obj, ts: string | undefined): Captured[] {
    const hint = this.webSearch;
    this.webSearch = undefined;
    const id = str(p.id) ?? hint?.id ?? this.lineKey(":web_search") ?? `web_search:${this.lineNo}`;
    const action = p.action ?? hint?.action;
    const query = obj(action)?.query ?? hint?.query;
    const out = this.call(id, "web_search", { ...(query !== undefined ? { query } : {}), ...(action !== undefined ? { action } : {}) }, undefined, ts);
    const status = str(p.status);
    return [...out, ...this.result(id, { final: true, ok: status !== "failed" }, ts)];
  }

  private unknown(type: string, raw: Obj, ts: string | undefined): Captured {
    this.f.unknown_records[type] = (this.f.unknown_records[type] ?? 0) + 1;
    const text = str(raw.text) ?? str(raw.message) ?? textOf(raw.content);
    return { event_type: "agent_output", data: { output: text, record_type: type, raw }, ...this.base(ts, this.lineKey()) };
  }
}

const entries = <T>(value: z.ZodType<T>) => z.array(z.tuple([z.string(), value]));
const outcome = z.object({
  final: z.boolean(),
  ok: z.boolean(),
  exitCode: z.number().optional(),
  durationMs: z.number().optional(),
  data: z.unknown().optional(),
  message: z.string().optional(),
  processId: z.string().optional(),
});
const call = z.object({ name: z.string(), command: z.string().optional(), called: z.boolean(), resulted: z.boolean(), pending: outcome.optional() });
const rawUsageKeys = z.number().nonnegative();

/** The state a CodexSessionParser snapshot holds (see `snapshot()`). */
export const codexSessionState = z.object({
  facts: snapshotParts.facts,
  lineNo: z.number().int().nonnegative(),
  sessionId: z.string().nullable(),
  model: z.string().nullable(),
  calls: z.object({ pending: entries(call), answered: entries(call) }),
  processes: entries(z.string()),
  pollArgs: entries(z.string()),
  responses: z.array(z.string()),
  usage: z.object({
    input_tokens: rawUsageKeys,
    cached_input_tokens: rawUsageKeys,
    cache_write_input_tokens: rawUsageKeys,
    output_tokens: rawUsageKeys,
    reasoning_output_tokens: rawUsageKeys,
  }),
  usageRecords: z.number().int().nonnegative(),
  /** The raw line, or the record once parsed. */
  lastTokenCount: z.union([z.string(), z.record(z.string(), z.unknown())]).nullable(),
  promptFromEvent: z.string().nullable(),
  promptFromItem: z.string().nullable(),
  turnFailed: z.boolean(),
  lastError: z.string().nullable(),
  webSearch: z.object({ id: z.string().optional(), query: z.unknown().optional(), action: z.unknown().optional() }).nullable(),
});
type CodexSessionState = z.infer<typeof codexSessionState>;

/** The texts of content items (`{type, text}`), or of summary items, joined. */
function textOf(content: unknown, sep = "\n"): string {
  if (typeof content === "string") return content;
  if (!Array.isArray(content)) return "";
  const parts: string[] = [];
  for (const c of content) {
    const t = str(obj(c)?.text);
    if (t) parts.push(t);
  }
  return parts.join(sep);
}

/** What the user typed: IDE extensions wrap it in context, after a fixed heading. */
function userPrompt(text: string | undefined): string | undefined {
  if (!text) return undefined;
  const i = text.indexOf(IDE_REQUEST);
  return (i >= 0 ? text.slice(i + IDE_REQUEST.length) : text).trim() || undefined;
}

/** The name Codex gives an MCP tool in the model's tool list. */
function mcpName(server: unknown, tool: unknown): string {
  return `mcp__${str(server) || "unknown"}__${str(tool) || "unknown"}`;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

const HTTP_BY_INFO: Record<string, number> = { internal_server_error: 500, unauthorized: 401, bad_request: 400 };

/** `codex_error_info`: a string (`internal_server_error`, `other`, …) or `{variant: {http_status_code}}`. */
function classify(info: unknown, message: string): { source: ErrorSource; http?: number } {
  const fromText = httpStatusOf(message);
  if (typeof info === "string") {
    const http = HTTP_BY_INFO[info] ?? fromText;
    const source: ErrorSource = info === "sandbox_error" ? "agent" : info === "other" ? errorSourceOf(message) : "api";
    return { source, ...(http ? { http } : {}) };
  }
  const o = obj(info);
  if (o) {
    const inner = obj(Object.values(o)[0]);
    const http = typeof inner?.http_status_code === "number" ? inner.http_status_code : fromText;
    return { source: "api", ...(http ? { http } : {}) };
  }
  return { source: errorSourceOf(message), ...(fromText ? { http: fromText } : {}) };
}
