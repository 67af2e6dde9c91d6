import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { Captured } from "../../src/capture/adapter.js";
import { codexAdapter } from "../../src/capture/codex/index.js";
import { DATA_SCHEMAS, type Usage } from "../../src/schema/index.js";
import { PUBLIC_FIXTURES } from "../helpers/shared.js";

// Third-party rollouts, read where they lie (never copied into the project): see their SOURCES.md.
const SHARED = PUBLIC_FIXTURES;
const DIR = join(SHARED, "codex");

/** `| codex/<file> | codex | … | session <id>… (main), N tool calls, M failed, …` rows of SOURCES.md. */
function sourcesCounts(): Map<string, { toolCalls: number; failed: number }> {
  const out = new Map<string, { toolCalls: number; failed: number }>();
  for (const line of readFileSync(join(SHARED, "SOURCES.md"), "utf8").split("\n")) {
    const m = /^\| codex\/(\S+) \|.*?(\d+) tool calls, (\d+) failed/.exec(line);
    if (m) out.set(m[1]!, { toolCalls: Number(m[2]), failed: Number(m[3]) });
  }
  return out;
}

const u = (input: number, cache_read: number, output: number, reasoning: number): Usage => ({
  input,
  cache_read,
  cache_creation: 0,
  output,
  reasoning,
  total_tokens: input + cache_read + output + reasoning,
});

/**
 * Computed apart from the adapter, with a Python one-off over each file: the `total_token_usage`
 * of the last `event_msg`/`token_count` whose `info` is not null (none of these files has a
 * `token_usage_record`), converted as input − cached − cache_write, cached, cache_write,
 * output − reasoning, reasoning. Cross-checked by summing `last_token_usage` over only the
 * `token_count` lines whose `total_token_usage` changed (retries repeat it): the same numbers,
 * and each total equals Codex's own `total_tokens` (6064954, 283081, 230731, 22774).
 *
 * Web searches are response items of their own (`web_search_call`, no call_id) that SOURCES.md
 * does not count among the tool calls (its counts are `function_call` + `custom_tool_call`); the
 * adapter records them as `web_search` tool calls, so they are counted here apart.
 */
const EXPECTED: Record<string, { sessionId: string; version: string; model: string; usage: Usage; webSearches: number; status?: string; outputs: number; thinking: number }> = {
  "v0.39.0-vscode.jsonl": {
    sessionId: "01996135-afde-7911-97f0-d863511eca56",
    version: "0.39.0",
    model: "aide-gpt-5",
    usage: u(133698, 136832, 3015, 9536),
    webSearches: 0,
    outputs: 9,
    thinking: 0, // every reasoning item is encrypted with an empty summary
  },
  "v0.47.0-pomodoro.jsonl": {
    sessionId: "019a085e-04c1-7f81-a09e-9555f6a1fb40",
    version: "0.47.0",
    model: "gpt-5-codex",
    usage: u(33995, 181760, 6528, 8448),
    webSearches: 0,
    outputs: 3,
    thinking: 20,
  },
  "v0.77.0-exec-ghost.jsonl": {
    sessionId: "019b7f94-51b4-7593-922e-ba12b5b73b52",
    version: "0.77.0",
    model: "gpt-5-1-codex-2025-11-13",
    usage: u(7626, 14848, 172, 128),
    webSearches: 0,
    outputs: 0, // the file ends before the agent answered
    thinking: 1,
  },
  "v0.125.0-tui-unified-exec.jsonl": {
    sessionId: "019e1625-789d-76c0-80ab-3724b5ddb799",
    version: "0.125.0",
    model: "gpt-5.5",
    usage: u(1126300, 4929536, 7359, 1759),
    webSearches: 3,
    status: "success",
    outputs: 13,
    thinking: 0,
  },
};

function ofType<T extends Captured["event_type"]>(events: Captured[], t: T): Extract<Captured, { event_type: T }>[] {
  return events.filter((e): e is Extract<Captured, { event_type: T }> => e.event_type === t);
}

describe("public Codex rollouts (0.39 – 0.125)", () => {
  const files = readdirSync(DIR).filter((f) => f.endsWith(".jsonl"));
  const counts = sourcesCounts();

  it("covers every file in the folder and every row of SOURCES.md", () => {
    expect(files.sort()).toEqual(Object.keys(EXPECTED).sort());
    expect([...counts.keys()].sort()).toEqual(files.sort());
  });

  it.each(files)("%s", (file) => {
    const lines = readFileSync(join(DIR, file), "utf8").split("\n");
    expect(codexAdapter.detect(lines[0]!)).toBe("session");
    const parser = codexAdapter.parser("session");
    const events: Captured[] = [];
    for (const line of lines) if (line !== "") events.push(...parser.line(line));
    events.push(...parser.end());
    const facts = parser.facts();
    const want = EXPECTED[file]!;
    const sources = counts.get(file)!;

    for (const e of events) expect(DATA_SCHEMAS[e.event_type].safeParse(e.data).success).toBe(true);
    const keys = events.map((e) => e.key);
    expect(keys.every((k) => typeof k === "string")).toBe(true);
    expect(new Set(keys).size).toBe(keys.length);

    const calls = ofType(events, "tool_call");
    const results = ofType(events, "tool_result");
    const webSearches = calls.filter((e) => e.data.tool_name === "web_search").length;
    expect(webSearches).toBe(want.webSearches);
    expect(calls.length - webSearches).toBe(sources.toolCalls);
    expect(results.filter((e) => e.data.result === "error").length).toBe(sources.failed);
    // Every call has its one result here (no file ends mid-call), and every result its call.
    expect(results.map((e) => e.data.tool_call_id).sort()).toEqual(calls.map((e) => e.data.tool_call_id).sort());
    const errors = ofType(events, "error");
    expect(errors.length).toBe(sources.failed);
    expect(errors.every((e) => e.data.error_source === "tool" && e.data.error_message.trim() !== "")).toBe(true);

    expect(facts.total_usage).toEqual(want.usage);
    expect(facts).toMatchObject({ session_id: want.sessionId, agent_version: want.version, model: want.model, skipped_lines: 0, unknown_records: {} });
    expect(facts.status).toBe(want.status);
    expect(facts.prompt).toBeTruthy();
    expect(ofType(events, "agent_output").length).toBe(want.outputs);
    expect(ofType(events, "agent_thinking").length).toBe(want.thinking);
    expect(events.every((e) => typeof e.timestamp === "string" && e.model === want.model)).toBe(true);
  });
});
