import { readFileSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { Usage } from "../../schema/index.js";
import { DATA_SCHEMAS } from "../../schema/index.js";
import type { Captured, LineParser, SessionFacts, SourceFormat } from "../adapter.js";
import { codexAdapter } from "./index.js";
import { openAiUsage, unwrapShell } from "./shared.js";

const FIXTURES = join(import.meta.dirname, "..", "..", "..", "test", "fixtures", "real", "codex");

interface Run {
  events: Captured[];
  facts: SessionFacts;
}

function feed(format: SourceFormat, lines: readonly string[], seenAt?: readonly (string | undefined)[]): Run {
  const p: LineParser = codexAdapter.parser(format);
  const events: Captured[] = [];
  lines.forEach((l, i) => {
    events.push(...p.line(l, seenAt?.[i]));
  });
  events.push(...p.end());
  return { events, facts: p.facts() };
}

function fileLines(name: string): string[] {
  return readFileSync(join(FIXTURES, name), "utf8").split("\n").filter((l) => l !== "");
}

function ofType<T extends Captured["event_type"]>(events: Captured[], t: T): Extract<Captured, { event_type: T }>[] {
  return events.filter((e): e is Extract<Captured, { event_type: T }> => e.event_type === t);
}

/** Every event is a valid payload, every key unique, every result answers an earlier call. */
function expectWellFormed(events: Captured[]): void {
  for (const e of events) expect(DATA_SCHEMAS[e.event_type].safeParse(e.data).success, JSON.stringify(e)).toBe(true);
  const keys = events.map((e) => e.key).filter((k) => k !== undefined);
  expect(new Set(keys).size).toBe(keys.length);
  const called = new Set<string>();
  for (const e of events) {
    if (e.event_type === "tool_call") called.add(e.data.tool_call_id ?? "");
    if (e.event_type === "tool_result") expect(called.has(e.data.tool_call_id ?? "?"), `result ${e.data.tool_call_id} without a call`).toBe(true);
  }
}

const usage = (input: number, output: number): Usage => ({ input, cache_read: 0, cache_creation: 0, output, reasoning: 0, total_tokens: input + output });

// Expected values, read from the transcripts by hand:
// - tool calls: stdout `item.started` command_execution/file_change ids; rollout `function_call` + `custom_tool_call` lines.
// - failed: stdout `status:"failed"`/`exit_code:128`; rollout `item_completed` CommandExecution `status:"failed"`.
// - tokens: stdout `turn.completed.usage` (success: 44241 in / 504 out; error_loop: 44620 / 547); the rollouts' six
//   `token_usage_record.usage` sum to the same; api_error has no `turn.completed` (the turn failed), its rollout one
//   `token_usage_record` (6936 / 87). The mock reports no cached or reasoning tokens.
// - errors: api_error stdout has five "Reconnecting... n/5" lines plus the final `error` + `turn.failed` pair (one
//   event); its rollout only `task_complete.error` with `codex_error_info: "internal_server_error"`.
// - model: rollout `turn_context.model`; stdout names none.
const REAL = [
  {
    scenario: "success",
    sessionId: "01a20f5f-9c64-76e0-b0a0-ebc8a96db6da",
    toolCalls: 5,
    failed: 0,
    errors: { tool: 0, api: 0 },
    outputs: 4,
    stream: { usage: usage(44241, 504), status: "success" },
    session: { usage: usage(44241, 504), status: "success" },
    names: { stream: ["shell", "shell", "apply_patch", "apply_patch", "shell"], session: ["exec_command", "exec_command", "apply_patch", "apply_patch", "exec_command"] },
  },
  {
    scenario: "error_loop",
    sessionId: "01a20f5f-9554-7693-95de-86083a4b4de8",
    toolCalls: 5,
    failed: 5,
    errors: { tool: 5, api: 0 },
    outputs: 6,
    stream: { usage: usage(44620, 547), status: "success" },
    session: { usage: usage(44620, 547), status: "success" },
    names: { stream: Array(5).fill("shell"), session: Array(5).fill("exec_command") },
  },
  {
    scenario: "api_error",
    sessionId: "01a20f5e-d99c-7b52-b77b-2dc608d7b6c6",
    toolCalls: 1,
    failed: 0,
    errors: { tool: 0, api: 1 },
    outputs: 1,
    stream: { usage: undefined, status: "failed", retries: 5 },
    session: { usage: usage(6936, 87), status: "failed" },
    names: { stream: ["shell"], session: ["exec_command"] },
  },
] as const;

describe("real Codex CLI 0.169.0 transcripts", () => {
  const cases = REAL.flatMap((r) => (["stream", "session"] as const).map((format) => ({ ...r, format, label: `${r.scenario} ${format}` })));

  it.each(cases)("$label", (c) => {
    const lines = fileLines(`${c.scenario}.${c.format === "stream" ? "stdout" : "session"}.jsonl`);
    expect(codexAdapter.detect(lines[0]!)).toBe(c.format);
    const { events, facts } = feed(c.format, lines);
    expectWellFormed(events);

    const calls = ofType(events, "tool_call");
    const results = ofType(events, "tool_result");
    expect(calls.length).toBe(c.toolCalls);
    expect(results.length).toBe(c.toolCalls);
    expect(calls.map((e) => e.data.tool_name)).toEqual(c.names[c.format]);
    expect(results.filter((e) => e.data.result === "error").length).toBe(c.failed);
    expect(ofType(events, "agent_output").length).toBe(c.outputs);

    const errors = ofType(events, "error");
    const retries = c.format === "stream" && "retries" in c.stream ? c.stream.retries : 0;
    expect(errors.filter((e) => e.data.error_source === "tool").length).toBe(c.errors.tool);
    expect(errors.filter((e) => e.data.error_source === "api").length).toBe(c.errors.api + retries);
    expect(errors.length).toBe(c.errors.tool + c.errors.api + retries);
    // Every failed tool result has its error event, naming the same call.
    for (const r of results.filter((e) => e.data.result === "error")) {
      expect(errors.some((e) => e.data.tool_call_id === r.data.tool_call_id && e.data.error_source === "tool")).toBe(true);
    }

    expect(facts.session_id).toBe(c.sessionId);
    expect(facts.status).toBe(c[c.format].status);
    expect(facts.total_usage).toEqual(c[c.format].usage);
    expect(facts.skipped_lines).toBe(0);
    expect(facts.unknown_records).toEqual({});
    if (c.format === "stream") {
      expect(facts.model).toBeUndefined();
      expect(events.every((e) => e.key?.startsWith(`stream:${c.sessionId}:`))).toBe(true);
    } else {
      expect(facts.model).toBe("gpt-5.5");
      expect(facts.agent_version).toBe("0.169.0");
      expect(facts.cwd).toBe(`/home/dev/realclients/runs/codex/${c.scenario}/work`);
      expect(events.every((e) => e.model === "gpt-5.5" && typeof e.timestamp === "string")).toBe(true);
      // Rollout tool events are keyed by call_id, the id every record of that call shares.
      for (const e of [...calls, ...results]) expect(e.key?.startsWith(e.data.tool_call_id ?? "?")).toBe(true);
    }
  });

  it("the rollout's token sum equals stdout's turn.completed.usage where stdout has one", () => {
    for (const s of ["success", "error_loop"]) {
      const stream = feed("stream", fileLines(`${s}.stdout.jsonl`)).facts.total_usage;
      const session = feed("session", fileLines(`${s}.session.jsonl`)).facts.total_usage;
      expect(session).toEqual(stream);
    }
  });

  it("stdout and rollout agree on the failed commands: exit code 128 and git's message", () => {
    for (const format of ["stream", "session"] as const) {
      const { events } = feed(format, fileLines(`error_loop.${format === "stream" ? "stdout" : "session"}.jsonl`));
      for (const r of ofType(events, "tool_result")) expect(r.data.exit_code).toBe(128);
      for (const e of ofType(events, "error")) expect(e.data.error_message).toMatch(/^fatal: 'origin' does not appear to be a git repository/);
    }
  });

  it("the rollout gives the prompt, the time span and exec durations", () => {
    const { events, facts } = feed("session", fileLines("success.session.jsonl"));
    expect(facts.prompt).toBe("List the files in this repository, add a docstring to add() in calc.py, then create hello.py that uses it, and run it.");
    expect(facts.started_at).toBe("2026-11-24T21:04:13.973Z");
    expect(facts.ended_at).toBe("2026-11-24T21:04:15.173Z");
    // CommandExecution.duration {secs:0, nanos:~6000} rounds to 0 ms; FileChange completed_at_ms - started_at_ms = 1 and 0.
    expect(ofType(events, "tool_result").map((e) => e.data.duration_ms)).toEqual([0, 0, 1, 0, 0]);
    expect(ofType(events, "tool_call")[0]!.data.tool_params).toEqual({ cmd: "ls -la" });
  });

  it("the stream gives durations from the capture times the caller passes", () => {
    const timeline = fileLines("success.timeline.jsonl")
      .map((l) => JSON.parse(l) as { t: string; stream: string; line: string })
      .filter((t) => t.stream === "stdout");
    const { events } = feed(
      "stream",
      timeline.map((t) => t.line),
      timeline.map((t) => t.t),
    );
    // success.timeline.jsonl: item_1 started 14.240 / completed 14.241, item_2 14.444 / 14.444, item_4 14.608 / 14.612, …
    expect(ofType(events, "tool_result").map((e) => e.data.duration_ms)).toEqual([1, 0, 4, 0, 1]);
    expect(ofType(events, "tool_call")[0]!.data.tool_params).toEqual({ command: "ls -la", raw_command: "/bin/bash -lc 'ls -la'" });
    expect(events[0]!.timestamp).toBe("2026-11-24T21:04:14.194Z");
  });

  it("the api_error stream: retries and one final error, all stream-only", () => {
    const { events, facts } = feed("stream", fileLines("api_error.stdout.jsonl"));
    const errors = ofType(events, "error");
    expect(errors.map((e) => e.data.retry_attempt)).toEqual([1, 2, 3, 4, 5, undefined]);
    expect(errors.every((e) => e.presence === "stream_only")).toBe(true);
    expect(errors[5]!.data.error_message).toBe("We’re currently experiencing high demand, which may cause temporary errors.");
    expect(facts.error).toBe(errors[5]!.data.error_message);
  });

  it("the api_error rollout: task_complete.error with its HTTP status", () => {
    const { events } = feed("session", fileLines("api_error.session.jsonl"));
    const [error] = ofType(events, "error");
    expect(error!.data).toMatchObject({ error_source: "api", http_status: 500, codex_error_info: "internal_server_error" });
    expect(error!.presence).toBeUndefined();
  });

  it("reads a rollout the same whether or not the fast path recognises its lines", () => {
    for (const s of ["success", "error_loop", "api_error"]) {
      const lines = fileLines(`${s}.session.jsonl`);
      // Same records with `type` moved first: the prefix the fast path keys on no longer matches.
      const reordered = lines.map((l) => {
        const { type, ...rest } = JSON.parse(l) as Record<string, unknown>;
        return JSON.stringify({ type, ...rest });
      });
      expect(feed("session", reordered)).toEqual(feed("session", lines));
    }
  });
});

describe("detect", () => {
  it.each([
    ['{"type":"thread.started","thread_id":"01a2"}', "stream"],
    ['{"type":"turn.started"}', "stream"],
    ['{"timestamp":"2026-11-24T21:04:13.973Z","ordinal":0,"type":"session_meta","payload":{"id":"x","originator":"codex_exec"}}', "session"],
    ['{"timestamp":"2025-09-19T09:02:12.457Z","type":"session_meta","payload":{"id":"x","cli_version":"0.39.0"}}', "session"],
    ['{"timestamp":"2025-09-19T09:02:12.457Z","type":"response_item","payload":{"type":"message"}}', "session"],
    ['{"id":"c27a914d","timestamp":"2025-08-20T13:20:47.060Z","instructions":null,"git":{"branch":"main"}}', "session"],
    ['{"id":"legacy-1","timestamp":"2025-09-05T17:07:46.739Z"}', "session"],
    ['\ufeff{"type":"thread.started","thread_id":"x"}', "stream"],
    ['{"type":"system","subtype":"init","session_id":"x","claude_code_version":"2.1.197"}', undefined],
    ['{"type":"init","timestamp":"2026-11-24T21:04:13.973Z","session_id":"x","model":"gemini"}', undefined],
    ['{"sessionId":"x","projectHash":"y","startTime":"2026-11-24T21:04:13.973Z","kind":"main"}', undefined],
    ['{"type":"error","message":"x"}', undefined],
    ['{"id":"x","timestamp":"t","uuid":"u"}', undefined],
    ["Reading additional input from stdin...", undefined],
    ["", undefined],
    ["[1,2]", undefined],
    ['{"type":"thread.started"', undefined],
  ])("%s → %s", (line, format) => {
    expect(codexAdapter.detect(line)).toBe(format);
  });
});

describe("usage in awl buckets", () => {
  it.each([
    ["mock: no cache, no reasoning", { input_tokens: 44241, cached_input_tokens: 0, cache_write_input_tokens: 0, output_tokens: 504, reasoning_output_tokens: 0 }, [44241, 0, 0, 504, 0]],
    // v0.39.0-vscode.jsonl, last token_count: total_tokens 283081
    ["cached input and reasoning are subsets", { input_tokens: 270530, cached_input_tokens: 136832, output_tokens: 12551, reasoning_output_tokens: 9536, total_tokens: 283081 }, [133698, 136832, 0, 3015, 9536]],
    ["cache writes are input too", { input_tokens: 1000, cached_input_tokens: 600, cache_write_input_tokens: 100, output_tokens: 300, reasoning_output_tokens: 200 }, [300, 600, 100, 100, 200]],
    ["the documented three-field usage", { input_tokens: 10, cached_input_tokens: 4, output_tokens: 3 }, [6, 4, 0, 3, 0]],
    ["nonsense is 0, never negative", { input_tokens: 5, cached_input_tokens: 9, output_tokens: "7", reasoning_output_tokens: -1 }, [0, 9, 0, 0, 0]],
  ])("%s", (_label, raw, [input, cacheRead, cacheCreation, output, reasoning]) => {
    const u = openAiUsage(raw);
    expect(u).toEqual({ input, cache_read: cacheRead, cache_creation: cacheCreation, output, reasoning, total_tokens: input! + cacheRead! + cacheCreation! + output! + reasoning! });
  });

  it("adds up to Codex's own total_tokens", () => {
    expect(openAiUsage({ input_tokens: 270530, cached_input_tokens: 136832, output_tokens: 12551, reasoning_output_tokens: 9536 })?.total_tokens).toBe(283081);
  });
});

describe("unwrapShell", () => {
  it.each([
    ["/bin/bash -lc 'git push origin HEAD'", "git push origin HEAD"],
    ["/bin/bash -lc ls", "ls"],
    ["/bin/zsh -lc 'cat README.md | head -n 5'", "cat README.md | head -n 5"],
    ["bash -c 'it'\\''s here'", "it's here"],
    ['/bin/bash -lc "echo \\"hi\\" \\$HOME"', 'echo "hi" $HOME'],
    ["/usr/bin/sh -lc 'a'\"b\"c", "abc"],
    ["/bin/bash -lc 'a' 'b'", undefined],
    ["/bin/bash -lc 'unterminated", undefined],
    ["ls -la", undefined],
    ["python3 -c 'print(1)'", undefined],
  ])("%s → %s", (wrapped, inner) => {
    expect(unwrapShell(wrapped)).toBe(inner);
  });
});

const T = "thread-1";
const started = (id: string, item: object) => JSON.stringify({ type: "item.started", item: { id, ...item } });
const completed = (id: string, item: object) => JSON.stringify({ type: "item.completed", item: { id, ...item } });

describe("stream records", () => {
  const head = JSON.stringify({ type: "thread.started", thread_id: T });
  const cases: { name: string; lines: string[]; check: (r: Run) => void }[] = [
    {
      name: "a command completed without item.started still gets its call",
      lines: [completed("item_1", { type: "command_execution", command: "/bin/bash -lc 'npm test'", aggregated_output: "ok\n", exit_code: 0, status: "completed" })],
      check: ({ events }) => {
        expect(events.map((e) => e.event_type)).toEqual(["tool_call", "tool_result"]);
        expect(events[0]!.data).toMatchObject({ tool_name: "shell", tool_params: { command: "npm test" }, tool_call_id: "item_1" });
        expect(events[1]!.data).toMatchObject({ result: "success", exit_code: 0, result_data: "ok\n" });
        expect(events.map((e) => e.key)).toEqual([`stream:${T}:item_1`, `stream:${T}:item_1:result`]);
      },
    },
    {
      name: "a declined command is a failed result and an error",
      lines: [
        started("item_2", { type: "command_execution", command: "rm -rf /", aggregated_output: "", exit_code: null, status: "in_progress" }),
        completed("item_2", { type: "command_execution", command: "rm -rf /", aggregated_output: "", exit_code: null, status: "declined" }),
      ],
      check: ({ events }) => {
        expect(events.map((e) => e.event_type)).toEqual(["tool_call", "tool_result", "error"]);
        expect(events[1]!.data).toMatchObject({ result: "error" });
        expect(events[2]!.data).toMatchObject({ error_message: "command declined: rm -rf /", error_source: "tool", tool_call_id: "item_2" });
      },
    },
    {
      name: "a non-zero exit with no output still says what failed",
      lines: [completed("item_3", { type: "command_execution", command: "/bin/bash -lc 'grep -q x f'", aggregated_output: "", exit_code: 1, status: "failed" })],
      check: ({ events }) => expect(ofType(events, "error")[0]!.data.error_message).toBe("command exited with code 1: grep -q x f"),
    },
    {
      name: "an MCP call that failed",
      lines: [
        started("item_4", { type: "mcp_tool_call", server: "docs", tool: "search", arguments: { q: "x" }, result: null, error: null, status: "in_progress" }),
        completed("item_4", { type: "mcp_tool_call", server: "docs", tool: "search", arguments: { q: "x" }, result: null, error: { message: "tool timed out" }, status: "failed" }),
      ],
      check: ({ events }) => {
        expect(events[0]!.data).toMatchObject({ tool_name: "mcp__docs__search", tool_params: { q: "x" } });
        expect(events[1]!.data).toMatchObject({ result: "error", result_data: { message: "tool timed out" } });
        expect(events[2]!.data).toMatchObject({ error_message: "tool timed out", tool_name: "mcp__docs__search" });
      },
    },
    {
      name: "a web search",
      lines: [started("ws_1", { type: "web_search", query: "codex", action: { type: "search" } }), completed("ws_1", { type: "web_search", query: "codex", action: { type: "search" } })],
      check: ({ events }) => {
        expect(events.map((e) => [e.event_type, (e.data as { tool_name?: string }).tool_name])).toEqual([
          ["tool_call", "web_search"],
          ["tool_result", "web_search"],
        ]);
        expect(events[0]!.data).toMatchObject({ tool_params: { query: "codex" } });
      },
    },
    {
      name: "a patch that failed",
      lines: [completed("item_5", { type: "file_change", changes: [{ path: "/w/a.py", kind: "update" }], status: "failed" })],
      check: ({ events }) => {
        expect(events.map((e) => e.event_type)).toEqual(["tool_call", "tool_result", "error"]);
        expect(ofType(events, "error")[0]!.data.error_message).toBe("apply_patch failed: /w/a.py");
      },
    },
    {
      name: "messages, reasoning and a plan",
      lines: [
        completed("item_6", { type: "reasoning", text: "**Looking at the tests**" }),
        completed("item_7", { type: "agent_message", text: "Done." }),
        completed("item_8", { type: "plan", text: "1. read\n2. fix" }),
      ],
      check: ({ events }) => {
        expect(events.map((e) => e.event_type)).toEqual(["agent_thinking", "agent_output", "agent_output"]);
        expect(events[0]!.data).toEqual({ thinking: "**Looking at the tests**" });
        expect(events[1]!.data).toEqual({ output: "Done." });
      },
    },
    {
      name: "a to-do list is shown once, in its last state",
      lines: [
        started("item_9", { type: "todo_list", items: [{ text: "read", completed: false }] }),
        JSON.stringify({ type: "item.updated", item: { id: "item_9", type: "todo_list", items: [{ text: "read", completed: true }] } }),
        completed("item_9", { type: "todo_list", items: [{ text: "read", completed: true }, { text: "fix", completed: false }] }),
      ],
      check: ({ events }) => {
        expect(events).toHaveLength(1);
        expect(events[0]!.data).toMatchObject({ output: "[x] read\n[ ] fix", record_type: "todo_list" });
      },
    },
    {
      name: "a to-do list that never completed is shown at the end",
      lines: [started("item_9", { type: "todo_list", items: [{ text: "read", completed: false }] })],
      check: ({ events }) => expect(events.map((e) => e.data)).toEqual([{ output: "[ ] read", record_type: "todo_list", items: [{ text: "read", completed: false }] }]),
    },
    {
      name: "a non-fatal error item",
      lines: [completed("item_10", { type: "error", message: "model gpt-9 not found, using gpt-5.5" })],
      check: ({ events, facts }) => {
        expect(events[0]).toMatchObject({ event_type: "error", data: { error_source: "agent" }, presence: "stream_only" });
        expect(facts.status).toBeUndefined();
      },
    },
    {
      name: "unknown item and record types are kept and counted",
      lines: [completed("item_11", { type: "hologram", text: "hi" }), JSON.stringify({ type: "turn.paused", why: "x" })],
      check: ({ events, facts }) => {
        expect(events.map((e) => e.data)).toEqual([
          { output: "hi", record_type: "item.hologram", raw: { id: "item_11", type: "hologram", text: "hi" } },
          { output: "", record_type: "turn.paused", raw: { type: "turn.paused", why: "x" } },
        ]);
        expect(facts.unknown_records).toEqual({ "item.hologram": 1, "turn.paused": 1 });
      },
    },
    {
      name: "retries, then the final error printed twice, is retries + one error",
      lines: [
        JSON.stringify({ type: "error", message: "Reconnecting... 1/5 (stream disconnected before completion: boom)" }),
        JSON.stringify({ type: "error", message: "Reconnecting... 2/5 (stream disconnected before completion: boom)" }),
        JSON.stringify({ type: "error", message: "unexpected status 401 Unauthorized: Incorrect API key provided" }),
        JSON.stringify({ type: "turn.failed", error: { message: "unexpected status 401 Unauthorized: Incorrect API key provided" } }),
      ],
      check: ({ events, facts }) => {
        const errors = ofType(events, "error");
        expect(errors.map((e) => [e.data.error_source, e.data.http_status, e.data.retry_attempt])).toEqual([
          ["api", undefined, 1],
          ["api", undefined, 2],
          ["api", 401, undefined],
        ]);
        expect(errors.every((e) => e.presence === "stream_only")).toBe(true);
        expect(facts).toMatchObject({ status: "failed", error: "unexpected status 401 Unauthorized: Incorrect API key provided" });
      },
    },
    {
      name: "turn.failed alone is one error; a different message before it is another",
      lines: [JSON.stringify({ type: "error", message: "first" }), JSON.stringify({ type: "turn.failed", error: { message: "second" } })],
      check: ({ events, facts }) => {
        expect(ofType(events, "error").map((e) => e.data.error_message)).toEqual(["first", "second"]);
        expect(facts.error).toBe("second");
      },
    },
    {
      name: "usage is cumulative: the last turn.completed is the total",
      lines: [
        JSON.stringify({ type: "turn.completed", usage: { input_tokens: 100, cached_input_tokens: 0, output_tokens: 10 } }),
        JSON.stringify({ type: "turn.completed", usage: { input_tokens: 250, cached_input_tokens: 50, output_tokens: 30, reasoning_output_tokens: 20 } }),
      ],
      check: ({ facts }) => expect(facts.total_usage).toEqual({ input: 200, cache_read: 50, cache_creation: 0, output: 10, reasoning: 20, total_tokens: 280 }),
    },
    {
      name: "the status is the last turn's (a resumed run that completes)",
      lines: [
        JSON.stringify({ type: "turn.started" }),
        JSON.stringify({ type: "turn.failed", error: { message: "stream disconnected before completion" } }),
        head,
        JSON.stringify({ type: "turn.started" }),
        JSON.stringify({ type: "turn.completed", usage: { input_tokens: 10, output_tokens: 1 } }),
      ],
      check: ({ events, facts }) => {
        expect(ofType(events, "error").map((e) => e.data.error_source)).toEqual(["api"]);
        expect(facts.status).toBe("success");
      },
    },
    {
      name: "lines that are not records are counted and skipped",
      lines: ["", "Reading additional input from stdin...", "[1,2]", "{", '{"no":"type"}', '{"type":"item.completed"}', '{"type":"item.started","item":{"id":"x"}}', '"str"', "null"],
      check: ({ events, facts }) => {
        expect(events).toEqual([]);
        expect(facts.skipped_lines).toBe(9);
      },
    },
  ];

  it.each(cases)("$name", ({ lines, check }) => {
    const run = feed("stream", [head, ...lines]);
    expectWellFormed(run.events);
    check(run);
  });

  it("two runs in one file (exec resume appended) keep their items apart", () => {
    const run = [head, completed("item_0", { type: "command_execution", command: "ls", aggregated_output: "", exit_code: 0, status: "completed" })];
    const { events } = feed("stream", [...run, ...run]);
    expectWellFormed(events);
    expect(ofType(events, "tool_call").map((e) => e.key)).toEqual([`stream:${T}:item_0`, `stream:${T}:run2:item_0`]);
  });

  it("a tool item completed twice is answered once", () => {
    const line = completed("item_0", { type: "command_execution", command: "ls", aggregated_output: "", exit_code: 1, status: "failed" });
    expect(feed("stream", [head, line, line]).events.map((e) => e.event_type)).toEqual(["tool_call", "tool_result", "error"]);
  });

  it("without thread.started there is no key to give (item ids repeat across runs)", () => {
    const { events } = feed("stream", [completed("item_0", { type: "agent_message", text: "hi" })]);
    expect(events[0]!.key).toBeUndefined();
  });
});

const SID = "019a-session";
const env = (ts: string, type: string, payload: object) => JSON.stringify({ timestamp: ts, type, payload });
const ri = (payload: object, ts = "2026-01-01T00:00:01.000Z") => env(ts, "response_item", payload);
const ev = (payload: object, ts = "2026-01-01T00:00:02.000Z") => env(ts, "event_msg", payload);
const meta = env("2026-01-01T00:00:00.000Z", "session_meta", { id: SID, cwd: "/w", cli_version: "0.99.0" });
const fcall = (id: string, name: string, args: object) => ri({ type: "function_call", name, arguments: JSON.stringify(args), call_id: id });
const fout = (id: string, output: string) => ri({ type: "function_call_output", call_id: id, output });

describe("rollout records", () => {
  const cases: { name: string; lines: string[]; check: (r: Run) => void }[] = [
    {
      name: "0.3x output JSON with exit code and duration",
      lines: [fcall("c1", "shell", { command: ["bash", "-lc", "make"] }), fout("c1", JSON.stringify({ output: "make: *** [all] Error 2\n", metadata: { exit_code: 2, duration_seconds: 1.25 } }))],
      check: ({ events }) => {
        expect(events.map((e) => e.event_type)).toEqual(["tool_call", "tool_result", "error"]);
        expect(events[1]!.data).toMatchObject({ result: "error", exit_code: 2, duration_ms: 1250, result_data: "make: *** [all] Error 2\n" });
        expect(events[2]!.data).toMatchObject({ error_message: "make: *** [all] Error 2", error_source: "tool", tool_name: "shell" });
      },
    },
    {
      name: "plain-text outputs: a rejected patch failed, a plan update did not",
      lines: [fcall("c2", "shell", { command: ["bash", "-lc", "applypatch"] }), fout("c2", "patch rejected: empty patch"), fcall("c3", "update_plan", { plan: [] }), fout("c3", "Plan updated")],
      check: ({ events }) => expect(ofType(events, "tool_result").map((e) => e.data.result)).toEqual(["error", "success"]),
    },
    {
      name: "0.169: item_completed answers first, the output the model saw adds nothing",
      lines: [
        fcall("c4", "exec_command", { cmd: "git push" }),
        ev({
          type: "item_completed",
          item: { type: "CommandExecution", id: "c4", command: ["/bin/bash", "-lc", "git push"], status: "failed", aggregated_output: "fatal: no remote\n", exit_code: 128, duration: { secs: 1, nanos: 500_000_000 } },
        }),
        fout("c4", "Chunk ID: a\nWall time: 1.5000 seconds\nProcess exited with code 128\nOriginal token count: 4\nOutput:\nfatal: no remote\n"),
      ],
      check: ({ events }) => {
        expect(events.map((e) => e.event_type)).toEqual(["tool_call", "tool_result", "error"]);
        expect(events[1]!.data).toMatchObject({ result: "error", exit_code: 128, duration_ms: 1500, result_data: "fatal: no remote\n" });
        expect(events[1]!.timestamp).toBe("2026-01-01T00:00:02.000Z");
      },
    },
    {
      name: "unified exec: running, polled, ended by exec_command_end",
      lines: [
        fcall("c5", "exec_command", { cmd: "npm test" }),
        fout("c5", "Chunk ID: a\nWall time: 1.0000 seconds\nProcess running with session ID 77\nOriginal token count: 0\nOutput:\n"),
        fcall("c6", "write_stdin", { session_id: 77, chars: "" }),
        fout("c6", "Chunk ID: b\nWall time: 0.5000 seconds\nProcess exited with code 1\nOriginal token count: 3\nOutput:\n1 failed\n"),
        ev({ type: "exec_command_end", call_id: "c5", command: ["/bin/zsh", "-lc", "npm test"], exit_code: 1, aggregated_output: "1 failed\n", duration: { secs: 2, nanos: 0 }, status: "failed" }),
      ],
      check: ({ events }) => {
        expect(events.map((e) => `${e.event_type}:${(e.data as { tool_call_id?: string }).tool_call_id}`)).toEqual(["tool_call:c5", "tool_call:c6", "tool_result:c6", "tool_result:c5", "error:c5"]);
        expect(ofType(events, "tool_result").map((e) => [e.data.result, e.data.exit_code, e.data.duration_ms])).toEqual([
          ["success", undefined, 500],
          ["error", 1, 2000],
        ]);
      },
    },
    {
      name: "unified exec without exec_command_end: the poll's exit code ends the call at the end",
      lines: [
        fcall("c7", "exec_command", { cmd: "false" }),
        fout("c7", "Chunk ID: a\nWall time: 1.0000 seconds\nProcess running with session ID 78\nOriginal token count: 0\nOutput:\n"),
        fcall("c8", "write_stdin", { session_id: 78, chars: "" }),
        fout("c8", "Chunk ID: b\nWall time: 0.1000 seconds\nProcess exited with code 2\nOriginal token count: 0\nOutput:\n"),
      ],
      check: ({ events }) => {
        const results = ofType(events, "tool_result");
        expect(results.map((e) => [e.data.tool_call_id, e.data.result, e.data.exit_code])).toEqual([
          ["c8", "success", undefined],
          ["c7", "error", 2],
        ]);
        expect(ofType(events, "error")[0]!.data.error_message).toBe("command exited with code 2: false");
      },
    },
    {
      name: "a result for a call the file never showed gets its call (a user's ! command)",
      lines: [ev({ type: "exec_command_end", call_id: "u1", command: ["bash", "-lc", "ls /nope"], exit_code: 2, stdout: "", stderr: "ls: /nope: No such file or directory\n" })],
      check: ({ events }) => {
        expect(events[0]!.data).toEqual({ tool_name: "shell", tool_params: { command: "ls /nope" }, tool_call_id: "u1" });
        expect(ofType(events, "error")[0]!.data.error_message).toBe("ls: /nope: No such file or directory");
      },
    },
    {
      name: "0.169 custom tool output: Exit code header",
      lines: [ri({ type: "custom_tool_call", name: "apply_patch", input: "*** Begin Patch", call_id: "c9" }), ri({ type: "custom_tool_call_output", call_id: "c9", output: "Exit code: 1\nWall time: 0 seconds\nOutput:\nerror: invalid hunk\n" })],
      check: ({ events }) => {
        expect(events[0]!.data).toMatchObject({ tool_name: "apply_patch", tool_params: { input: "*** Begin Patch" } });
        expect(events[1]!.data).toMatchObject({ result: "error", exit_code: 1, duration_ms: 0, result_data: "error: invalid hunk\n" });
      },
    },
    {
      name: "patch_apply_end and mcp_tool_call_end",
      lines: [
        ri({ type: "custom_tool_call", name: "apply_patch", input: "x", call_id: "p1" }),
        ev({ type: "patch_apply_end", call_id: "p1", stdout: "", stderr: "Failed to find expected lines", success: false }),
        fcall("m1", "mcp__docs__search", { q: 1 }),
        ev({ type: "mcp_tool_call_end", call_id: "m1", invocation: { server: "docs", tool: "search" }, duration: { secs: 0, nanos: 2_000_000 }, result: { Err: "connection refused" } }),
      ],
      check: ({ events }) => {
        expect(ofType(events, "error").map((e) => e.data.error_message)).toEqual(["Failed to find expected lines", "connection refused"]);
        expect(ofType(events, "tool_result")[1]!.data).toMatchObject({ tool_name: "mcp__docs__search", duration_ms: 2 });
      },
    },
    {
      name: "a web search, keyed by the id web_search_end gave it",
      lines: [
        ev({ type: "web_search_end", call_id: "ws_9", query: "codex" }),
        ri({ type: "web_search_call", status: "completed", action: { type: "search", query: "codex" } }),
        ri({ type: "web_search_call", status: "completed", action: { type: "search", query: "again" } }),
      ],
      check: ({ events }) => {
        expect(events.map((e) => e.key)).toEqual(["ws_9", "ws_9:result", `${SID}:4:web_search`, `${SID}:4:web_search:result`]);
        expect(events[0]!.data).toMatchObject({ tool_name: "web_search", tool_params: { query: "codex" } });
      },
    },
    {
      name: "assistant text, reasoning summaries; developer text, environment context and encrypted reasoning are not output",
      lines: [
        ri({ type: "message", role: "developer", content: [{ type: "input_text", text: "<permissions instructions>" }] }),
        ri({ type: "message", role: "user", content: [{ type: "input_text", text: "<environment_context>\n  <cwd>/w</cwd>\n</environment_context>" }] }),
        ri({ type: "message", role: "user", content: [{ type: "input_text", text: "# Context from my IDE setup:\n\n## My request for Codex:\nfix the bug\n" }] }),
        ri({ type: "reasoning", summary: [], content: null, encrypted_content: "gAAA" }),
        ri({ type: "reasoning", id: "rs_1", summary: [{ type: "summary_text", text: "**Plan**" }, { type: "summary_text", text: "then act" }] }),
        ri({ type: "message", id: "msg_1", role: "assistant", content: [{ type: "output_text", text: "Fixed." }], phase: "final_answer" }),
      ],
      check: ({ events, facts }) => {
        expect(events.map((e) => [e.event_type, e.data, e.key])).toEqual([
          ["agent_thinking", { thinking: "**Plan**\n\nthen act" }, "rs_1"],
          ["agent_output", { output: "Fixed.", phase: "final_answer" }, "msg_1"],
        ]);
        expect(facts.prompt).toBe("fix the bug");
      },
    },
    {
      name: "the user_message event is the prompt over the response item",
      lines: [ri({ type: "message", role: "user", content: [{ type: "input_text", text: "typed\n<image>" }] }), ev({ type: "user_message", message: "typed", kind: "plain" }), ev({ type: "user_message", message: "a follow-up" })],
      check: ({ facts }) => expect(facts.prompt).toBe("typed"),
    },
    {
      name: "task_complete.error with an HTTP status object; the model from turn_context on every event",
      lines: [
        env("2026-01-01T00:00:01.000Z", "turn_context", { model: "gpt-5.5", cwd: "/w" }),
        ri({ type: "message", role: "assistant", content: [{ type: "output_text", text: "hi" }] }),
        ev({ type: "task_complete", last_agent_message: null, error: { message: "unexpected status 401 Unauthorized: Incorrect API key provided", codex_error_info: { http_connection_failed: { http_status_code: 401 } } } }),
      ],
      check: ({ events, facts }) => {
        expect(events.map((e) => e.model)).toEqual(["gpt-5.5", "gpt-5.5"]);
        expect(events[1]!.data).toMatchObject({ error_source: "api", http_status: 401 });
        expect(facts).toMatchObject({ status: "failed", model: "gpt-5.5", error: "unexpected status 401 Unauthorized: Incorrect API key provided" });
      },
    },
    {
      name: "an error event repeated by task_complete is one error; a sandbox error is the agent's",
      lines: [
        ev({ type: "error", message: "sandbox denied", codex_error_info: "sandbox_error" }),
        ev({ type: "task_complete", error: { message: "sandbox denied", codex_error_info: "sandbox_error" } }),
      ],
      check: ({ events, facts }) => {
        expect(ofType(events, "error").map((e) => e.data.error_source)).toEqual(["agent"]);
        expect(facts.status).toBe("failed");
      },
    },
    {
      name: "an error without task_complete.error still fails its turn; the next clean turn succeeds",
      lines: [ev({ type: "error", message: "stream disconnected before completion" }), ev({ type: "task_complete" }), ev({ type: "task_complete" })],
      check: ({ events, facts }) => {
        expect(ofType(events, "error")[0]!.data.error_source).toBe("api");
        expect(facts.status).toBe("success");
      },
    },
    {
      name: "an interrupted turn",
      lines: [ev({ type: "turn_aborted", reason: "interrupted" })],
      check: ({ facts }) => expect(facts.status).toBe("interrupted"),
    },
    {
      name: "token_usage_record: once per response_id, whatever repeats",
      lines: [
        env("t", "token_usage_record", { response_id: "r1", usage: { input_tokens: 100, cached_input_tokens: 40, output_tokens: 10, reasoning_output_tokens: 4 } }),
        env("t", "token_usage_record", { response_id: "r1", usage: { input_tokens: 100, cached_input_tokens: 40, output_tokens: 10, reasoning_output_tokens: 4 } }),
        env("t", "token_usage_record", { response_id: "r2", usage: { input_tokens: 200, cached_input_tokens: 100, output_tokens: 20 } }),
        ev({ type: "token_count", info: { total_token_usage: { input_tokens: 999, output_tokens: 9 } } }),
      ],
      check: ({ facts }) => expect(facts.total_usage).toEqual({ input: 160, cache_read: 140, cache_creation: 0, output: 26, reasoning: 4, total_tokens: 330 }),
    },
    {
      name: "token_count only: the last total, never a sum of last_token_usage (repeated on retries)",
      lines: [
        ev({ type: "token_count", info: null }),
        ev({ type: "token_count", info: { total_token_usage: { input_tokens: 100, output_tokens: 10 }, last_token_usage: { input_tokens: 100, output_tokens: 10 } } }),
        ev({ type: "token_count", info: { total_token_usage: { input_tokens: 100, output_tokens: 10 }, last_token_usage: { input_tokens: 100, output_tokens: 10 } } }),
        ev({ type: "token_count", info: { total_token_usage: { input_tokens: 300, cached_input_tokens: 50, output_tokens: 30 }, last_token_usage: { input_tokens: 200, output_tokens: 20 } } }),
        ev({ type: "token_count", info: null }),
      ],
      check: ({ facts }) => expect(facts.total_usage).toEqual({ input: 250, cache_read: 50, cache_creation: 0, output: 30, reasoning: 0, total_tokens: 330 }),
    },
    {
      name: "compacted history, snapshots, unknown records",
      lines: [
        env("t", "compacted", { message: "Summary of the work so far", replacement_history: [] }),
        ri({ type: "ghost_snapshot", ghost_commit: { id: "abc" } }),
        ri({ type: "image_generation_call", id: "ig_1", result: "…" }),
        ev({ type: "new_thing", x: 1 }),
        env("t", "hologram", { text: "boo" }),
      ],
      check: ({ events, facts }) => {
        expect(events.map((e) => [e.event_type, (e.data as { record_type?: string }).record_type])).toEqual([
          ["agent_output", "compacted"],
          ["agent_output", "response_item:image_generation_call"],
          ["agent_output", "hologram"],
        ]);
        expect(facts.unknown_records).toEqual({ "response_item:image_generation_call": 1, "event_msg:new_thing": 1, hologram: 1 });
      },
    },
    {
      name: "lines that are not records are counted and skipped",
      lines: [
        "",
        "not json",
        "[1]",
        '{"timestamp":"t"}',
        '{"timestamp":"t","type":"event_msg"}',
        '{"timestamp":"t","type":"response_item","payload":5}',
        '{"timestamp":"t","type":"event_msg","payload":{"type":"item_completed"}}',
        "{",
        "42",
      ],
      check: ({ events, facts }) => {
        expect(events).toEqual([]);
        expect(facts.skipped_lines).toBe(8);
      },
    },
  ];

  it.each(cases)("$name", ({ lines, check }) => {
    const run = feed("session", [meta, ...lines]);
    expectWellFormed(run.events);
    expect(run.facts).toMatchObject({ session_id: SID, cwd: "/w", agent_version: "0.99.0" });
    check(run);
  });

  it("reads the rollout shape from before the envelope (bare header and items)", () => {
    const lines = [
      '{"id":"c27a914d","timestamp":"2025-08-20T13:20:47.060Z","instructions":null,"git":{"branch":"main"}}',
      '{"record_type":"state"}',
      '{"type":"message","id":null,"role":"user","content":[{"type":"input_text","text":"list the files"}]}',
      '{"type":"reasoning","id":"rs_1","summary":[],"encrypted_content":"opaque"}',
      '{"type":"function_call","id":"fc_1","name":"shell","arguments":"{\\"command\\":[\\"ls\\"]}","call_id":"call_1"}',
      '{"type":"function_call_output","call_id":"call_1","output":"{\\"output\\":\\"README.md\\\\n\\",\\"metadata\\":{\\"exit_code\\":0,\\"duration_seconds\\":0.0}}"}',
      '{"type":"message","role":"assistant","content":[{"type":"output_text","text":"One file."}]}',
      '{"record_type":"state"}',
    ];
    expect(codexAdapter.detect(lines[0]!)).toBe("session");
    const { events, facts } = feed("session", lines, lines.map(() => "2025-08-20T13:21:00.000Z"));
    expectWellFormed(events);
    expect(events.map((e) => e.event_type)).toEqual(["tool_call", "tool_result", "agent_output"]);
    expect(events[1]!.data).toMatchObject({ result: "success", exit_code: 0, result_data: "README.md\n" });
    expect(events[2]!.key).toBe("c27a914d:7");
    expect(facts).toMatchObject({ session_id: "c27a914d", prompt: "list the files", started_at: "2025-08-20T13:20:47.060Z", skipped_lines: 0 });
  });
});

describe("never throws", () => {
  const item = fc.record(
    {
      id: fc.constantFrom("item_0", "item_1", ""),
      type: fc.constantFrom("command_execution", "file_change", "mcp_tool_call", "web_search", "collab_tool_call", "agent_message", "todo_list", "error", "x"),
      status: fc.constantFrom("in_progress", "completed", "failed", "declined"),
      exit_code: fc.oneof(fc.integer(), fc.constant(null)),
      command: fc.string(),
      server: fc.string(),
      tool: fc.string(),
      items: fc.anything(),
      changes: fc.anything(),
      error: fc.anything(),
    },
    { requiredKeys: [] },
  );
  const payload = fc.dictionary(
    fc.constantFrom("type", "call_id", "id", "name", "arguments", "role", "summary", "status", "output", "item", "usage", "info", "error", "content", "response_id", "message", "codex_error_info"),
    fc.oneof(fc.anything(), fc.constantFrom("function_call", "function_call_output", "item_completed", "exec_command_end", "task_complete", "message", "assistant", "c1", "")),
  );
  const record = fc.oneof(
    fc.json(),
    fc.string(),
    fc.record({ type: fc.constantFrom("thread.started", "item.started", "item.completed", "item.updated", "turn.completed", "turn.failed", "error"), item, thread_id: fc.string(), usage: fc.anything(), error: fc.anything(), message: fc.anything() }).map((r) => JSON.stringify(r)),
    fc.record({ timestamp: fc.constantFrom("2026-01-01T00:00:00.000Z", "t", ""), type: fc.constantFrom("event_msg", "response_item", "session_meta", "token_usage_record", "turn_context", "compacted"), payload }).map((r) => JSON.stringify(r)),
  );
  it.each(["stream", "session"] as const)("%s parser on arbitrary lines", (format) => {
    fc.assert(
      fc.property(fc.array(record, { maxLength: 30 }), (lines) => {
        const run = feed(format, lines);
        for (const e of run.events) {
          expect(DATA_SCHEMAS[e.event_type].safeParse(e.data).success).toBe(true);
          if (e.timestamp !== undefined) expect(e.timestamp).toMatch(/^\d{4}-\d\d-\d\dT/);
        }
        expect(run.facts.skipped_lines).toBeLessThanOrEqual(lines.length);
      }),
      { numRuns: 300 },
    );
  });
});
