import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { Captured, SessionFacts } from "../../src/capture/adapter.js";
import { detectDocument, detectLine } from "../../src/capture/detect.js";
import { importPaths } from "../../src/capture/import.js";
import { loadConfig } from "../../src/config/index.js";
import type { AwlEvent } from "../../src/schema/index.js";
import { logPaths } from "../../src/store/paths.js";
import { PUBLIC_FIXTURES } from "../helpers/shared.js";

// `awl import` of every third-party session file under ../shared/fixtures/public (never copied
// into the project): each imports without error, and what lands in the log is exactly what the
// agent's adapter read — every tool call, every failed result, the same token totals — and a
// second import adds nothing.
const PUBLIC = PUBLIC_FIXTURES;
const files = ["claude", "codex", "gemini"].flatMap((agent) => readdirSync(join(PUBLIC, agent)).map((f) => join(PUBLIC, agent, f)));
const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function adapterRead(path: string): { events: Captured[]; facts: SessionFacts } | undefined {
  const text = readFileSync(path, "utf8");
  const lines = text.split("\n");
  const found = detectLine(lines.find((l) => l.trim()) ?? "");
  if (found) {
    const p = found.adapter.parser(found.format);
    const events = lines.filter((l) => l.trim()).flatMap((l) => p.line(l));
    events.push(...p.end());
    return { events, facts: p.facts() };
  }
  const adapter = detectDocument(JSON.parse(text));
  return adapter?.parseDocument?.(JSON.parse(text));
}

describe.each(files)("awl import %s", (path) => {
  it("records exactly what the adapter reads, once", async () => {
    const logDir = mkdtempSync(join(tmpdir(), "awl-public-"));
    dirs.push(logDir);
    const config = { ...loadConfig({ env: {}, cwd: logDir }), logDir };
    const expected = adapterRead(path);
    const summary = await importPaths({ paths: [path], config });
    expect(summary.skipped_files).toEqual([]);
    expect(expected).toBeDefined();
    const logged = readFileSync(logPaths(logDir).stream, "utf8").trim().split("\n").map((l) => JSON.parse(l) as AwlEvent);
    const count = (list: { event_type: string; data: unknown }[], type: string, failed = false) =>
      list.filter((e) => e.event_type === type && (!failed || (e.data as { result?: string }).result === "error")).length;
    // Identical records (same key, or same content and time) are one event: that is the import's promise.
    const distinct = new Set(expected!.events.map((e) => e.key ?? `${e.event_type}${e.timestamp}${JSON.stringify(e.data)}`)).size;
    expect(summary.events).toBe(distinct);
    expect(count(logged, "tool_call")).toBe(count(expected!.events, "tool_call"));
    expect(count(logged, "tool_result", true)).toBe(count(expected!.events, "tool_result", true));
    const end = logged.find((e) => e.event_type === "session_end")!.data as { total_tokens?: number };
    const sum = expected!.events.reduce((s, e) => s + ((e.data as { usage?: { total_tokens?: number } }).usage?.total_tokens ?? 0), 0);
    expect(end.total_tokens ?? 0).toBe(expected!.facts.total_usage?.total_tokens ?? sum);

    const again = await importPaths({ paths: [path], config });
    expect(again).toMatchObject({ unchanged: 1, events: 0, sessions: 0 });
  });
});
