import { readFileSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { DATA_SCHEMAS, type Usage } from "../../schema/index.js";
import { addUsage, type Captured, type SessionFacts, type SourceFormat } from "../adapter.js";
import { claudeAdapter } from "./index.js";

const FIXTURES = join(import.meta.dirname, "..", "..", "..", "test", "fixtures", "real");

function parseLines(format: SourceFormat, lines: readonly (string | object)[]): { events: Captured[]; facts: SessionFacts } {
  const p = claudeAdapter.parser(format);
  const events: Captured[] = [];
  for (const l of lines) events.push(...p.line(typeof l === "string" ? l : JSON.stringify(l), "2026-11-25T00:00:00.000Z"));
  events.push(...p.end());
  return { events, facts: p.facts() };
}

function readFixture(dir: string, file: string): string[] {
  return readFileSync(join(FIXTURES, dir, file), "utf8").split("\n");
}

/** What awl counts as the session's tokens: the agent's total where it gives one, else the per-request sum. */
function sessionTokens(events: Captured[], facts: SessionFacts): Usage | undefined {
  if (facts.total_usage) return facts.total_usage;
  let sum: Usage | undefined;
  for (const e of events) sum = addUsage(sum, usageOf(e));
  return sum;
}

function usageOf(e: Captured): Usage | undefined {
  return (e.data as { usage?: Usage }).usage;
}

type Of<T extends Captured["event_type"]> = Extract<Captured, { event_type: T }>;

function of<T extends Captured["event_type"]>(events: Captured[], type: T): Of<T>[] {
  return events.filter((e): e is Of<T> => e.event_type === type);
}

// --- the real fixtures ------------------------------------------------------------------------

interface Expected {
  dir: string;
  run: string;
  sessionId: string;
  toolCalls: number;
  failed: number;
  /** error events: [error_source, http_status, presence][] in order. */
  errors: [string, number | undefined, string | undefined][];
  /** input / output tokens (every cache count is 0: the mock reports none). */
  tokens: [number, number];
  cost: number | undefined;
  status: string | undefined;
  /** Distinct message.id values (= per-request usage carriers in the session file). */
  requests: number;
}

const RETRY_529: [string, number, string][] = Array.from({ length: 10 }, () => ["api", 529, "stream_only"]);

/*
 * Where the numbers come from (read off the fixtures, not from this adapter):
 * - stdout: the last line, `result` — `usage.input_tokens`/`output_tokens`, `total_cost_usd`,
 *   `is_error`/`api_error_status`; tool calls = `tool_use` blocks, failures = `is_error:true`
 *   tool results, retries = `system/api_retry` lines (`error_status`).
 * - session: `jq -s '[.[]|select(.type=="assistant" and .message.model!="<synthetic>")]
 *   |group_by(.message.id)|map(last.message.usage)|{i:(map(.input_tokens)|add),o:(map(.output_tokens)|add)}'`
 *   — one usage per message.id; the sums equal stdout `result.usage` in all four runs.
 * success: 5 calls (Bash, Read, Edit, Write, Bash), 0 failed, 6 requests, 21660 in / 318 out, $0.11624999999999999.
 * error_loop: 5 `git push` calls, all failed (exit 128), 6 requests, 21857 / 304, $0.116885; the
 *   result says `is_error:false` (the agent gave up politely): status success.
 * api_error: 1 call, 10 × api_retry 529, then a `<synthetic>` "API Error: 529 Overloaded" message
 *   (session: `isApiErrorMessage`, `apiErrorStatus:529`), result `is_error:true`,
 *   `api_error_status:529`; usage covers the one good request: 3273 / 41, $0.01739.
 * claude_partial/success: 5 calls, 6 requests, 21724 / 324, $0.11672000000000002; on stdout the six
 *   `message_start` input counts add up to 21724 and the six `message_delta` output counts to 324.
 */
const RUNS: Expected[] = [
  {
    dir: "claude",
    run: "success",
    sessionId: "3f8684ab-4ea1-4b1c-a9e1-3ee67c3504d6",
    toolCalls: 5,
    failed: 0,
    errors: [],
    tokens: [21660, 318],
    cost: 0.11624999999999999,
    status: "success",
    requests: 6,
  },
  {
    dir: "claude",
    run: "error_loop",
    sessionId: "96110a74-1591-4c2c-aa62-0f59d223c1f0",
    toolCalls: 5,
    failed: 5,
    errors: Array.from({ length: 5 }, () => ["tool", undefined, undefined]),
    tokens: [21857, 304],
    cost: 0.116885,
    status: "success",
    requests: 6,
  },
  {
    dir: "claude",
    run: "api_error",
    sessionId: "c7725129-9770-497a-9f3e-5df7fbe1f28f",
    toolCalls: 1,
    failed: 0,
    errors: [...RETRY_529, ["api", 529, undefined]],
    tokens: [3273, 41],
    cost: 0.01739,
    status: "failed",
    requests: 1,
  },
  {
    dir: "claude_partial",
    run: "success",
    sessionId: "947312e9-72f7-40b2-bf9a-be292eb8efe3",
    toolCalls: 5,
    failed: 0,
    errors: [],
    tokens: [21724, 324],
    cost: 0.11672000000000002,
    status: "success",
    requests: 6,
  },
];

const CASES = RUNS.flatMap((r) => (["stream", "session"] as const).map((format) => ({ ...r, format, name: `${r.dir}/${r.run} ${format}` })));

describe.each(CASES)("$name", (c) => {
  const lines = readFixture(c.dir, `${c.run}.${c.format === "stream" ? "stdout" : "session"}.jsonl`);
  const { events, facts } = parseLines(c.format, lines);
  const stream = c.format === "stream";

  it("is detected from its first line", () => {
    expect(claudeAdapter.detect(lines[0]!)).toBe(c.format);
  });

  it("counts tool calls, results and failures", () => {
    expect(of(events, "tool_call")).toHaveLength(c.toolCalls);
    expect(of(events, "tool_result")).toHaveLength(c.toolCalls);
    expect(of(events, "tool_result").filter((e) => e.data.result === "error")).toHaveLength(c.failed);
  });

  it("pairs every tool_result with its tool_call and names the tool", () => {
    const calls = new Map(of(events, "tool_call").map((e) => [e.data.tool_call_id, e.data.tool_name]));
    for (const r of of(events, "tool_result")) {
      expect(r.data.tool_call_id).toBeDefined();
      expect(calls.has(r.data.tool_call_id)).toBe(true);
      expect(r.data.tool_name).toBe(calls.get(r.data.tool_call_id));
    }
  });

  it("reports the errors with their source and status", () => {
    // The file holds no api_retry lines: those are stdout only.
    const want = stream ? c.errors : c.errors.filter((e) => e[2] !== "stream_only");
    const got = of(events, "error").map((e) => [e.data.error_source, e.data.http_status, e.presence]);
    expect(got).toEqual(want);
    for (const e of of(events, "error")) expect(e.data.error_message.trim()).not.toBe("");
  });

  it("gives a failed tool its exit code, and its error the tool's own text", () => {
    for (const r of of(events, "tool_result").filter((e) => e.data.result === "error")) {
      expect(r.data.exit_code).toBe(128);
      const twin = of(events, "error").find((e) => e.data.tool_call_id === r.data.tool_call_id);
      expect(twin?.data).toMatchObject({ error_source: "tool", tool_name: "Bash" });
      expect(twin?.data.error_message).toMatch(/^Exit code 128\nfatal: 'origin' does not appear to be a git repository/);
      expect(twin?.key).toBe(`${r.key}:err`);
    }
  });

  it("adds up to the agent's own token totals", () => {
    const [input, output] = c.tokens;
    const u = sessionTokens(events, facts);
    expect([u?.input, u?.output, u?.cache_read, u?.cache_creation, u?.reasoning ?? 0, u?.total_tokens]).toEqual([input, output, 0, 0, 0, input + output]);
  });

  it("puts usage once per model request, never a stdout placeholder", () => {
    const carriers = events.filter((e) => usageOf(e) !== undefined);
    if (stream && c.dir === "claude") {
      // Without --include-partial-messages stdout has only placeholder output counts.
      expect(carriers).toHaveLength(0);
      return;
    }
    expect(carriers).toHaveLength(c.requests);
    let sum: Usage | undefined;
    for (const e of carriers) sum = addUsage(sum, usageOf(e));
    expect(sum?.total_tokens).toBe(c.tokens[0] + c.tokens[1]);
  });

  it("reports the session facts", () => {
    expect(facts.session_id).toBe(c.sessionId);
    expect(facts.model).toBe("claude-opus-4-8");
    expect(facts.agent_version).toBe("2.1.197");
    expect(facts.cwd).toBe(`/home/dev/realclients/runs/${c.dir}/${c.run}/work`);
    expect(facts.skipped_lines).toBe(0);
    expect(facts.cost_usd).toBe(stream ? c.cost : undefined);
    // A session file has no end record: only a final API error says how it ended.
    expect(facts.status).toBe(stream || c.status === "failed" ? c.status : undefined);
    if (c.status === "failed") expect(facts.error).toMatch(/^API Error: 529 Overloaded/);
    // stdout does not echo the prompt; the transcript starts with it.
    if (stream) expect(facts.prompt).toBeUndefined();
    else expect(facts.prompt).toMatch(/^(List the files|Push the current branch)/);
    expect(facts.started_at).toMatch(/^2026-11-24T/);
    expect(facts.ended_at! >= facts.started_at!).toBe(true);
  });

  it("keeps every event valid, keyed uniquely, with the model where the record names one", () => {
    const keys = events.map((e) => e.key);
    expect(keys.every((k) => typeof k === "string")).toBe(true);
    expect(new Set(keys).size).toBe(keys.length);
    for (const e of events) {
      expect(DATA_SCHEMAS[e.event_type].safeParse(e.data).success).toBe(true);
      if (e.event_type === "tool_call" || e.event_type === "agent_output") expect(e.model).toBe("claude-opus-4-8");
      if (!stream) expect(e.timestamp).toMatch(/^2026-11-24T/);
    }
  });

  it("times tool calls in the session file, where both records have a time", () => {
    const durations = of(events, "tool_result").map((e) => e.data.duration_ms);
    if (stream) expect(durations.every((d) => d === undefined)).toBe(true);
    else for (const d of durations) expect(d).toBeGreaterThanOrEqual(0);
  });
});

describe.each(RUNS)("$dir/$run: stdout and the session file", (r) => {
  const fromStream = parseLines("stream", readFixture(r.dir, `${r.run}.stdout.jsonl`)).events;
  const fromFile = parseLines("session", readFixture(r.dir, `${r.run}.session.jsonl`)).events;

  it("give the same records the same keys and event types", () => {
    const shared = (evs: Captured[]) => evs.filter((e) => e.presence !== "stream_only").map((e) => `${e.key} ${e.event_type}`);
    expect(shared(fromStream)).toEqual(shared(fromFile));
  });

  it("mark what only stdout has as stream_only", () => {
    const fileKeys = new Set(fromFile.map((e) => e.key));
    for (const e of fromStream) expect(fileKeys.has(e.key)).toBe(e.presence !== "stream_only");
  });
});

// --- detection ---------------------------------------------------------------------------------

describe("detect", () => {
  it.each([
    ["stream-json init", '{"type":"system","subtype":"init","cwd":"/w","session_id":"s1","model":"claude-opus-4-8[1m]","claude_code_version":"2.1.197"}', "stream"],
    ["stdout picked up mid-run", '{"type":"assistant","message":{"id":"m","content":[]},"session_id":"s1","uuid":"u"}', "stream"],
    ["a stdout hook record before init", '{"type":"system","subtype":"hook_started","session_id":"s1","uuid":"u"}', "stream"],
    ["transcript queue-operation", '{"type":"queue-operation","operation":"enqueue","timestamp":"2026-11-24T21:03:19.180Z","sessionId":"s1","content":"hi"}', "session"],
    ["transcript user with parentUuid", '{"parentUuid":null,"isSidechain":false,"type":"user","message":{"role":"user","content":"hi"},"sessionId":"s1","uuid":"u"}', "session"],
    ["1.0.x summary first", '{"type":"summary","summary":"AI Music","leafUuid":"d482"}', "session"],
    ["2.x file-history-snapshot first", '{"type":"file-history-snapshot","messageId":"m","snapshot":{"trackedFileBackups":{}},"isSnapshotUpdate":false}', "session"],
    ["a user record without chain fields", '{"type":"user","message":{"role":"user","content":"hi"},"sessionId":"s1","uuid":"u"}', "session"],
    ["last-prompt", '{"type":"last-prompt","lastPrompt":"hi","leafUuid":"u","sessionId":"s1"}', "session"],
    ["Gemini stream init", '{"type":"init","timestamp":"2026-11-24T21:08:24.657Z","session_id":"s","model":"auto"}', undefined],
    ["Gemini session header", '{"sessionId":"s","projectHash":"h","startTime":"2026-04-23T12:52:52.759Z","kind":"main"}', undefined],
    ["Gemini session user record", '{"id":"i","timestamp":"2026-04-23T12:53:05.283Z","type":"user","content":[{"text":"hi"}]}', undefined],
    ["Gemini result", '{"type":"result","timestamp":"2026-11-24T21:07:49.326Z","status":"error","stats":{}}', undefined],
    ["Codex exec", '{"type":"thread.started","thread_id":"t"}', undefined],
    ["Codex rollout", '{"timestamp":"2026-11-24T21:04:14.194Z","ordinal":0,"type":"session_meta","payload":{"originator":"codex_exec"}}', undefined],
    ["plain text", "Compiling…", undefined],
    ["an empty line", "", undefined],
    ["a JSON array", "[1,2]", undefined],
    ["torn JSON", '{"type":"system","subtype":"in', undefined],
  ])("%s → %s", (_label, line, want) => {
    expect(claudeAdapter.detect(line)).toBe(want);
  });
});

// --- record types, one by one ------------------------------------------------------------------

const SID = "5e55e55e-0000-4000-8000-000000000001";
const T0 = "2026-11-24T21:00:00.000Z";

function usage(input: number, output: number, cacheRead = 0, cacheCreation = 0) {
  return { input_tokens: input, output_tokens: output, cache_read_input_tokens: cacheRead, cache_creation_input_tokens: cacheCreation };
}

/** A transcript assistant record with one content block. */
function asst(uuid: string, msgId: string, block: object, extra: object = {}, u = usage(10, 5)) {
  return {
    parentUuid: null,
    isSidechain: false,
    type: "assistant",
    uuid,
    timestamp: T0,
    sessionId: SID,
    version: "2.1.7",
    message: { id: msgId, model: "claude-sonnet-4-5-20250929", role: "assistant", content: [block], usage: u },
    ...extra,
  };
}

function toolResult(uuid: string, toolUseId: string, content: unknown, isError?: boolean, timestamp = T0, extra: object = {}) {
  const block = { type: "tool_result", tool_use_id: toolUseId, content, ...(isError === undefined ? {} : { is_error: isError }) };
  return { parentUuid: null, isSidechain: false, type: "user", uuid, timestamp, sessionId: SID, message: { role: "user", content: [block] }, ...extra };
}

function prompt(uuid: string, text: string, extra: object = {}) {
  return { parentUuid: null, isSidechain: false, type: "user", uuid, timestamp: T0, sessionId: SID, cwd: "/w", message: { role: "user", content: text }, ...extra };
}

describe("assistant content blocks", () => {
  it.each([
    ["text", { type: "text", text: "hello" }, "agent_output", { output: "hello" }],
    ["thinking", { type: "thinking", thinking: "hmm", signature: "s" }, "agent_thinking", { thinking: "hmm" }],
    ["redacted thinking", { type: "redacted_thinking", data: "xx" }, "agent_thinking", { thinking: "", redacted: true }],
    ["tool_use", { type: "tool_use", id: "toolu_1", name: "Bash", input: { command: "ls" } }, "tool_call", { tool_name: "Bash", tool_params: { command: "ls" }, tool_call_id: "toolu_1" }],
    ["server_tool_use", { type: "server_tool_use", id: "srvtoolu_1", name: "web_search", input: { query: "q" } }, "tool_call", { tool_name: "web_search", tool_type: "server_tool_use" }],
    ["an unknown block", { type: "container_upload", file_id: "f" }, "agent_output", { output: "", record_type: "block/container_upload" }],
  ])("%s", (_label, block, type, data) => {
    const { events } = parseLines("session", [asst("a1", "msg_1", block)]);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ event_type: type, data, key: "a1:0", model: "claude-sonnet-4-5-20250929", timestamp: T0 });
    expect(usageOf(events[0]!)).toEqual({ input: 10, output: 5, cache_read: 0, cache_creation: 0, total_tokens: 15 });
  });

  it("a server tool's result inside the assistant message is a tool_result", () => {
    const { events } = parseLines("session", [
      asst("a1", "msg_1", { type: "server_tool_use", id: "srv_1", name: "web_search", input: {} }),
      asst("a2", "msg_1", { type: "web_search_tool_result", tool_use_id: "srv_1", content: { type: "web_search_tool_result_error", error_code: "max_uses_exceeded" } }),
    ]);
    expect(events.map((e) => e.event_type)).toEqual(["tool_call", "tool_result", "error"]);
    expect(events[1]?.data).toMatchObject({ tool_call_id: "srv_1", tool_name: "web_search", result: "error" });
  });
});

describe("tool results", () => {
  const call = asst("a1", "msg_1", { type: "tool_use", id: "toolu_1", name: "Bash", input: { command: "npm test" } });
  const later = "2026-11-24T21:00:02.500Z";

  it("a success: timed from the call, no error", () => {
    const { events } = parseLines("session", [call, toolResult("u1", "toolu_1", "ok", false, later)]);
    expect(events[1]).toMatchObject({
      event_type: "tool_result",
      key: "u1:0",
      data: { tool_call_id: "toolu_1", tool_name: "Bash", result: "success", result_data: "ok", duration_ms: 2500 },
    });
    expect(of(events, "error")).toHaveLength(0);
  });

  it("a failure: exit code, and an error twin with the tool's text", () => {
    const { events } = parseLines("session", [call, toolResult("u1", "toolu_1", "Exit code 1\nFAIL src/a.test.ts", true, later)]);
    expect(events.slice(1)).toMatchObject([
      { event_type: "tool_result", key: "u1:0", data: { result: "error", exit_code: 1, duration_ms: 2500 } },
      { event_type: "error", key: "u1:0:err", timestamp: later, data: { error_source: "tool", tool_call_id: "toolu_1", tool_name: "Bash", error_message: "Exit code 1\nFAIL src/a.test.ts" } },
    ]);
  });

  it.each([
    ["Claude's own refusal, unwrapped", "<tool_use_error>File does not exist.</tool_use_error>", "File does not exist."],
    ["an empty failure", "", "Bash failed without a message"],
    ["content blocks", [{ type: "text", text: "boom" }, { type: "image", source: {} }], "boom\n[image]"],
  ])("error text: %s", (_label, content, message) => {
    const { events } = parseLines("session", [call, toolResult("u1", "toolu_1", content, true)]);
    const err = of(events, "error")[0];
    expect(err?.data.error_message).toBe(message);
  });

  it("a huge failure keeps its head and tail", () => {
    const text = `Exit code 1\n${"x".repeat(20_000)}\nthe last line`;
    const { events } = parseLines("session", [call, toolResult("u1", "toolu_1", text, true)]);
    const msg = of(events, "error")[0]?.data.error_message ?? "";
    expect(msg.length).toBeLessThan(9000);
    expect(msg.startsWith("Exit code 1\n")).toBe(true);
    expect(msg.endsWith("the last line")).toBe(true);
    expect(of(events, "tool_result")[0]?.data.result_data).toBe(text);
  });

  it("a result with no call: still recorded, tool unknown", () => {
    const { events } = parseLines("session", [toolResult("u1", "toolu_gone", "x", false)]);
    expect(events).toMatchObject([{ event_type: "tool_result", data: { tool_call_id: "toolu_gone", result: "success" } }]);
    expect(events[0]?.data).not.toHaveProperty("tool_name");
  });

  it("missing is_error (Read, Edit, Write) is a success", () => {
    const { events } = parseLines("session", [call, toolResult("u1", "toolu_1", "1\tdef add(a, b):")]);
    expect(events[1]?.data).toMatchObject({ result: "success" });
  });
});

describe("API errors", () => {
  const synthetic = (extra: object) => ({
    parentUuid: "p",
    isSidechain: false,
    type: "assistant",
    uuid: "e1",
    timestamp: T0,
    sessionId: SID,
    message: { id: "f00d", model: "<synthetic>", role: "assistant", content: [{ type: "text", text: "Invalid API key · Fix external API key" }], usage: usage(0, 0) },
    ...extra,
  });

  it("the transcript's isApiErrorMessage record: an api error with its status, and a failed session", () => {
    const { events, facts } = parseLines("session", [prompt("p", "go"), synthetic({ error: "authentication_failed", isApiErrorMessage: true, apiErrorStatus: 401 })]);
    expect(events).toEqual([
      {
        event_type: "error",
        key: "e1:0",
        timestamp: T0,
        data: { error_message: "Invalid API key · Fix external API key", error_source: "api", http_status: 401, error_type: "authentication_failed" },
      },
    ]);
    expect(facts).toMatchObject({ status: "failed", error: "Invalid API key · Fix external API key" });
    expect(facts.model).toBeUndefined();
  });

  it("the session recovers when the model answers after the error", () => {
    const { facts } = parseLines("session", [synthetic({ isApiErrorMessage: true }), asst("a2", "msg_2", { type: "text", text: "back" })]);
    expect(facts.status).toBeUndefined();
  });

  it("stdout's synthetic message (error, no isApiErrorMessage): status parsed from the text", () => {
    const line = {
      type: "assistant",
      message: { id: "f00d", model: "<synthetic>", role: "assistant", content: [{ type: "text", text: "API Error: 500 Internal server error" }], usage: usage(0, 0) },
      session_id: SID,
      uuid: "e1",
      error: "server_error",
    };
    const { events } = parseLines("stream", [line]);
    expect(events).toMatchObject([{ event_type: "error", data: { error_source: "api", http_status: 500, error_type: "server_error" } }]);
  });

  it.each([
    [529, "overloaded", "API Error: 529 overloaded (retry 1/10)"],
    [401, "authentication_failed", "API Error: 401 authentication_failed (retry 1/10)"],
    [null, "Connection error.", "API Error: Connection error. (retry 1/10)"],
  ])("system/api_retry %s → a stream_only api error", (status, error, message) => {
    const line = { type: "system", subtype: "api_retry", attempt: 1, max_retries: 10, retry_delay_ms: 550.33, error_status: status, error, session_id: SID, uuid: "r1" };
    const { events } = parseLines("stream", [line]);
    expect(events).toEqual([
      {
        event_type: "error",
        key: "r1",
        presence: "stream_only",
        data: { error_message: message, error_source: "api", ...(status === null ? {} : { http_status: status }), retry_attempt: 1, max_retries: 10, retry_delay_ms: 550 },
      },
    ]);
  });

  it("a 2.x transcript's system/api_error retry record", () => {
    const line = {
      parentUuid: "p",
      isSidechain: false,
      type: "system",
      subtype: "api_error",
      level: "error",
      error: { status: 529, error: { type: "error", error: { type: "overloaded_error", message: "Overloaded" } } },
      retryInMs: 1000,
      retryAttempt: 2,
      maxRetries: 10,
      uuid: "s1",
      timestamp: T0,
      sessionId: SID,
    };
    const { events } = parseLines("session", [line]);
    expect(events).toMatchObject([{ event_type: "error", key: "s1", data: { error_message: "API Error: 529 overloaded_error (retry 2/10)", http_status: 529 } }]);
  });
});

describe("result", () => {
  const result = (extra: object) => ({
    type: "result",
    subtype: "success",
    is_error: false,
    api_error_status: null,
    result: "done",
    session_id: SID,
    total_cost_usd: 0.5,
    usage: { ...usage(100, 20, 300, 40), server_tool_use: { web_search_requests: 0 } },
    uuid: "res",
    ...extra,
  });

  it("a success: totals, cost, no event", () => {
    const { events, facts } = parseLines("stream", [result({})]);
    expect(events).toEqual([]);
    expect(facts).toMatchObject({ status: "success", cost_usd: 0.5, total_usage: { input: 100, output: 20, cache_read: 300, cache_creation: 40, total_tokens: 460 } });
    expect(facts.error).toBeUndefined();
  });

  it.each([
    ["is_error under subtype success", { is_error: true, result: "API Error: 529 Overloaded." }, "API Error: 529 Overloaded."],
    ["api_error_status with is_error false", { api_error_status: 529, result: "API Error: 529 Overloaded." }, "API Error: 529 Overloaded."],
    ["error_max_turns", { subtype: "error_max_turns", is_error: true, result: undefined }, "Claude Code ended with error_max_turns"],
    ["error_during_execution", { subtype: "error_during_execution", is_error: true, result: undefined, errors: ["boom"] }, "boom"],
  ])("a failure (%s) is failed, with one stream_only error", (_label, extra, message) => {
    const { events, facts } = parseLines("stream", [result(extra)]);
    expect(facts).toMatchObject({ status: "failed", error: message });
    expect(events).toMatchObject([{ event_type: "error", key: "res", presence: "stream_only", data: { error_message: message } }]);
  });

  it("a failure an API error message already reported adds no second error", () => {
    const synthetic = {
      type: "assistant",
      message: { id: "f", model: "<synthetic>", content: [{ type: "text", text: "API Error: 529 Overloaded." }], usage: usage(0, 0) },
      session_id: SID,
      uuid: "e1",
      error: "server_error",
    };
    const { events } = parseLines("stream", [synthetic, result({ is_error: true, api_error_status: 529, result: "API Error: 529 Overloaded." })]);
    expect(of(events, "error")).toHaveLength(1);
  });
});

describe("usage", () => {
  it("a response written in growing lines: its final usage, once, on its first event", () => {
    const { events } = parseLines("session", [
      prompt("p", "go"),
      asst("a1", "msg_1", { type: "text", text: "t" }, {}, usage(3, 1, 100, 10)),
      asst("a2", "msg_1", { type: "tool_use", id: "t1", name: "Read", input: {} }, {}, usage(3, 250, 100, 10)),
      toolResult("u1", "t1", "x"),
      asst("a3", "msg_2", { type: "text", text: "done" }, {}, usage(4, 7)),
    ]);
    expect(events.map((e) => e.key)).toEqual(["a1:0", "a2:0", "u1:0", "a3:0"]);
    expect(events.map((e) => usageOf(e)?.total_tokens)).toEqual([363, undefined, undefined, 11]);
  });

  it("interleaved chains: a late line that grows a response carries the growth", () => {
    const side = { isSidechain: true, agentId: "ag" };
    const { events } = parseLines("session", [
      asst("a1", "msg_1", { type: "text", text: "main" }, {}, usage(5, 1)),
      asst("s1", "msg_s", { type: "text", text: "side" }, side, usage(7, 2)),
      asst("a2", "msg_2", { type: "text", text: "main 2" }, {}, usage(5, 3)),
      asst("a3", "msg_1", { type: "text", text: "late" }, {}, usage(5, 9)),
    ]);
    const total = events.reduce<Usage | undefined>((s, e) => addUsage(s, usageOf(e)), undefined);
    // msg_1 counts once at its largest (5+9), msg_s 9, msg_2 8.
    expect(total?.total_tokens).toBe(14 + 9 + 8);
    expect(usageOf(events.find((e) => e.key === "a3:0")!)).toMatchObject({ output: 8, input: 0 });
    expect(events.find((e) => e.key === "s1:0")?.data).toMatchObject({ subagent: true, agent_id: "ag" });
  });

  it("stdout without partial messages: no per-event usage (placeholders)", () => {
    const line = { type: "assistant", message: { id: "m", model: "claude-opus-4-8", content: [{ type: "text", text: "t" }], usage: usage(3287, 1) }, session_id: SID, uuid: "a1" };
    const { events } = parseLines("stream", [line]);
    expect(usageOf(events[0]!)).toBeUndefined();
  });

  it("stdout with partial messages: message_start + message_delta, held until the delta", () => {
    const p = claudeAdapter.parser("stream");
    const ev = (event: object) => JSON.stringify({ type: "stream_event", event, session_id: SID, parent_tool_use_id: null, uuid: `se${Math.random()}` });
    expect(p.line(ev({ type: "message_start", message: { id: "m1", model: "claude-opus-4-8", content: [], usage: usage(3293, 1, 50, 5) } }))).toEqual([]);
    expect(p.line(ev({ type: "content_block_delta", index: 0, delta: { type: "text_delta", text: "I'll" } }))).toEqual([]);
    const line = { type: "assistant", message: { id: "m1", model: "claude-opus-4-8", content: [{ type: "text", text: "I'll start." }], usage: usage(3293, 1) }, session_id: SID, uuid: "a1" };
    expect(p.line(JSON.stringify(line))).toEqual([]);
    expect(p.line(ev({ type: "content_block_stop", index: 0 }))).toEqual([]);
    const out = p.line(ev({ type: "message_delta", delta: { stop_reason: "end_turn" }, usage: { output_tokens: 47 } }));
    expect(out).toMatchObject([{ event_type: "agent_output", key: "a1:0", data: { output: "I'll start.", usage: { input: 3293, output: 47, cache_read: 50, cache_creation: 5, total_tokens: 3395 } } }]);
    expect(p.line(ev({ type: "message_stop" }))).toEqual([]);
    expect(p.facts().unknown_records).toEqual({ stream_event: 5 });
  });
});

describe("user records", () => {
  it("the first prompt is the session's; later ones are agent_output; meta injections are counted", () => {
    const { events, facts } = parseLines("session", [
      prompt("p0", "<command-name>/clear</command-name>"),
      prompt("p1", "fix the bug"),
      prompt("m1", "Caveat: The messages below were generated by the user", { isMeta: true }),
      prompt("p2", "now add a test"),
    ]);
    expect(facts.prompt).toBe("fix the bug");
    expect(events.map((e) => [e.key, e.data])).toEqual([
      ["p0:0", { output: "<command-name>/clear</command-name>", record_type: "user" }],
      ["p2:0", { output: "now add a test", record_type: "user" }],
    ]);
    expect(facts.unknown_records).toEqual({ "user/meta": 1 });
  });

  it("a compaction summary is agent_output, not a prompt", () => {
    const { events, facts } = parseLines("session", [prompt("c1", "This session is being continued…", { isCompactSummary: true })]);
    expect(events).toMatchObject([{ data: { record_type: "compact_summary" } }]);
    expect(facts.prompt).toBeUndefined();
  });

  it("the queue-operation prompt stands in when no user record has one", () => {
    const { events, facts } = parseLines("session", [{ type: "queue-operation", operation: "enqueue", timestamp: T0, sessionId: SID, content: "queued" }]);
    expect(events).toEqual([]);
    expect(facts).toMatchObject({ prompt: "queued", session_id: SID, started_at: T0, unknown_records: { "queue-operation": 1 } });
  });
});

describe("system, summaries, progress and the rest", () => {
  const sys = (subtype: string, extra: object = {}) => ({ parentUuid: "p", isSidechain: false, type: "system", subtype, uuid: `sys-${subtype}`, timestamp: T0, sessionId: SID, ...extra });

  it.each([
    ["compact_boundary", sys("compact_boundary", { content: "Conversation compacted", compactMetadata: { trigger: "auto", preTokens: 155000 } }), { event_type: "agent_output", data: { output: "Conversation compacted", record_type: "system/compact_boundary", raw: { trigger: "auto", preTokens: 155000 } } }],
    ["local_command", sys("local_command", { content: "<local-command-stdout>ok</local-command-stdout>", level: "info" }), { event_type: "agent_output", data: { record_type: "system/local_command" } }],
    ["an error-level notice", sys("informational", { content: "Hook failed", level: "error" }), { event_type: "error", data: { error_message: "Hook failed", error_source: "agent" } }],
    ["hook errors", sys("stop_hook_summary", { hookErrors: ["exit 2: lint failed"] }), { event_type: "error", key: "sys-stop_hook_summary:0", data: { error_message: "exit 2: lint failed", error_source: "agent", hook: true } }],
    ["summary", { type: "summary", summary: "Fixing the tests", leafUuid: "leaf" }, { event_type: "agent_output", key: "summary:leaf", data: { output: "Fixing the tests", record_type: "summary" } }],
    ["an unknown record type", { type: "pr-link", url: "https://x/pr/1", sessionId: SID, uuid: "x1" }, { event_type: "agent_output", key: "x1", data: { output: "", record_type: "pr-link", raw: { url: "https://x/pr/1" } } }],
    ["an unknown system subtype", sys("brand_new", { payload: 1 }), { event_type: "agent_output", data: { record_type: "system/brand_new" } }],
  ])("%s", (_label, record, want) => {
    const { events } = parseLines("session", [record]);
    expect(events).toMatchObject([want]);
  });

  it.each([
    ["attachment", { parentUuid: "p", isSidechain: false, attachment: { type: "skill_listing" }, type: "attachment", uuid: "at", sessionId: SID }, "attachment"],
    ["file-history-snapshot", { type: "file-history-snapshot", messageId: "m", snapshot: {}, isSnapshotUpdate: false }, "file-history-snapshot"],
    ["last-prompt", { type: "last-prompt", lastPrompt: "hi", leafUuid: "u", sessionId: SID }, "last-prompt"],
    ["system/turn_duration", sys("turn_duration", { durationMs: 5 }), "system/turn_duration"],
    ["system/status", { type: "system", subtype: "status", status: "requesting", uuid: "st", session_id: SID }, "system/status"],
    ["progress/hook_progress", { type: "progress", data: { type: "hook_progress", hookEvent: "PostToolUse" }, uuid: "hp", sessionId: SID }, "progress/hook_progress"],
  ])("%s is counted, not emitted", (_label, record, kind) => {
    const { events, facts } = parseLines("session", [record]);
    expect(events).toEqual([]);
    expect(facts.unknown_records).toEqual({ [kind]: 1 });
  });

  it("a sub-agent's messages inside progress records are its tool calls, keyed by their own uuids", () => {
    const wrap = (uuid: string, message: object) => ({
      parentUuid: "p",
      isSidechain: false,
      type: "progress",
      data: { message, type: "agent_progress", agentId: "afb92ff", prompt: "draft", normalizedMessages: [] },
      parentToolUseID: "toolu_task",
      uuid,
      timestamp: T0,
      sessionId: SID,
    });
    const { events, facts } = parseLines("session", [
      wrap("o1", { type: "assistant", uuid: "n1", timestamp: T0, message: { id: "msg_sub", model: "claude-haiku-4-5-20251001", content: [{ type: "tool_use", id: "toolu_sub", name: "Read", input: { file_path: "/d" } }], usage: usage(2, 3) } }),
      wrap("o2", { type: "user", uuid: "n2", timestamp: T0, message: { role: "user", content: [{ type: "tool_result", tool_use_id: "toolu_sub", content: "EISDIR: illegal operation on a directory, read", is_error: true }] } }),
      // The same nested message again in a later progress record.
      wrap("o3", { type: "user", uuid: "n2", timestamp: T0, message: { role: "user", content: [] } }),
    ]);
    const sub = { subagent: true, agent_id: "afb92ff", parent_tool_call_id: "toolu_task" };
    expect(events).toMatchObject([
      { event_type: "tool_call", key: "n1:0", model: "claude-haiku-4-5-20251001", data: { tool_name: "Read", ...sub } },
      { event_type: "tool_result", key: "n2:0", data: { result: "error", tool_name: "Read", ...sub } },
      { event_type: "error", key: "n2:0:err", data: { error_source: "tool", ...sub } },
    ]);
    expect(usageOf(events[0]!)).toBeUndefined();
    expect(facts.model).toBe("claude-haiku-4-5-20251001");
    expect(facts.unknown_records).toEqual({ duplicate_record: 1 });
  });

  it("stdout's sub-agent lines (parent_tool_use_id) are marked", () => {
    const line = { type: "assistant", message: { id: "m", model: "claude-haiku-4-5", content: [{ type: "tool_use", id: "t", name: "Grep", input: {} }] }, parent_tool_use_id: "toolu_task", session_id: SID, uuid: "a1" };
    const { events } = parseLines("stream", [line]);
    expect(events[0]?.data).toMatchObject({ subagent: true, parent_tool_call_id: "toolu_task" });
  });

  it("the model doing the work is the main chain's, not a warm-up sub-agent's", () => {
    const warm = { isSidechain: true, message: { id: "w", model: "claude-haiku-4-5", content: [{ type: "text", text: "ok" }], usage: usage(1, 1) } };
    const { facts } = parseLines("session", [
      { ...asst("w1", "w", { type: "text", text: "ok" }), ...warm },
      asst("a1", "m1", { type: "text", text: "hi" }),
      { type: "system", subtype: "init", session_id: SID, model: "claude-opus-4-8[1m]", uuid: "i" },
    ]);
    expect(facts.model).toBe("claude-sonnet-4-5-20250929");
    expect(parseLines("stream", [{ type: "system", subtype: "init", session_id: SID, model: "claude-opus-4-8[1m]", uuid: "i" }]).facts.model).toBe("claude-opus-4-8");
  });

  it("a resumed session's repeated record is counted once; facts keep the first session id", () => {
    const r = toolResult("dup", "t1", "ok");
    const { events, facts } = parseLines("session", [prompt("p", "go"), r, { ...r, sessionId: "second-session" }, asst("a1", "m", { type: "text", text: "more" }, { sessionId: "second-session" })]);
    expect(events.map((e) => e.key)).toEqual(["dup:0", "a1:0"]);
    expect(facts.session_id).toBe(SID);
    expect(facts.unknown_records).toEqual({ duplicate_record: 1 });
  });
});

describe("garbage never throws", () => {
  it.each([
    ["a non-JSON line", "Error: something printed to stdout", 1, {}],
    ["torn JSON", '{"type":"assistant","message":{"id":"m', 1, {}],
    ["a JSON array", "[1,2,3]", 1, {}],
    ["a JSON string", '"hello"', 1, {}],
    ["JSON null", "null", 1, {}],
    ["an object without a type", '{"foo":1}', 1, {}],
    ["a type that is not a string", '{"type":7}', 1, {}],
    ["an empty line", "", 0, {}],
    ["a blank line", "   \r", 0, {}],
    ["a JSON line of unknown type", '{"type":"mystery","n":1}', 0, { mystery: 1 }],
  ])("%s", (_label, line, skipped, unknown) => {
    for (const format of ["stream", "session"] as const) {
      const { events, facts } = parseLines(format, [line]);
      expect(facts.skipped_lines).toBe(skipped);
      expect(facts.unknown_records).toEqual(unknown);
      expect(events.length).toBe(Object.keys(unknown).length);
    }
  });

  it.each([
    ["assistant without message", { type: "assistant", uuid: "a" }],
    ["assistant with a string message", { type: "assistant", message: "hi", uuid: "a" }],
    ["assistant with null content", { type: "assistant", message: { id: "m", content: null }, uuid: "a" }],
    ["assistant with junk blocks", { type: "assistant", message: { id: 5, content: [null, 3, "x", { type: 9 }] }, uuid: "a" }],
    ["user with a numeric content", { type: "user", message: { content: 42 }, uuid: "u" }],
    ["tool_result without id", { type: "user", message: { content: [{ type: "tool_result" }] }, uuid: "u" }],
    ["system without subtype", { type: "system" }],
    ["result with strange fields", { type: "result", is_error: "yes", usage: "lots", total_cost_usd: -1 }],
    ["progress without data", { type: "progress" }],
    ["stream_event without event", { type: "stream_event" }],
    ["message_delta with nothing open", { type: "stream_event", event: { type: "message_delta", usage: { output_tokens: 3 } } }],
    ["summary without fields", { type: "summary" }],
  ])("%s", (_label, record) => {
    for (const format of ["stream", "session"] as const) {
      const { events } = parseLines(format, [record]);
      for (const e of events) expect(DATA_SCHEMAS[e.event_type].safeParse(e.data).success).toBe(true);
    }
  });

  it("a timestamp that is not an ISO time is left for the capture time", () => {
    const { events, facts } = parseLines("session", [{ ...prompt("p", "go"), timestamp: "yesterday" }, { ...asst("a1", "m", { type: "text", text: "x" }), timestamp: 1732000000 }]);
    expect(events[0]).not.toHaveProperty("timestamp");
    expect(facts.started_at).toBeUndefined();
  });

  it("any line at all", () => {
    const records = fc.oneof(
      fc.string(),
      fc.json(),
      fc.record({ type: fc.constantFrom("assistant", "user", "system", "result", "progress", "stream_event", "summary"), message: fc.anything(), data: fc.anything(), event: fc.anything(), subtype: fc.anything() }).map((r) => JSON.stringify(r)),
    );
    fc.assert(
      fc.property(fc.constantFrom<SourceFormat>("stream", "session"), fc.array(records, { maxLength: 20 }), (format, lines) => {
        const { events } = parseLines(format, lines);
        for (const e of events) expect(DATA_SCHEMAS[e.event_type].safeParse(e.data).success).toBe(true);
      }),
      { numRuns: 300 },
    );
  });
});
