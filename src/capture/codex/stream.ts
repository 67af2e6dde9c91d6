import { z } from "zod";
import type { Captured, LineParser, ParserSnapshot, SessionFacts } from "../adapter.js";
import { emptyFacts, snapshotParts } from "../adapter.js";
import { RecentMap, RecentSet } from "../bounded.js";
import { clip, errorSourceOf, httpStatusOf, type Obj, obj, openAiUsage, parseObject, str, unwrapShell } from "./shared.js";

/**
 * `codex exec --json` stdout (ThreadEvent lines, codex-rs/exec/src/exec_events.rs). No line
 * carries a time, a model or a cost; item ids (`item_0`, …) restart with every run and share
 * nothing with the rollout's `call_id`s, so keys are namespaced `stream:<thread>:` and can never
 * collide with (nor dedupe against) the same session imported from its rollout file.
 */

const TOOL_ITEMS = new Set(["command_execution", "file_change", "mcp_tool_call", "web_search", "collab_tool_call"]);
const RETRY = /^Reconnecting\.\.\.\s*(\d+)\/(\d+)/;
/** Stream records that carry nothing awl records (deltas and lifecycle markers). */
const IGNORED = new Set(["item.plan.delta", "item.updated"]);

interface Started {
  seenAt: string | undefined;
}

/**
 * Windows (capture/bounded.ts): items started and not yet completed (a run has a few at a time),
 * and tool items completed in this run, against a repeated completion (which comes right after).
 */
const STARTED_ITEMS = 1024;
const DONE_ITEMS = 512;

/** Raised whenever the snapshot's state, or what the parser does with it, changes. */
export const CODEX_STREAM_SNAPSHOT_VERSION = 1;

export class CodexStreamParser implements LineParser {
  private f: SessionFacts = emptyFacts();
  private threadId: string | undefined;
  private started = new RecentMap<Started>(STARTED_ITEMS);
  /** The last to-do list of each id, shown when it completes (or at the end if it never does). */
  private readonly todos = new Map<string, { item: Obj; seenAt: string | undefined }>();
  /** The last non-retry `error` message: `turn.failed` repeats it and must not count twice. */
  private lastFatal: string | undefined;
  private turnFailed = false;
  /** `thread.started` lines seen: item ids are only unique within one run. */
  private runs = 0;
  /** Tool items already answered, so a repeated completion adds nothing. */
  private done = new RecentSet(DONE_ITEMS);
  /** Numbers the error events that have no item id, for their keys. */
  private errors = 0;

  line(text: string, seenAt?: string): Captured[] {
    const rec = parseObject(text);
    const type = rec && str(rec.type);
    if (!rec || !type) {
      this.f.skipped_lines++;
      return [];
    }
    switch (type) {
      case "thread.started":
        // A second run (`codex exec resume` output appended to the same file) numbers its items from item_0 again.
        if (++this.runs > 1) {
          this.started.clear();
          this.done.clear();
        }
        this.threadId = str(rec.thread_id) ?? this.threadId;
        if (this.threadId) this.f.session_id = this.threadId;
        return [];
      case "turn.started":
        this.turnFailed = false;
        return [];
      case "item.started":
        return this.itemStarted(obj(rec.item), seenAt);
      case "item.completed":
        return this.itemCompleted(obj(rec.item), seenAt);
      case "turn.completed": {
        // Cumulative for the thread (the mapper copies the running total), so the last one wins.
        const usage = openAiUsage(rec.usage);
        if (usage) this.f.total_usage = usage;
        // The status is the last turn's: a resumed run that completes undoes an earlier failure.
        this.f.status = this.turnFailed ? "failed" : "success";
        this.lastFatal = undefined;
        return [];
      }
      case "turn.failed": {
        const message = str(obj(rec.error)?.message) ?? "turn failed";
        this.fail(message);
        // Codex prints the final error twice: as `error`, then inside `turn.failed`.
        if (this.lastFatal === message) {
          this.lastFatal = undefined;
          return [];
        }
        return [this.error(message, seenAt)];
      }
      case "error":
        return this.errorLine(str(rec.message) ?? "", seenAt);
      default:
        if (this.todoUpdate(type, rec, seenAt) || IGNORED.has(type)) return [];
        return [this.unknown(type, rec, seenAt)];
    }
  }

  end(): Captured[] {
    const out: Captured[] = [];
    for (const [id, t] of this.todos) out.push(this.todoEvent(id, t.item, t.seenAt));
    this.todos.clear();
    return out;
  }

  facts(): SessionFacts {
    return this.f;
  }

  /**
   * Facts, the thread and run count (keys), the error counter, the turn's failure state, items
   * started but not completed (their start time gives the duration), tool items completed in this
   * run (DONE_ITEMS most recent), and the to-do lists not yet completed, which end() would emit:
   * one per open `todo_list` item, each its latest version.
   */
  snapshot(): ParserSnapshot {
    const state: CodexStreamState = {
      facts: this.f,
      threadId: this.threadId ?? null,
      started: [...this.started.entries()].map(([id, s]) => [id, s.seenAt ?? null]),
      todos: [...this.todos].map(([id, t]) => [id, { item: t.item, seenAt: t.seenAt ?? null }]),
      lastFatal: this.lastFatal ?? null,
      turnFailed: this.turnFailed,
      runs: this.runs,
      done: this.done.toJSON(),
      errors: this.errors,
    };
    return { adapter: "codex", format: "stream", version: CODEX_STREAM_SNAPSHOT_VERSION, state: structuredClone(state) };
  }

  static fromState(st: CodexStreamState): CodexStreamParser {
    const p = new CodexStreamParser();
    p.f = st.facts;
    p.threadId = st.threadId ?? undefined;
    p.started = new RecentMap(
      STARTED_ITEMS,
      st.started.map(([id, at]) => [id, { seenAt: at ?? undefined }]),
    );
    for (const [id, t] of st.todos) p.todos.set(id, { item: t.item, seenAt: t.seenAt ?? undefined });
    p.lastFatal = st.lastFatal ?? undefined;
    p.turnFailed = st.turnFailed;
    p.runs = st.runs;
    p.done = new RecentSet(DONE_ITEMS, st.done);
    p.errors = st.errors;
    return p;
  }

  private key(suffix: string): string | undefined {
    if (!this.threadId) return undefined;
    return this.runs > 1 ? `stream:${this.threadId}:run${this.runs}:${suffix}` : `stream:${this.threadId}:${suffix}`;
  }

  private base(seenAt: string | undefined, key: string | undefined): { timestamp?: string; key?: string } {
    return { ...(seenAt ? { timestamp: seenAt } : {}), ...(key ? { key } : {}) };
  }

  private itemStarted(item: Obj | undefined, seenAt: string | undefined): Captured[] {
    const id = item && str(item.id);
    const type = item && str(item.type);
    if (!item || !id || !type) {
      this.f.skipped_lines++;
      return [];
    }
    if (type === "todo_list") {
      this.todos.set(id, { item, seenAt });
      return [];
    }
    if (!TOOL_ITEMS.has(type) || this.started.has(id) || this.done.has(id)) return [];
    this.started.set(id, { seenAt });
    return [this.toolCall(id, type, item, seenAt)];
  }

  private itemCompleted(item: Obj | undefined, seenAt: string | undefined): Captured[] {
    const id = item && str(item.id);
    const type = item && str(item.type);
    if (!item || !id || !type) {
      this.f.skipped_lines++;
      return [];
    }
    const base = this.base(seenAt, this.key(id));
    switch (type) {
      case "agent_message":
        return [{ event_type: "agent_output", data: { output: str(item.text) ?? "" }, ...base }];
      case "reasoning":
        return [{ event_type: "agent_thinking", data: { thinking: str(item.text) ?? "" }, ...base }];
      case "plan":
        return [{ event_type: "agent_output", data: { output: str(item.text) ?? "", record_type: "plan" }, ...base }];
      case "todo_list":
        this.todos.delete(id);
        return [this.todoEvent(id, item, seenAt)];
      case "error": {
        // Non-fatal notices (config warnings, deprecations, model reroutes): the turn goes on.
        const message = str(item.message) ?? "";
        return [{ event_type: "error", data: { error_message: message, error_source: "agent" }, ...base, presence: "stream_only" }];
      }
    }
    if (!TOOL_ITEMS.has(type)) return [this.unknown(`item.${type}`, item, seenAt, id)];
    if (this.done.has(id)) return [];
    this.done.add(id);
    const out: Captured[] = [];
    const started = this.started.get(id);
    // agent_message is completed-only by design, and file_change was until 0.169: a tool item
    // seen only as completed still gets its call, so every result has one.
    if (!started) out.push(this.toolCall(id, type, item, seenAt));
    this.started.delete(id);
    out.push(...this.toolResult(id, type, item, seenAt, started?.seenAt));
    return out;
  }

  private toolCall(id: string, type: string, item: Obj, seenAt: string | undefined): Captured {
    return {
      event_type: "tool_call",
      data: { tool_name: toolName(type, item), tool_params: toolParams(type, item), tool_call_id: id },
      ...this.base(seenAt, this.key(id)),
    };
  }

  private toolResult(id: string, type: string, item: Obj, seenAt: string | undefined, startedAt: string | undefined): Captured[] {
    const name = toolName(type, item);
    const status = str(item.status);
    const exitCode = typeof item.exit_code === "number" ? Math.trunc(item.exit_code) : undefined;
    const mcpError = str(obj(item.error)?.message);
    const failed = status === "failed" || status === "declined" || (exitCode !== undefined && exitCode !== 0) || mcpError !== undefined;
    const duration = startedAt && seenAt ? Date.parse(seenAt) - Date.parse(startedAt) : Number.NaN;
    const resultData = type === "command_execution" ? str(item.aggregated_output) : type === "file_change" ? item.changes : type === "mcp_tool_call" ? (item.result ?? item.error) : undefined;
    const out: Captured[] = [
      {
        event_type: "tool_result",
        data: {
          tool_name: name,
          result: failed ? "error" : "success",
          tool_call_id: id,
          ...(resultData !== undefined && resultData !== null ? { result_data: resultData } : {}),
          ...(exitCode !== undefined ? { exit_code: exitCode } : {}),
          ...(Number.isFinite(duration) && duration >= 0 ? { duration_ms: Math.round(duration) } : {}),
        },
        ...this.base(seenAt, this.key(`${id}:result`)),
      },
    ];
    if (failed) {
      out.push({
        event_type: "error",
        data: { error_message: clip(failedMessage(type, item, status, exitCode, mcpError)), error_source: "tool", tool_call_id: id, tool_name: name },
        ...this.base(seenAt, this.key(`${id}:error`)),
      });
    }
    return out;
  }

  private errorLine(message: string, seenAt: string | undefined): Captured[] {
    const retry = RETRY.exec(message);
    if (retry) {
      // Each retry is its own event: how often the provider failed is what the retries tell.
      const http = httpStatusOf(message);
      return [
        {
          event_type: "error",
          data: { error_message: message, error_source: "api", retry_attempt: Number(retry[1]), retry_max: Number(retry[2]), ...(http ? { http_status: http } : {}) },
          ...this.base(seenAt, this.key(`error:${++this.errors}`)),
          presence: "stream_only",
        },
      ];
    }
    this.lastFatal = message;
    this.fail(message);
    return [this.error(message, seenAt)];
  }

  private error(message: string, seenAt: string | undefined): Captured {
    const http = httpStatusOf(message);
    return {
      event_type: "error",
      data: { error_message: message, error_source: errorSourceOf(message), ...(http ? { http_status: http } : {}) },
      ...this.base(seenAt, this.key(`error:${++this.errors}`)),
      presence: "stream_only",
    };
  }

  private fail(message: string): void {
    this.turnFailed = true;
    this.f.status = "failed";
    this.f.error = message;
  }

  private todoUpdate(type: string, rec: Obj, seenAt: string | undefined): boolean {
    if (type !== "item.updated") return false;
    const item = obj(rec.item);
    const id = item && str(item.id);
    if (item && id && item.type === "todo_list") this.todos.set(id, { item, seenAt });
    return true;
  }

  private todoEvent(id: string, item: Obj, seenAt: string | undefined): Captured {
    const items = Array.isArray(item.items) ? item.items.map(obj).filter((x): x is Obj => x !== undefined) : [];
    const output = items.map((t) => `[${t.completed === true ? "x" : " "}] ${str(t.text) ?? ""}`).join("\n");
    return { event_type: "agent_output", data: { output, record_type: "todo_list", items }, ...this.base(seenAt, this.key(id)) };
  }

  private unknown(type: string, raw: Obj, seenAt: string | undefined, id?: string): Captured {
    this.f.unknown_records[type] = (this.f.unknown_records[type] ?? 0) + 1;
    const text = str(raw.text) ?? str(raw.message) ?? "";
    return { event_type: "agent_output", data: { output: text, record_type: type, raw }, ...this.base(seenAt, id ? this.key(id) : undefined) };
  }
}

/** The state a CodexStreamParser snapshot holds (see `snapshot()`). */
export const codexStreamState = z.object({
  facts: snapshotParts.facts,
  threadId: z.string().nullable(),
  started: z.array(z.tuple([z.string(), z.string().nullable()])),
  todos: z.array(z.tuple([z.string(), z.object({ item: z.record(z.string(), z.unknown()), seenAt: z.string().nullable() })])),
  lastFatal: z.string().nullable(),
  turnFailed: z.boolean(),
  runs: z.number().int().nonnegative(),
  done: z.array(z.string()),
  errors: z.number().int().nonnegative(),
});
type CodexStreamState = z.infer<typeof codexStreamState>;

function toolName(type: string, item: Obj): string {
  switch (type) {
    case "command_execution":
      return "shell";
    case "file_change":
      return "apply_patch";
    case "mcp_tool_call":
      return `mcp__${str(item.server) ?? "unknown"}__${str(item.tool) ?? "unknown"}`;
    case "collab_tool_call":
      return str(item.tool) || "collab_tool_call";
    default:
      return type;
  }
}

function toolParams(type: string, item: Obj): unknown {
  switch (type) {
    case "command_execution": {
      const raw = str(item.command) ?? "";
      const inner = unwrapShell(raw);
      return inner === undefined ? { command: raw } : { command: inner, raw_command: raw };
    }
    case "file_change":
      return { changes: item.changes };
    case "mcp_tool_call":
      return item.arguments;
    case "web_search":
      return { query: item.query, ...(item.action !== undefined ? { action: item.action } : {}) };
    case "collab_tool_call":
      return { prompt: item.prompt, receiver_thread_ids: item.receiver_thread_ids };
    default:
      return undefined;
  }
}

function failedMessage(type: string, item: Obj, status: string | undefined, exitCode: number | undefined, mcpError: string | undefined): string {
  if (mcpError) return mcpError;
  if (type === "command_execution") {
    const output = (str(item.aggregated_output) ?? "").trim();
    if (output) return output;
    const raw = str(item.command) ?? "";
    const command = unwrapShell(raw) ?? raw;
    return status === "declined" ? `command declined: ${command}` : `command exited with code ${exitCode ?? "?"}: ${command}`;
  }
  if (type === "file_change") {
    const paths = Array.isArray(item.changes) ? item.changes.map((c) => str(obj(c)?.path)).filter(Boolean) : [];
    return `apply_patch failed: ${paths.join(", ")}`;
  }
  return `${toolName(type, item)} ${status ?? "failed"}`;
}
