import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { Captured, SessionFacts } from "../../src/capture/adapter.js";
import { geminiAdapter } from "../../src/capture/gemini/index.js";
import { eventInputSchema, type Usage } from "../../src/schema/index.js";
import { PUBLIC_FIXTURES } from "../helpers/shared.js";

// Genuine Gemini CLI session files from other open-source projects, read where they are (never
// copied into this project): ../shared/fixtures/public/gemini, described in ../SOURCES.md.
const DIR = join(PUBLIC_FIXTURES, "gemini");
const SOURCES = join(DIR, "..", "SOURCES.md");

interface Expected {
  session: string;
  toolCalls: number;
  failed: number;
  models: string[];
}

/** The SOURCES.md row of each file: "session eefc44a3… (main…), 11 tool calls, 1 failed, models a, b, format json". */
function expectedFromSources(): Map<string, Expected> {
  const rows = new Map<string, Expected>();
  for (const line of readFileSync(SOURCES, "utf8").split("\n")) {
    const m = /^\| gemini\/(\S+) \| gemini \|.*\| session ([0-9a-f]+)… \(.*?\), (\d+) tool calls, (\d+) failed, models (.+?), format /.exec(line);
    if (m) rows.set(m[1]!, { session: m[2]!, toolCalls: Number(m[3]), failed: Number(m[4]), models: m[5]!.split(", ") });
  }
  return rows;
}

// Token totals computed independently of the adapter, with a Python one-off over each file:
// take the `gemini` messages (JSONL: lines with `id` and `type`, de-duplicated by `id`, the last
// version kept), and per message with `tokens`: input = tokens.input − tokens.cached +
// tokens.tool, cache_read = cached, output = tokens.output, reasoning = tokens.thoughts; summed.
// Each sum's total also equals the sum of Gemini's own `tokens.total` over the same messages
// (every record: input + output + thoughts + tool = total; `tool` was 0 everywhere).
const TOKENS: Record<string, Usage> = {
  "2025-10-05-noninteractive.json": { input: 140022, cache_read: 326620, output: 3302, reasoning: 3642, total_tokens: 473586 },
  "2025-10-21-pomodoro.json": { input: 34028, cache_read: 86702, output: 4875, reasoning: 1348, total_tokens: 126953 },
  "2025-12-01-image-preview.json": { input: 45092, cache_read: 56538, output: 2734, reasoning: 1493, total_tokens: 105857 },
  "2026-01-16-file-ops.json": { input: 25301, cache_read: 62117, output: 1441, reasoning: 2914, total_tokens: 91773 },
  "2026-03-27-toolcalls.json": { input: 36522, cache_read: 39826, output: 9325, reasoning: 11616, total_tokens: 97289 },
  "2026-04-23-init.jsonl": { input: 153635, cache_read: 48951, output: 2152, reasoning: 2141, total_tokens: 206879 },
};

function parseFile(file: string): { events: Captured[]; facts: SessionFacts; how: string } {
  const text = readFileSync(join(DIR, file), "utf8");
  const lines = text.split("\n");
  const format = geminiAdapter.detect(lines[0]!);
  if (format) {
    const p = geminiAdapter.parser(format);
    const events: Captured[] = [];
    for (const l of lines) events.push(...p.line(l));
    events.push(...p.end());
    return { events, facts: p.facts(), how: format };
  }
  const doc: unknown = JSON.parse(text);
  expect(geminiAdapter.detectDocument?.(doc)).toBe(true);
  return { ...geminiAdapter.parseDocument!(doc), how: "document" };
}

function usageSum(events: Captured[]): Usage {
  const s = { input: 0, cache_read: 0, output: 0, reasoning: 0, total_tokens: 0 };
  for (const e of events) {
    const u = "usage" in e.data ? (e.data.usage as Usage | undefined) : undefined;
    if (!u) continue;
    s.input += u.input ?? 0;
    s.cache_read += u.cache_read ?? 0;
    s.output += u.output ?? 0;
    s.reasoning += u.reasoning ?? 0;
    s.total_tokens += u.total_tokens ?? 0;
  }
  return s;
}

const files = readdirSync(DIR).filter((f) => f.endsWith(".json") || f.endsWith(".jsonl"));
const expected = expectedFromSources();

describe("public Gemini CLI session files", () => {
  it("are all listed in SOURCES.md and here", () => {
    expect(files.length).toBeGreaterThan(0);
    expect(new Set(files)).toEqual(new Set(expected.keys()));
    expect(new Set(files)).toEqual(new Set(Object.keys(TOKENS)));
  });

  it.each(files)("%s: recognised, parsed without loss, counts as SOURCES.md says", (file) => {
    const want = expected.get(file)!;
    const { events, facts, how } = parseFile(file);
    expect(how).toBe(file.endsWith(".jsonl") ? "session" : "document");
    expect(facts.skipped_lines).toBe(0);
    expect(facts.unknown_records).toEqual({});
    expect(facts.session_id?.startsWith(want.session)).toBe(true);
    expect(want.models).toContain(facts.model);
    expect(facts.prompt).toBeTruthy();

    const calls = events.filter((e) => e.event_type === "tool_call");
    const results = events.filter((e) => e.event_type === "tool_result");
    expect(calls).toHaveLength(want.toolCalls);
    expect(results).toHaveLength(want.toolCalls);
    expect(results.filter((e) => e.data.result === "error")).toHaveLength(want.failed);
    expect(events.filter((e) => e.event_type === "error" && e.data.error_source === "tool")).toHaveLength(want.failed);

    for (const e of events) expect(eventInputSchema.safeParse({ ...e, attempt_id: "public" }).success).toBe(true);
    const keys = events.map((e) => e.key).filter((k) => k !== undefined);
    expect(new Set(keys).size).toBe(keys.length);
  });

  it.each(files)("%s: tokens equal the independent computation", (file) => {
    expect(usageSum(parseFile(file).events)).toEqual(TOKENS[file]);
  });
});
