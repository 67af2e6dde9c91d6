import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { addUsage, type Captured, type SessionFacts } from "../../src/capture/adapter.js";
import { claudeAdapter } from "../../src/capture/claude/index.js";
import { DATA_SCHEMAS, type Usage } from "../../src/schema/index.js";
import { PUBLIC_FIXTURES } from "../helpers/shared.js";

/**
 * Claude Code session files written by real users of versions 1.0.17 … 2.1.39, kept beside the
 * project (third-party data: read in place, never copied). Their provenance:
 * ../shared/fixtures/public/SOURCES.md.
 */
const DIR = join(PUBLIC_FIXTURES, "claude");

interface Expected {
  /** Main-file tool calls and failed results, as SOURCES.md counts them (tool_use / is_error blocks of top-level records). */
  calls: number;
  failed: number;
  /** Tool calls and failures of sub-agents nested in `progress` records, which SOURCES.md does not count. */
  nested?: [number, number];
  /** [input, output, cache_read, cache_creation], or undefined for a file without model requests. */
  tokens: [number, number, number, number] | undefined;
  thinking: number;
  sessionId: string | undefined;
  /** The records counted rather than emitted, by kind (facts.unknown_records). */
  counted?: Record<string, number>;
}

/*
 * calls / failed / thinking: SOURCES.md ("N tool calls, M failed, K thinking blocks"); the
 * resumed file lists two sessions (19 + 11 calls, 1 + 1 failed).
 *
 * tokens: one usage per message.id, the one with the most output tokens (the last line: older
 * versions wrote a response as several lines with growing output_tokens; never summed), over
 * the top-level `assistant` records that are not `<synthetic>`, sidechain ones included. Computed
 * with a one-off python script:
 *   for r in records: if r["type"]=="assistant" and r["message"]["model"]!="<synthetic>":
 *     u=r["message"]["usage"]; keep[r["message"]["id"]]=u if output_tokens >= the kept one's
 *   then summed input_tokens, output_tokens, cache_read_input_tokens, cache_creation_input_tokens.
 * Cross-checked: `ccusage@20.0.24 claude session --json --offline` (CLAUDE_CONFIG_DIR pointing at a
 * copy of these files) reports the same four numbers for every file.
 *
 * nested: `jq 'select(.type=="progress") | .data.message.message.content[]?'` → tool_use blocks
 * and tool_result blocks with is_error:true (9 and 3, all in v2.1.38-progress-subagent).
 */
const FILES: Record<string, Expected> = {
  "v1.0.17-music-long.jsonl": {
    calls: 59,
    failed: 4,
    tokens: [114, 16769, 3754072, 174552],
    thinking: 0,
    sessionId: "d3ad4cdc-5657-435d-98fa-0035d53e383d",
  },
  "v1.0.17-music-short.jsonl": {
    calls: 30,
    failed: 0,
    tokens: [91, 2266, 503769, 16072],
    thinking: 0,
    sessionId: "ba79134d-b6e9-4867-af0c-6941038c9e4b",
  },
  "v1.0.17-summary-only.jsonl": { calls: 0, failed: 0, tokens: undefined, thinking: 0, sessionId: undefined },
  "v1.0.95-resumed.jsonl": {
    calls: 19 + 11,
    failed: 1 + 1,
    tokens: [158, 3860, 1093509, 99004],
    thinking: 5,
    // The first of the two sessions in the file; the record the resume copied is counted once.
    sessionId: "e9f146fa-3b20-48d0-9be4-d99ca901cae4",
    counted: { duplicate_record: 1, "user/meta": 2 },
  },
  "v2.0.24-pomodoro-warmup.jsonl": {
    calls: 37,
    failed: 0,
    tokens: [894, 12881, 1295467, 55442],
    thinking: 31,
    sessionId: "36d9e1bc-63bf-4e97-8a3e-2b20ba8583f2",
    counted: { "file-history-snapshot": 7, "user/meta": 1 },
  },
  "v2.0.64-main.jsonl": {
    calls: 6,
    failed: 0,
    tokens: [33, 806, 214627, 37172],
    thinking: 0,
    sessionId: "4c2ddfdc-b619-4525-8d03-1950fb1b0257",
    counted: { "file-history-snapshot": 6 },
  },
  "v2.0.64-agent-36541525.jsonl": {
    calls: 0,
    failed: 0,
    tokens: [3, 3, 0, 16976],
    thinking: 0,
    sessionId: "4c2ddfdc-b619-4525-8d03-1950fb1b0257",
  },
  "v2.0.64-agent-50243ee8.jsonl": {
    calls: 0,
    failed: 0,
    tokens: [16878, 237, 0, 0],
    thinking: 0,
    sessionId: "4c2ddfdc-b619-4525-8d03-1950fb1b0257",
  },
  "v2.0.76-errors.jsonl": {
    calls: 76,
    failed: 5,
    tokens: [15377, 34781, 5157884, 1707033],
    thinking: 65,
    sessionId: "3fe1b6bc-dbd0-4320-b980-4f147befa187",
    counted: { "file-history-snapshot": 10, "queue-operation": 4, "user/meta": 3 },
  },
  "v2.1.4-summaries.jsonl": {
    calls: 3,
    failed: 1,
    tokens: [47, 4509, 22912, 147267],
    thinking: 4,
    sessionId: "9eda1058-9706-484a-b992-d03f9cfa2546",
    counted: { "file-history-snapshot": 3, "system/turn_duration": 2 },
  },
  "v2.1.7-subagents-main.jsonl": {
    calls: 14,
    failed: 0,
    tokens: [537, 10099, 223343, 157962],
    thinking: 11,
    sessionId: "e9fb405b-169f-40eb-9396-7e75076f045d",
    counted: { "file-history-snapshot": 2, "system/stop_hook_summary": 1, "system/turn_duration": 1 },
  },
  "v2.1.7-subagents-agent-a485154.jsonl": {
    calls: 20,
    failed: 1,
    tokens: [5233, 1845, 91980, 115531],
    thinking: 0,
    sessionId: "e9fb405b-169f-40eb-9396-7e75076f045d",
  },
  "v2.1.38-short-errors.jsonl": {
    calls: 2,
    failed: 2,
    tokens: [3, 13, 11515, 13835],
    thinking: 1,
    sessionId: "55604662-cf2a-4331-851a-ec234028f8ca",
    counted: { "file-history-snapshot": 1, "progress/hook_progress": 3 },
  },
  "v2.1.38-progress-subagent.jsonl": {
    calls: 16,
    failed: 0,
    nested: [9, 3],
    tokens: [1576, 1586, 427286, 25842],
    thinking: 4,
    sessionId: "491e126e-1e71-469c-ade2-fcc8af567c74",
    counted: { "file-history-snapshot": 3, "progress/hook_progress": 25, "system/stop_hook_summary": 1, "user/meta": 1 },
  },
  "v2.1.38-sidechain-agent-afc096d.jsonl": {
    calls: 48,
    failed: 2,
    tokens: [219, 28, 457858, 39438],
    thinking: 0,
    sessionId: "6c2214d7-b87e-4432-8e41-22ba294ea584",
    counted: { "progress/hook_progress": 84 },
  },
  "v2.1.39-compact-agent.jsonl": {
    calls: 0,
    failed: 0,
    tokens: [3, 6, 166758, 2487],
    thinking: 0,
    sessionId: "258c7280-ae70-4798-800f-63464d01a85d",
    counted: { "user/meta": 2 },
  },
};

function parse(file: string): { first: string; events: Captured[]; facts: SessionFacts } {
  const lines = readFileSync(join(DIR, file), "utf8").split("\n");
  const parser = claudeAdapter.parser("session");
  const events: Captured[] = [];
  for (const line of lines) events.push(...parser.line(line));
  events.push(...parser.end());
  return { first: lines[0] ?? "", events, facts: parser.facts() };
}

const usageOf = (e: Captured) => (e.data as { usage?: Usage }).usage;

describe("public Claude Code session files", () => {
  it("every file has expectations", () => {
    expect(readdirSync(DIR).filter((f) => f.endsWith(".jsonl")).sort()).toEqual(Object.keys(FILES).sort());
  });

  describe.each(Object.entries(FILES))("%s", (file, want) => {
    const { first, events, facts } = parse(file);
    const nested = (e: Captured) => (e.data as { parent_tool_call_id?: string }).parent_tool_call_id !== undefined;

    it("is a session file, parsed without a skipped line", () => {
      expect(claudeAdapter.detect(first)).toBe("session");
      expect(facts.skipped_lines).toBe(0);
      expect(facts.unknown_records).toEqual(want.counted ?? {});
    });

    it("has the tool calls and failures SOURCES.md lists", () => {
      const top = events.filter((e) => !nested(e));
      expect(top.filter((e) => e.event_type === "tool_call")).toHaveLength(want.calls);
      expect(top.filter((e) => e.event_type === "tool_result" && e.data.result === "error")).toHaveLength(want.failed);
      expect(top.filter((e) => e.event_type === "error" && e.data.error_source === "tool")).toHaveLength(want.failed);
      const [calls, failed] = want.nested ?? [0, 0];
      expect(events.filter((e) => nested(e) && e.event_type === "tool_call")).toHaveLength(calls);
      expect(events.filter((e) => nested(e) && e.event_type === "tool_result" && e.data.result === "error")).toHaveLength(failed);
      expect(events.filter((e) => e.event_type === "agent_thinking")).toHaveLength(want.thinking);
    });

    it("adds up to the transcript's own per-request token totals", () => {
      let sum: Usage | undefined;
      for (const e of events) sum = addUsage(sum, usageOf(e));
      expect(facts.total_usage).toBeUndefined();
      if (!want.tokens) {
        expect(sum).toBeUndefined();
        return;
      }
      const [input, output, cacheRead, cacheCreation] = want.tokens;
      expect([sum?.input, sum?.output, sum?.cache_read, sum?.cache_creation, sum?.total_tokens]).toEqual([
        input,
        output,
        cacheRead,
        cacheCreation,
        input + output + cacheRead + cacheCreation,
      ]);
    });

    it("keeps events valid and keys unique, and reports the session", () => {
      const keys = events.map((e) => e.key);
      expect(keys.every((k) => typeof k === "string")).toBe(true);
      expect(new Set(keys).size).toBe(keys.length);
      for (const e of events) expect(DATA_SCHEMAS[e.event_type].safeParse(e.data).success).toBe(true);
      expect(facts.session_id).toBe(want.sessionId);
      if (want.tokens) {
        expect(facts.model).toMatch(/claude/);
        expect(facts.prompt).toBeTruthy();
        expect(facts.agent_version).toMatch(/^[12]\.\d+\.\d+$/);
      }
    });

    it("pairs results with calls", () => {
      const calls = new Set(events.filter((e) => e.event_type === "tool_call").map((e) => e.data.tool_call_id));
      const unpaired = events.filter((e) => e.event_type === "tool_result" && !calls.has(e.data.tool_call_id));
      expect(unpaired).toHaveLength(0);
    });
  });
});
