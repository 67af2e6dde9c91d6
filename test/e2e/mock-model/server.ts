// Scripted mock model server for driving real coding-agent CLIs offline (ported from the
// shared reference shared/realclients/mock-model.mjs; see README.md beside this file).
//
// Speaks just enough of:
//   * Anthropic Messages API (Claude Code)  POST /v1/messages[?beta=true], /v1/messages/count_tokens
//   * OpenAI Responses API   (Codex)        POST /v1/responses, GET /v1/models
//   * Gemini generateContent (Gemini CLI)   POST /v1beta/models/<m>:streamGenerateContent|generateContent|countTokens
//
// The turn that answers a request is derived from the conversation itself (the number of tool
// results already in the request), so a retried request gets the same turn again and the server
// keeps no per-session state beyond the failure counters.
//
// As a process (so it can live inside the same network namespace as the CLI):
//   node --import tsx test/e2e/mock-model/server.ts --script F [--port 0] [--port-file F] [--log F]
//        [--workdir D] [--latency-ms 0] [--full-bodies]
import { randomBytes } from "node:crypto";
import { appendFileSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { isAbsolute, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

// ------------------------------------------------------------------ script types

export type Protocol = "anthropic" | "responses" | "gemini";

export interface FailSpec {
  status?: number;
  kind?: string;
  message?: string;
  /** Serve the failure this many times, then the turn's normal content (default: forever). */
  times?: number;
  /** "http": an error status with the provider's error JSON; "sse": 200, then a failed stream. */
  as?: "http" | "sse";
  code?: string;
  /** Anthropic only: sent as `x-should-retry`, which the Anthropic clients honour. */
  shouldRetry?: boolean;
  details?: unknown;
  anthropic?: Omit<FailSpec, Protocol>;
  responses?: Omit<FailSpec, Protocol>;
  gemini?: Omit<FailSpec, Protocol>;
}

export interface TurnUsageSpec {
  cache_read?: number;
  cache_creation?: number;
  reasoning?: number;
}

export interface ScriptTurn {
  text?: string;
  /** Abstract tool: shell | read | write | edit (mapped onto what the client offers), or a literal tool name. */
  tool?: string;
  args?: Record<string, unknown>;
  repeat?: number;
  fail?: FailSpec;
  thinking?: string;
  usage?: TurnUsageSpec;
}

/**
 * Another script for conversations that contain `contains` (matched against the JSON text of the
 * request's messages): a retried session whose prompt carries a marker gets its own turns.
 * The first matching branch wins; without a match the scenario's own `turns` play.
 */
export interface ScenarioBranch {
  contains: string;
  turns: ScriptTurn[];
  fallbackText?: string;
}

export interface Scenario {
  name?: string;
  prompt: string;
  branches?: ScenarioBranch[];
  title?: string;
  model?: string;
  sideText?: string;
  fallbackText?: string;
  turns: ScriptTurn[];
}

export type RequestKind = "main" | "side" | "probe" | "count" | "models" | "unknown";

export interface LoggedRequest {
  ts: string;
  n: number;
  method: string;
  path: string;
  query?: string | undefined;
  kind?: RequestKind;
  turn?: number;
  status?: number;
  fail?: Omit<FailSpec, Protocol> & { attempt: number };
  reply?: Record<string, unknown>[];
  usage?: Record<string, unknown>;
  exception?: string;
  req: { model?: unknown; stream?: unknown; max_tokens?: unknown; tools?: string[] | undefined };
  headers: Record<string, string | string[] | undefined>;
  body?: unknown;
}

export interface MockModelOptions {
  /** The scenario itself or the path of its JSON file. */
  script: Scenario | string;
  /** Where relative tool paths and "{{cwd}}" point (the CLI's working directory). */
  workdir?: string;
  /** Delay before each POST answer; 0 keeps tests fast, the reference used 150 to spread timestamps. */
  latencyMs?: number;
  port?: number;
  /** Also append each request as a JSON line to this file (the only way to see them across a namespace). */
  logPath?: string;
  fullBodies?: boolean;
}

export interface MockModel {
  url: string;
  port: number;
  requests(): LoggedRequest[];
  close(): Promise<void>;
}

function expand(turns: ScriptTurn[]): ScriptTurn[] {
  const out: ScriptTurn[] = [];
  for (const t of turns) {
    const { repeat, ...rest } = t;
    for (let i = 0; i < (repeat ?? 1); i++) out.push(rest);
  }
  return out;
}

export function loadScenario(path: string): Scenario {
  return JSON.parse(readFileSync(path, "utf8")) as Scenario;
}

// ------------------------------------------------------------------ loose JSON access
// Request bodies come from foreign clients: read them defensively instead of trusting a type.

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);
const obj = (v: unknown): Obj => (isObj(v) ? v : {});
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const str = (v: unknown): string | undefined => (typeof v === "string" ? v : undefined);

const rid = (prefix: string): string => prefix + randomBytes(12).toString("hex");
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const approxTokens = (v: unknown): number => Math.max(1, Math.ceil((JSON.stringify(v ?? "") ?? "").length / 4));
// stand-in for the opaque signatures real providers send with reasoning (never verified by clients)
const fakeSignature = (): string => randomBytes(48).toString("base64");

// chop a string into a few chunks so deltas look like a real stream
function chunks(s: string, n = 3): string[] {
  if (!s) return [];
  const size = Math.max(1, Math.ceil(s.length / n));
  const out: string[] = [];
  for (let i = 0; i < s.length; i += size) out.push(s.slice(i, i + size));
  return out;
}

function sseStart(res: ServerResponse, extraHeaders: Record<string, string> = {}): void {
  res.writeHead(200, { "content-type": "text/event-stream; charset=utf-8", "cache-control": "no-cache", connection: "keep-alive", ...extraHeaders });
}
function sse(res: ServerResponse, event: string | null, data: unknown): void {
  if (event) res.write(`event: ${event}\n`);
  res.write(`data: ${JSON.stringify(data)}\n\n`);
}
function json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const s = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json", "content-length": String(Buffer.byteLength(s)), ...headers });
  res.end(s);
}

interface UsageFacts {
  P: number;
  O: number;
  R: number;
  cacheRead: number;
  cacheCreation: number;
  hasCacheCreation: boolean;
  clamped: boolean;
}

// Null for a plain turn, so plain turns keep the reference's usage objects unchanged.
function turnUsage(turn: ScriptTurn | null, P: number, O: number, thinkingText: string): UsageFacts | null {
  if (!turn || (!turn.usage && !turn.thinking)) return null;
  const u = turn.usage ?? {};
  const R = u.reasoning ?? (thinkingText ? approxTokens(thinkingText) : 0);
  // the cached parts are parts of the prompt; never report more than the prompt itself
  const cacheRead = Math.min(u.cache_read ?? 0, P);
  const cacheCreation = Math.min(u.cache_creation ?? 0, P - cacheRead);
  return {
    P,
    O,
    R,
    cacheRead,
    cacheCreation,
    hasCacheCreation: u.cache_creation !== undefined,
    clamped: cacheRead !== (u.cache_read ?? 0) || cacheCreation !== (u.cache_creation ?? 0),
  };
}

interface Picked {
  turn: ScriptTurn;
  index: number;
  fail: (Omit<FailSpec, Protocol> & { attempt: number }) | null;
}

type Meta = Omit<LoggedRequest, "ts" | "req" | "headers">;

// ------------------------------------------------------------------ the server

class MockModelServer {
  private readonly turns: ScriptTurn[];
  // "proto:turnIndex" -> failures served so far; per protocol so one scenario can serve several CLIs
  private readonly attempts = new Map<string, number>();
  private readonly log: LoggedRequest[] = [];
  private seq = 0;

  constructor(
    private readonly script: Scenario,
    private readonly workdir: string,
    private readonly latencyMs: number,
    private readonly logPath: string | undefined,
    private readonly fullBodies: boolean,
  ) {
    this.turns = expand(script.turns);
    this.branches = (script.branches ?? []).map((b) => ({ contains: b.contains, turns: expand(b.turns), fallbackText: b.fallbackText }));
  }
  private readonly branches: { contains: string; turns: ScriptTurn[]; fallbackText?: string | undefined }[];

  requests(): LoggedRequest[] {
    return [...this.log];
  }

  private subst(v: unknown): unknown {
    if (typeof v === "string") return v.replaceAll("{{cwd}}", this.workdir);
    if (Array.isArray(v)) return v.map((x) => this.subst(x));
    if (isObj(v)) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, this.subst(x)]));
    return v;
  }
  private substText(s: string): string {
    return s.replaceAll("{{cwd}}", this.workdir);
  }
  private args(turn: ScriptTurn): Record<string, string> {
    const out: Record<string, string> = {};
    for (const [k, v] of Object.entries(obj(this.subst(turn.args ?? {})))) out[k] = typeof v === "string" ? v : JSON.stringify(v);
    return out;
  }
  private absPath(p: string | undefined): string {
    const s = p ?? "";
    return isAbsolute(s) ? s : join(this.workdir, s);
  }

  private pickTurn(proto: Protocol, toolResults: number, conversation: unknown): Picked {
    const index = toolResults;
    let turns = this.turns;
    let fallbackText = this.script.fallbackText;
    let branch = "";
    if (this.branches.length) {
      const text = JSON.stringify(conversation ?? "");
      const i = this.branches.findIndex((b) => text.includes(b.contains));
      if (i >= 0) {
        turns = this.branches[i]!.turns;
        fallbackText = this.branches[i]!.fallbackText ?? fallbackText;
        branch = `b${i}:`;
      }
    }
    if (index >= turns.length) return { turn: { text: fallbackText ?? "I am done." }, index, fail: null };
    const turn = turns[index] ?? { text: "Done." };
    if (turn.fail) {
      const { anthropic, responses, gemini, ...base } = turn.fail;
      const spec = { ...base, ...({ anthropic, responses, gemini }[proto] ?? {}) };
      const key = `${proto}:${branch}${index}`;
      const n = this.attempts.get(key) ?? 0;
      if (n < (spec.times ?? Number.POSITIVE_INFINITY)) {
        this.attempts.set(key, n + 1);
        return { turn, index, fail: { ...spec, attempt: n + 1 } };
      }
    }
    return { turn, index, fail: null };
  }

  // ================================================================ Anthropic

  private anthropicToolCall(turn: ScriptTurn, tools: unknown[]): { name: string; input: Record<string, unknown> } {
    const names = new Set(tools.map((t) => str(obj(t)["name"])));
    const a = this.args(turn);
    switch (turn.tool) {
      case "shell":
        return { name: "Bash", input: { command: a["command"], description: a["description"] ?? `Run ${a["command"]}` } };
      case "read":
        return names.has("Read") ? { name: "Read", input: { file_path: this.absPath(a["path"]) } } : { name: "Bash", input: { command: `cat ${a["path"]}`, description: "Read file" } };
      case "write":
        return { name: "Write", input: { file_path: this.absPath(a["path"]), content: a["content"] } };
      case "edit":
        return { name: "Edit", input: { file_path: this.absPath(a["path"]), old_string: a["old"], new_string: a["new"] } };
      default:
        return { name: turn.tool ?? "unknown", input: obj(this.subst(turn.args ?? {})) };
    }
  }

  private static anthropicError(kind: string | undefined, message: string | undefined): { type: "error"; error: { type: string; message: string }; request_id: string } {
    const known: Record<string, string> = { overloaded: "overloaded_error", server: "api_error", rate_limit: "rate_limit_error", invalid: "invalid_request_error", auth: "authentication_error" };
    const type = (kind !== undefined ? known[kind] : undefined) ?? kind ?? "api_error";
    return { type: "error", error: { type, message: message ?? "Internal server error" }, request_id: rid("req_") };
  }

  private async anthropicMessages(res: ServerResponse, body: Obj, meta: Meta): Promise<void> {
    const tools = arr(body["tools"]);
    const isMain = tools.some((t) => obj(t)["name"] === "Bash");
    const model = str(body["model"]) ?? "claude-mock";
    const stream = body["stream"] === true;
    const inputTokens = approxTokens(body["messages"]) + approxTokens(body["system"]);
    type Block = { type: "thinking"; thinking: string; signature: string } | { type: "text"; text: string } | { type: "tool_use"; id: string; name: string; input: Record<string, unknown> };
    let blocks: Block[];
    let stop = "end_turn";
    let mainTurn: ScriptTurn | null = null;
    if (!isMain) {
      // title / topic / quota side calls: answer briefly, in the JSON shape they ask for
      const sys = JSON.stringify(body["system"] ?? "");
      let text = "OK";
      if (/title/i.test(sys) && /json/i.test(sys)) text = JSON.stringify({ title: this.script.title ?? "Mock session" });
      else if (/isNewTopic|new conversation topic/i.test(sys)) text = JSON.stringify({ isNewTopic: false, title: null });
      blocks = [{ type: "text", text }];
      meta.kind = "side";
    } else {
      let toolResults = 0;
      for (const m of arr(body["messages"])) {
        const mo = obj(m);
        if (mo["role"] === "user") for (const b of arr(mo["content"])) if (obj(b)["type"] === "tool_result") toolResults++;
      }
      const { turn, index, fail } = this.pickTurn("anthropic", toolResults, body["messages"]);
      meta.kind = "main";
      meta.turn = index;
      if (fail) {
        meta.fail = fail;
        const err = MockModelServer.anthropicError(fail.kind, fail.message);
        // a non-streaming request (Claude Code's fallback after a broken stream) can only get the error as a status
        if ((fail.as ?? "http") === "http" || !stream) {
          const status = fail.status ?? (fail.kind === "overloaded" ? 529 : 500);
          const headers: Record<string, string> = { "request-id": err.request_id };
          if (fail.shouldRetry !== undefined) headers["x-should-retry"] = String(fail.shouldRetry);
          meta.status = status;
          return json(res, status, err, headers);
        }
        sseStart(res, { "request-id": err.request_id });
        sse(res, "message_start", {
          type: "message_start",
          message: { id: rid("msg_"), type: "message", role: "assistant", model, content: [], stop_reason: null, stop_sequence: null, usage: { input_tokens: inputTokens, output_tokens: 1, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 } },
        });
        sse(res, "content_block_start", { type: "content_block_start", index: 0, content_block: { type: "text", text: "" } });
        sse(res, "content_block_delta", { type: "content_block_delta", index: 0, delta: { type: "text_delta", text: "Let me " } });
        await sleep(20);
        sse(res, "error", err);
        meta.status = 200;
        res.end();
        return;
      }
      mainTurn = turn;
      blocks = [];
      if (turn.thinking) blocks.push({ type: "thinking", thinking: this.substText(turn.thinking), signature: fakeSignature() });
      if (turn.text) blocks.push({ type: "text", text: this.substText(turn.text) });
      if (turn.tool) {
        blocks.push({ type: "tool_use", id: rid("toolu_"), ...this.anthropicToolCall(turn, tools) });
        stop = "tool_use";
      }
      if (!blocks.some((b) => b.type !== "thinking")) blocks.push({ type: "text", text: "Done." });
    }
    const visible = blocks.filter((b) => b.type !== "thinking");
    const thinkingText = blocks.map((b) => (b.type === "thinking" ? b.thinking : "")).join("");
    let outputTokens = approxTokens(visible);
    let usage: Obj = { input_tokens: inputTokens, output_tokens: outputTokens, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 };
    const tu = turnUsage(mainTurn, inputTokens, outputTokens, thinkingText);
    if (tu) {
      // input_tokens excludes both cache counts; thinking is billed inside output_tokens
      outputTokens = tu.O + tu.R;
      usage = {
        input_tokens: tu.P - tu.cacheRead - tu.cacheCreation,
        output_tokens: outputTokens,
        cache_creation_input_tokens: tu.cacheCreation,
        cache_read_input_tokens: tu.cacheRead,
        ...(tu.hasCacheCreation ? { cache_creation: { ephemeral_5m_input_tokens: tu.cacheCreation, ephemeral_1h_input_tokens: 0 } } : {}),
      };
      meta.usage = { ...usage, reasoning_in_output: tu.R, ...(tu.clamped ? { clamped: true } : {}) };
    }
    const msgId = rid("msg_");
    meta.status = 200;
    meta.reply = blocks.map((b) => (b.type === "text" ? { text: b.text.slice(0, 80) } : b.type === "thinking" ? { thinking: b.thinking.slice(0, 80) } : { tool: b.name, input: b.input }));
    if (!stream) {
      const content = blocks.map((b) => (b.type === "tool_use" ? { type: b.type, id: b.id, name: b.name, input: b.input } : b));
      return json(res, 200, { id: msgId, type: "message", role: "assistant", model, content, stop_reason: stop, stop_sequence: null, usage }, { "request-id": rid("req_") });
    }
    sseStart(res, { "request-id": rid("req_") });
    sse(res, "message_start", { type: "message_start", message: { id: msgId, type: "message", role: "assistant", model, content: [], stop_reason: null, stop_sequence: null, usage: { ...usage, output_tokens: 1 } } });
    sse(res, "ping", { type: "ping" });
    blocks.forEach((b, i) => {
      if (b.type === "thinking") {
        sse(res, "content_block_start", { type: "content_block_start", index: i, content_block: { type: "thinking", thinking: "", signature: "" } });
        for (const c of chunks(b.thinking)) sse(res, "content_block_delta", { type: "content_block_delta", index: i, delta: { type: "thinking_delta", thinking: c } });
        sse(res, "content_block_delta", { type: "content_block_delta", index: i, delta: { type: "signature_delta", signature: b.signature } });
      } else if (b.type === "text") {
        sse(res, "content_block_start", { type: "content_block_start", index: i, content_block: { type: "text", text: "" } });
        for (const c of chunks(b.text)) sse(res, "content_block_delta", { type: "content_block_delta", index: i, delta: { type: "text_delta", text: c } });
      } else {
        sse(res, "content_block_start", { type: "content_block_start", index: i, content_block: { type: "tool_use", id: b.id, name: b.name, input: {} } });
        for (const c of chunks(JSON.stringify(b.input))) sse(res, "content_block_delta", { type: "content_block_delta", index: i, delta: { type: "input_json_delta", partial_json: c } });
      }
      sse(res, "content_block_stop", { type: "content_block_stop", index: i });
    });
    sse(res, "message_delta", { type: "message_delta", delta: { stop_reason: stop, stop_sequence: null }, usage: { output_tokens: outputTokens } });
    sse(res, "message_stop", { type: "message_stop" });
    res.end();
  }

  // ================================================================ OpenAI Responses (Codex)

  private responsesToolCall(turn: ScriptTurn, tools: unknown[]): Obj {
    const byName = new Map(tools.map((t) => [toolName(t), obj(t)]));
    const a = this.args(turn);
    const shellCall = (command: string | undefined): Obj => {
      if (byName.has("exec_command")) return { type: "function_call", name: "exec_command", arguments: JSON.stringify({ cmd: command }) };
      if (byName.has("shell_command")) return { type: "function_call", name: "shell_command", arguments: JSON.stringify({ command }) };
      if (byName.has("local_shell") && !byName.has("shell")) return { type: "local_shell_call", action: { type: "exec", command: ["bash", "-lc", command] } };
      return { type: "function_call", name: "shell", arguments: JSON.stringify({ command: ["bash", "-lc", command] }) };
    };
    switch (turn.tool) {
      case "shell":
        return shellCall(a["command"]);
      case "read":
        if (byName.has("read_file")) return { type: "function_call", name: "read_file", arguments: JSON.stringify({ file_path: this.absPath(a["path"]) }) };
        return shellCall(`cat ${a["path"]}`);
      case "write":
      case "edit": {
        const lines = (t: string | undefined, pfx: string): string =>
          (t ?? "")
            .replace(/\n$/, "")
            .split("\n")
            .map((l) => pfx + l)
            .join("\n");
        const patch =
          turn.tool === "write"
            ? `*** Begin Patch\n*** Add File: ${a["path"]}\n${lines(a["content"], "+")}\n*** End Patch\n`
            : `*** Begin Patch\n*** Update File: ${a["path"]}\n@@\n${lines(a["old"], "-")}\n${lines(a["new"], "+")}\n*** End Patch\n`;
        const ap = byName.get("apply_patch");
        if (ap && ap["type"] === "custom") return { type: "custom_tool_call", name: "apply_patch", input: patch };
        if (ap) return { type: "function_call", name: "apply_patch", arguments: JSON.stringify({ input: patch }) };
        return shellCall(`apply_patch <<'EOF'\n${patch}EOF`);
      }
      default:
        return { type: "function_call", name: turn.tool ?? "unknown", arguments: JSON.stringify(this.subst(turn.args ?? {})) };
    }
  }

  private async responses(res: ServerResponse, body: Obj, meta: Meta): Promise<void> {
    const model = str(body["model"]) ?? "mock-model";
    const tools = arr(body["tools"]);
    const input = Array.isArray(body["input"]) ? body["input"] : [{ type: "message", role: "user", content: body["input"] }];
    const isMain = tools.length > 0;
    const inputTokens = approxTokens(input) + approxTokens(body["instructions"]);
    const respId = rid("resp_");
    const created = Math.floor(Date.now() / 1000);
    const items: Obj[] = [];
    let mainTurn: ScriptTurn | null = null;
    if (!isMain) {
      meta.kind = "side";
      items.push({ type: "message", text: this.script.sideText ?? "OK" });
    } else {
      const toolResults = input.filter((it) => /_call_output$/.test(str(obj(it)["type"]) ?? "")).length;
      const { turn, index, fail } = this.pickTurn("responses", toolResults, input);
      meta.kind = "main";
      meta.turn = index;
      if (fail) {
        meta.fail = fail;
        const message = fail.message ?? "The server had an error while processing your request.";
        if ((fail.as ?? "http") === "http") {
          const status = fail.status ?? 500;
          meta.status = status;
          return json(res, status, { error: { message, type: fail.kind ?? "server_error", param: null, code: fail.code ?? null } }, { "x-request-id": rid("req_") });
        }
        sseStart(res, { "x-request-id": rid("req_") });
        const base = { id: respId, object: "response", created_at: created, model, output: [] };
        sse(res, "response.created", { type: "response.created", sequence_number: 0, response: { ...base, status: "in_progress" } });
        await sleep(20);
        sse(res, "response.failed", { type: "response.failed", sequence_number: 1, response: { ...base, status: "failed", error: { code: fail.code ?? "server_error", message }, usage: null } });
        meta.status = 200;
        res.end();
        return;
      }
      mainTurn = turn;
      if (turn.thinking) items.push({ type: "reasoning", text: this.substText(turn.thinking) });
      if (turn.text) items.push({ type: "message", text: this.substText(turn.text) });
      if (turn.tool) items.push(this.responsesToolCall(turn, tools));
      if (!items.some((it) => it["type"] !== "reasoning")) items.push({ type: "message", text: "Done." });
    }
    const output: Obj[] = items.map((it) => {
      switch (it["type"]) {
        case "message":
          return { id: rid("msg_"), type: "message", status: "completed", role: "assistant", content: [{ type: "output_text", text: it["text"], annotations: [] }] };
        case "function_call":
          return { id: rid("fc_"), type: "function_call", status: "completed", call_id: rid("call_"), name: it["name"], arguments: it["arguments"] };
        case "custom_tool_call":
          return { id: rid("ctc_"), type: "custom_tool_call", status: "completed", call_id: rid("call_"), name: it["name"], input: it["input"] };
        case "local_shell_call":
          return { id: rid("lsh_"), type: "local_shell_call", status: "completed", call_id: rid("call_"), action: it["action"] };
        case "reasoning":
          return { id: rid("rs_"), type: "reasoning", summary: [{ type: "summary_text", text: it["text"] }], encrypted_content: `mock-encrypted-${fakeSignature()}` };
        default:
          return it;
      }
    });
    const textOf = (o: Obj): string => str(obj(arr(o["content"] ?? o["summary"])[0])["text"]) ?? "";
    const visible = output.filter((o) => o["type"] !== "reasoning");
    const reasoningText = output
      .filter((o) => o["type"] === "reasoning")
      .map(textOf)
      .join("");
    const outputTokens = approxTokens(visible);
    let usage: Obj = { input_tokens: inputTokens, input_tokens_details: { cached_tokens: 0 }, output_tokens: outputTokens, output_tokens_details: { reasoning_tokens: 0 }, total_tokens: inputTokens + outputTokens };
    const tu = turnUsage(mainTurn, inputTokens, outputTokens, reasoningText);
    if (tu) {
      // input_tokens includes cached (and cache-write) tokens; output_tokens includes reasoning
      usage = {
        input_tokens: tu.P,
        input_tokens_details: { cached_tokens: tu.cacheRead, ...(tu.hasCacheCreation ? { cache_write_tokens: tu.cacheCreation } : {}) },
        output_tokens: tu.O + tu.R,
        output_tokens_details: { reasoning_tokens: tu.R },
        total_tokens: tu.P + tu.O + tu.R,
      };
      meta.usage = { ...usage, ...(tu.clamped ? { clamped: true } : {}) };
    }
    meta.status = 200;
    meta.reply = output.map((o) => (o["type"] === "message" ? { text: textOf(o).slice(0, 80) } : o["type"] === "reasoning" ? { reasoning: textOf(o).slice(0, 80) } : { tool: o["name"] ?? o["type"], args: o["arguments"] ?? o["input"] ?? o["action"] }));
    const base = {
      id: respId,
      object: "response",
      created_at: created,
      model,
      parallel_tool_calls: false,
      tool_choice: "auto",
      tools: [],
      error: null,
      incomplete_details: null,
      instructions: null,
      metadata: {},
      previous_response_id: null,
      reasoning: null,
      text: { format: { type: "text" } },
    };
    if (body["stream"] === false) return json(res, 200, { ...base, status: "completed", output, usage });
    sseStart(res, { "x-request-id": rid("req_") });
    let seq = 0;
    const ev = (type: string, data: Obj): void => sse(res, type, { type, sequence_number: seq++, ...data });
    ev("response.created", { response: { ...base, status: "in_progress", output: [] } });
    ev("response.in_progress", { response: { ...base, status: "in_progress", output: [] } });
    output.forEach((o, oi) => {
      const id = o["id"];
      if (o["type"] === "reasoning") {
        ev("response.output_item.added", { output_index: oi, item: { id, type: "reasoning", summary: [] } });
        const text = textOf(o);
        const ids = { item_id: id, output_index: oi, summary_index: 0 };
        ev("response.reasoning_summary_part.added", { ...ids, part: { type: "summary_text", text: "" } });
        for (const c of chunks(text)) ev("response.reasoning_summary_text.delta", { ...ids, delta: c });
        ev("response.reasoning_summary_text.done", { ...ids, text });
        ev("response.reasoning_summary_part.done", { ...ids, part: { type: "summary_text", text } });
      } else if (o["type"] === "message") {
        ev("response.output_item.added", { output_index: oi, item: { ...o, status: "in_progress", content: [] } });
        const part = { type: "output_text", text: "", annotations: [] };
        const ids = { item_id: id, output_index: oi, content_index: 0 };
        ev("response.content_part.added", { ...ids, part });
        const text = textOf(o);
        for (const c of chunks(text)) ev("response.output_text.delta", { ...ids, delta: c, logprobs: [] });
        ev("response.output_text.done", { ...ids, text, logprobs: [] });
        ev("response.content_part.done", { ...ids, part: { ...part, text } });
      } else if (o["type"] === "function_call") {
        const args = str(o["arguments"]) ?? "";
        ev("response.output_item.added", { output_index: oi, item: { ...o, status: "in_progress", arguments: "" } });
        for (const c of chunks(args)) ev("response.function_call_arguments.delta", { item_id: id, output_index: oi, delta: c });
        ev("response.function_call_arguments.done", { item_id: id, output_index: oi, arguments: args });
      } else if (o["type"] === "custom_tool_call") {
        const inp = str(o["input"]) ?? "";
        ev("response.output_item.added", { output_index: oi, item: { ...o, status: "in_progress", input: "" } });
        for (const c of chunks(inp)) ev("response.custom_tool_call_input.delta", { item_id: id, output_index: oi, delta: c });
        ev("response.custom_tool_call_input.done", { item_id: id, output_index: oi, input: inp });
      } else {
        ev("response.output_item.added", { output_index: oi, item: o });
      }
      ev("response.output_item.done", { output_index: oi, item: o });
    });
    ev("response.completed", { response: { ...base, status: "completed", output, usage } });
    res.end();
  }

  // ================================================================ Gemini

  private geminiToolCall(turn: ScriptTurn, decls: Obj[]): { name: string; args: Record<string, unknown> } {
    const byName = new Map(decls.map((d) => [str(d["name"]), d]));
    const a = this.args(turn);
    const paramNames = (n: string): string[] => {
      const d = obj(byName.get(n));
      return Object.keys(obj(obj(d["parameters"])["properties"] ?? obj(d["parametersJsonSchema"])["properties"]));
    };
    const pathKey = (n: string, dflt: string): string => paramNames(n).find((k) => /path/.test(k)) ?? dflt;
    switch (turn.tool) {
      case "shell":
        return { name: "run_shell_command", args: { command: a["command"], description: a["description"] ?? `Run ${a["command"]}` } };
      case "read":
        return { name: "read_file", args: { [pathKey("read_file", "file_path")]: this.absPath(a["path"]) } };
      case "write":
        return { name: "write_file", args: { [pathKey("write_file", "file_path")]: this.absPath(a["path"]), content: a["content"] } };
      case "edit":
        return {
          name: "replace",
          args: { [pathKey("replace", "file_path")]: this.absPath(a["path"]), instruction: a["instruction"] ?? `Replace the text in ${a["path"]}`, old_string: a["old"], new_string: a["new"] },
        };
      default:
        return { name: turn.tool ?? "unknown", args: obj(this.subst(turn.args ?? {})) };
    }
  }

  private async gemini(res: ServerResponse, body: Obj, meta: Meta, model: string, method: string): Promise<void> {
    const decls = arr(body["tools"]).flatMap((t) => arr(obj(t)["functionDeclarations"]).map(obj));
    const isMain = decls.some((d) => d["name"] === "run_shell_command");
    const promptTokenCount = approxTokens(body["contents"]) + approxTokens(body["systemInstruction"]);
    if (method === "countTokens") {
      meta.kind = "count";
      meta.status = 200;
      return json(res, 200, { totalTokens: promptTokenCount });
    }
    type Part = { text: string; thought?: true } | { functionCall: { name: string; args: Record<string, unknown> } };
    let parts: Part[];
    let mainTurn: ScriptTurn | null = null;
    const gc = obj(body["generationConfig"] ?? body["config"]);
    if (!isMain) {
      meta.kind = "side";
      // JSON-mode side calls (next-speaker check, model router, loop detection) need schema-shaped answers
      const schema = gc["responseJsonSchema"] ?? gc["responseSchema"];
      parts = [{ text: gc["responseMimeType"] === "application/json" || schema ? JSON.stringify(fillSchema(schema ?? {})) : (this.script.sideText ?? "OK") }];
    } else {
      let toolResults = 0;
      for (const c of arr(body["contents"])) for (const p of arr(obj(c)["parts"])) if (obj(p)["functionResponse"]) toolResults++;
      const { turn, index, fail } = this.pickTurn("gemini", toolResults, body["contents"]);
      meta.kind = "main";
      meta.turn = index;
      if (fail) {
        meta.fail = fail;
        const status = fail.status ?? 500;
        const statusTexts: Record<number, string> = { 500: "INTERNAL", 503: "UNAVAILABLE", 429: "RESOURCE_EXHAUSTED", 400: "INVALID_ARGUMENT", 401: "UNAUTHENTICATED", 403: "PERMISSION_DENIED" };
        const error = { code: status, message: fail.message ?? "Internal error encountered.", status: statusTexts[status] ?? "INTERNAL", ...(fail.details ? { details: fail.details } : {}) };
        if ((fail.as ?? "http") === "http") {
          meta.status = status;
          return json(res, status, { error });
        }
        // The Gemini API sends a mid-stream error as a bare JSON object without "data:" framing;
        // @google/genai only recognises it when it arrives as a network chunk of its own, hence the pause.
        sseStart(res);
        res.write(`data: ${JSON.stringify({ candidates: [{ content: { parts: [{ text: "Let me " }], role: "model" }, index: 0 }], modelVersion: model })}\r\n\r\n`);
        await sleep(100);
        res.write(JSON.stringify({ error }));
        meta.status = 200;
        res.end();
        return;
      }
      mainTurn = turn;
      parts = [];
      if (turn.thinking) parts.push({ text: this.substText(turn.thinking), thought: true });
      if (turn.text) parts.push({ text: this.substText(turn.text) });
      if (turn.tool) parts.push({ functionCall: this.geminiToolCall(turn, decls) });
      if (!parts.some((p) => !("thought" in p))) parts.push({ text: "Done." });
    }
    const visible = parts.filter((p) => !("thought" in p));
    const thoughtText = parts.map((p) => ("thought" in p ? p.text : "")).join("");
    const candidatesTokenCount = approxTokens(visible);
    let usageMetadata: Obj = { promptTokenCount, candidatesTokenCount, totalTokenCount: promptTokenCount + candidatesTokenCount };
    const tu = turnUsage(mainTurn, promptTokenCount, candidatesTokenCount, thoughtText);
    if (tu) {
      // promptTokenCount includes the cached tokens; thoughts are counted apart from the candidates
      usageMetadata = { promptTokenCount: tu.P, candidatesTokenCount: tu.O, totalTokenCount: tu.P + tu.O + tu.R, cachedContentTokenCount: tu.cacheRead, thoughtsTokenCount: tu.R };
      meta.usage = { ...usageMetadata, ...(tu.cacheCreation ? { cache_creation_ignored: tu.cacheCreation } : {}), ...(tu.clamped ? { clamped: true } : {}) };
    }
    const mk = (ps: Part[], finish: boolean): Obj => ({
      candidates: [{ content: { parts: ps, role: "model" }, ...(finish ? { finishReason: "STOP" } : {}), index: 0 }],
      ...(finish ? { usageMetadata } : {}),
      modelVersion: model,
      responseId: rid(""),
    });
    meta.status = 200;
    meta.reply = parts.map((p) => ("functionCall" in p ? { tool: p.functionCall.name, args: p.functionCall.args } : "thought" in p ? { thought: p.text.slice(0, 80) } : { text: p.text.slice(0, 80) }));
    if (method === "generateContent") return json(res, 200, mk(parts, true));
    sseStart(res);
    // a thought as a chunk of its own, text in a few chunks, then function calls; usage on the last chunk
    const seq: Part[][] = [];
    for (const p of parts) {
      if ("thought" in p || "functionCall" in p) seq.push([p]);
      else for (const c of chunks(p.text)) seq.push([{ text: c }]);
    }
    seq.forEach((ps, i) => {
      res.write(`data: ${JSON.stringify(mk(ps, i === seq.length - 1))}\r\n\r\n`);
    });
    res.end();
  }

  // ================================================================ routing

  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const n = ++this.seq;
    const chunksIn: Buffer[] = [];
    for await (const c of req) chunksIn.push(c as Buffer);
    const raw = Buffer.concat(chunksIn).toString("utf8");
    let body: Obj;
    try {
      body = raw ? obj(JSON.parse(raw)) : {};
    } catch {
      body = { _unparsed: raw.slice(0, 2000) };
    }
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    const headers: Record<string, string | string[] | undefined> = { ...req.headers };
    for (const k of ["authorization", "x-api-key", "x-goog-api-key", "cookie"]) if (headers[k]) headers[k] = "<redacted>";
    const method = req.method ?? "GET";
    const meta: Meta = { n, method, path: url.pathname, query: url.search || undefined };
    const tools = body["tools"];
    const summary = {
      model: body["model"],
      stream: body["stream"],
      max_tokens: body["max_tokens"],
      tools: Array.isArray(tools) ? tools.flatMap((t) => toolName(t) ?? str(obj(t)["type"]) ?? arr(obj(t)["functionDeclarations"]).map((d) => str(obj(d)["name"]) ?? "?")) : undefined,
    };
    let logged = false;
    const record = (): void => {
      if (logged) return;
      logged = true;
      const entry: LoggedRequest = { ts: new Date().toISOString(), ...meta, req: summary, headers, ...(this.fullBodies ? { body } : {}) };
      this.log.push(entry);
      if (this.logPath) appendFileSync(this.logPath, `${JSON.stringify(entry)}\n`);
    };
    // Log before the last byte goes out: once a client has its whole answer (or the CLI has
    // exited), the log already holds the request, so readers never race the server.
    const end = res.end.bind(res) as (...a: unknown[]) => ServerResponse;
    res.end = ((...a: unknown[]) => {
      record();
      return end(...a);
    }) as typeof res.end;
    try {
      const p = url.pathname;
      if (method === "POST" && this.latencyMs > 0) await sleep(this.latencyMs);
      const gem = /\/models\/([^/:]+):(streamGenerateContent|generateContent|countTokens)$/.exec(p);
      if ((method === "HEAD" || method === "GET") && p === "/") {
        // connectivity probe: Claude Code sends HEAD / at start
        meta.kind = "probe";
        meta.status = 200;
        res.writeHead(200, { "content-type": "text/plain" });
        res.end(method === "GET" ? "mock-model\n" : undefined);
      } else if (method === "POST" && /\/v1\/messages\/count_tokens$/.test(p)) {
        meta.kind = "count";
        meta.status = 200;
        json(res, 200, { input_tokens: approxTokens(body["messages"]) + approxTokens(body["system"]) + approxTokens(body["tools"]) });
      } else if (method === "POST" && /\/v1\/messages$/.test(p)) {
        await this.anthropicMessages(res, body, meta);
      } else if (method === "POST" && /\/responses$/.test(p)) {
        await this.responses(res, body, meta);
      } else if (method === "GET" && /\/models$/.test(p)) {
        meta.kind = "models";
        meta.status = 200;
        json(res, 200, { object: "list", data: [{ id: this.script.model ?? "mock-model", object: "model", created: 0, owned_by: "mock" }], models: [] });
      } else if (method === "POST" && gem) {
        await this.gemini(res, body, meta, gem[1] ?? "gemini-mock", gem[2] ?? "generateContent");
      } else {
        meta.kind = "unknown";
        meta.status = 404;
        json(res, 404, { error: { type: "not_found_error", message: `mock has no route for ${method} ${p}` } });
      }
    } catch (e) {
      meta.status = 500;
      meta.exception = String((e instanceof Error && e.stack) || e);
      if (!res.headersSent) json(res, 500, { error: { type: "api_error", message: `mock crashed: ${e}` } });
      else res.end();
    }
    record();
  }
}

function toolName(t: unknown): string | undefined {
  const o = obj(t);
  return str(o["name"]) ?? str(obj(o["function"])["name"]);
}

// Answers that keep Gemini CLI's JSON side calls going the way the script wants.
const SIDE_ANSWERS: Record<string, unknown> = {
  next_speaker: "user", // never let the client continue on its own
  complexity_score: 1,
  model_choice: "flash",
  unproductive_state_confidence: 0,
  unproductive_state_analysis: "The conversation is making progress.",
};

export function fillSchema(schema: unknown, key?: string): unknown {
  if (key !== undefined && key in SIDE_ANSWERS) return SIDE_ANSWERS[key];
  const s = obj(schema);
  const enumValues = arr(s["enum"]);
  if (enumValues.length) return enumValues[0];
  const type = String(s["type"] ?? (s["properties"] ? "object" : "string")).toLowerCase();
  switch (type) {
    case "object":
      return Object.fromEntries(Object.entries(obj(s["properties"])).map(([k, v]) => [k, fillSchema(v, k)]));
    case "array":
      return [];
    case "integer":
    case "number":
      return 1;
    case "boolean":
      return false;
    default:
      return "mock";
  }
}

export async function startMockModel(opts: MockModelOptions): Promise<MockModel> {
  const script = typeof opts.script === "string" ? loadScenario(opts.script) : opts.script;
  const mock = new MockModelServer(script, resolve(opts.workdir ?? process.cwd()), opts.latencyMs ?? 0, opts.logPath, opts.fullBodies ?? false);
  const server: Server = createServer((req, res) => {
    mock.handle(req, res).catch((e: unknown) => {
      if (!res.headersSent) json(res, 500, { error: { type: "api_error", message: `mock crashed: ${e}` } });
      else res.end();
    });
  });
  await new Promise<void>((ok, fail) => {
    server.once("error", fail);
    server.listen(opts.port ?? 0, "127.0.0.1", () => ok());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    requests: () => mock.requests(),
    close: () =>
      new Promise<void>((ok) => {
        server.close(() => ok());
        // CLIs keep connections alive; without this close() would wait for them to time out
        server.closeAllConnections();
      }),
  };
}

// ------------------------------------------------------------------ process entry

function parseArgs(argv: string[]): Map<string, string> {
  const m = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] ?? "";
    if (!a.startsWith("--")) continue;
    const next = argv[i + 1];
    if (next === undefined || next.startsWith("--")) m.set(a.slice(2), "");
    else {
      m.set(a.slice(2), next);
      i++;
    }
  }
  return m;
}

async function main(argv: string[]): Promise<void> {
  const args = parseArgs(argv);
  const scriptPath = args.get("script");
  if (!scriptPath) {
    process.stderr.write("usage: server.ts --script FILE [--port N] [--port-file F] [--log F] [--workdir DIR] [--latency-ms N] [--full-bodies]\n");
    process.exit(2);
  }
  const logPath = args.get("log") || undefined;
  const mock = await startMockModel({
    script: scriptPath,
    workdir: args.get("workdir") || process.cwd(),
    latencyMs: Number(args.get("latency-ms") || "0"),
    port: Number(args.get("port") || "0"),
    fullBodies: args.has("full-bodies"),
    ...(logPath ? { logPath } : {}),
  });
  // written only once listening, so whoever polls the file can connect at once
  const portFile = args.get("port-file");
  if (portFile) {
    // rename so a poller never sees a half-written port number
    writeFileSync(`${portFile}.tmp`, String(mock.port));
    renameSync(`${portFile}.tmp`, portFile);
  }
  process.stderr.write(`mock-model listening on ${mock.url} (script ${scriptPath})\n`);
  for (const sig of ["SIGTERM", "SIGINT"] as const)
    process.on(sig, () => {
      void mock.close().then(() => process.exit(0));
    });
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main(process.argv.slice(2)).catch((e: unknown) => {
    process.stderr.write(`mock-model: ${(e instanceof Error && e.stack) || e}\n`);
    process.exit(1);
  });
}
