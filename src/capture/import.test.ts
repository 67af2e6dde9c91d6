import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { useTmpDir } from "../../test/helpers/tmp.js";
import { loadConfig } from "../config/index.js";
import { type AwlEvent, type MetricsRecord, mergeMetricsRecords } from "../schema/index.js";
import { logPaths } from "../store/paths.js";
import { importPaths } from "./import.js";

// The real transcripts of test/fixtures/real/ (see SOURCES.md there): for each agent and
// scenario, the CLI's stdout stream and its own session file.
const FIX = join(import.meta.dirname, "..", "..", "test", "fixtures", "real");
const AGENTS = ["claude", "codex", "gemini"] as const;
const SCENARIOS = ["success", "error_loop", "api_error"] as const;
const tmp = useTmpDir();

const configFor = (dir: string) => loadConfig({ flags: { logDir: dir }, env: {}, cwd: tmp() });

function eventsOf(dir: string): AwlEvent[] {
  return readFileSync(logPaths(dir).stream, "utf8").trim().split("\n").map((l) => JSON.parse(l) as AwlEvent);
}

/** Each attempt's metrics records merged, later over earlier: what analytics reads. */
function latestMetrics(dir: string): Map<string, MetricsRecord> {
  const by = new Map<string, MetricsRecord[]>();
  for (const l of readFileSync(logPaths(dir).metrics, "utf8").trim().split("\n")) {
    const m = JSON.parse(l) as MetricsRecord;
    by.set(m.attempt_id, [...(by.get(m.attempt_id) ?? []), m]);
  }
  return new Map([...by].map(([id, records]) => [id, mergeMetricsRecords(records)!]));
}

/** Per attempt: its event types and error fingerprints, counted, sorted. */
function shape(events: AwlEvent[]): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const e of events) {
    const fp = (e.data as { error_fingerprint?: string }).error_fingerprint;
    out[e.attempt_id] = [...(out[e.attempt_id] ?? []), fp ? `${e.event_type}:${fp}` : e.event_type];
  }
  for (const k of Object.keys(out)) out[k]!.sort();
  return out;
}

describe("importing a session's stream and its session file", () => {
  const pairs = AGENTS.flatMap((agent) => SCENARIOS.map((scenario) => ({ agent, scenario })));
  it.each(pairs)("$agent $scenario: either order records the same events, failures and totals", async ({ agent, scenario }) => {
    const results = [];
    for (const order of [
      ["session", "stdout"],
      ["stdout", "session"],
    ]) {
      const dir = tmp();
      for (const f of order) await importPaths({ paths: [join(FIX, agent, `${scenario}.${f}.jsonl`)], config: configFor(dir), jobs: 1 });
      const evs = eventsOf(dir);
      const errors = evs.filter((e) => e.event_type === "error").map((e) => (e.data as { error_fingerprint: string }).error_fingerprint);
      const [metrics] = [...latestMetrics(dir).values()];
      const m = metrics?.metrics;
      results.push({ errors: errors.sort(), calls: evs.filter((e) => e.event_type === "tool_call").length, tokens: m?.total_tokens, toolCalls: m?.tool_calls, errorCount: m?.errors });
    }
    expect(results[1]).toEqual(results[0]);
  });
});

describe("a file that grew after its import", () => {
  const files = AGENTS.flatMap((agent) => SCENARIOS.flatMap((scenario) => ["session", "stdout"].map((source) => ({ agent, scenario, source }))));
  it.each(files)("$agent $scenario $source: ends with the figures of the whole file", async ({ agent, scenario, source }) => {
    const text = readFileSync(join(FIX, agent, `${scenario}.${source}.jsonl`), "utf8");
    const lines = text.split("\n").filter((l) => l !== "");
    const whole = tmp();
    await importPaths({ paths: [join(FIX, agent, `${scenario}.${source}.jsonl`)], config: configFor(whole), jobs: 1 });
    const grown = tmp();
    const file = join(tmp(), "session.jsonl");
    writeFileSync(file, `${lines.slice(0, Math.ceil(lines.length / 2)).join("\n")}\n`);
    await importPaths({ paths: [file], config: configFor(grown), jobs: 1 });
    writeFileSync(file, text);
    await importPaths({ paths: [file], config: configFor(grown), jobs: 1 });
    const figures = (dir: string) => {
      const [m] = [...latestMetrics(dir).values()];
      const evs = eventsOf(dir);
      return { tokens: m?.metrics?.total_tokens, toolCalls: m?.metrics?.tool_calls, errors: m?.metrics?.errors, events: evs.filter((e) => e.event_type !== "session_end").length };
    };
    expect(figures(grown)).toEqual(figures(whole));
  });
});

describe("a grown file is read from where the last import stopped", () => {
  // The line before the new half is overwritten (same length, so offsets hold): read again,
  // it would be "not a record"; read from the saved offset, it is never seen.
  async function growWithGarbage(agent: string, scenario: string, source: string, now?: () => number) {
    const text = readFileSync(join(FIX, agent, `${scenario}.${source}.jsonl`), "utf8");
    const lines = text.split("\n").filter((l) => l !== "");
    const half = Math.ceil(lines.length / 2);
    const dir = tmp();
    const file = join(tmp(), "session.jsonl");
    writeFileSync(file, `${lines.slice(0, half).join("\n")}\n`);
    const first = await importPaths({ paths: [file], config: configFor(dir), jobs: 1, now });
    const garbled = [...lines];
    garbled[half - 1] = "x".repeat(Buffer.byteLength(lines[half - 1]!));
    expect(Buffer.byteLength(garbled.slice(0, half - 1).join("\n"))).toBeGreaterThan(4096); // past the 4 KiB head that is compared
    writeFileSync(file, `${garbled.join("\n")}\n`);
    const grown = await importPaths({ paths: [file], config: configFor(dir), jobs: 1, now });
    return { first, grown };
  }
  const big = [
    { agent: "claude", scenario: "success", source: "session" },
    { agent: "codex", scenario: "error_loop", source: "session" },
    { agent: "gemini", scenario: "success", source: "session" },
    { agent: "claude", scenario: "error_loop", source: "stdout" },
  ];
  it.each(big)("$agent $scenario $source", async ({ agent, scenario, source }) => {
    const { first, grown } = await growWithGarbage(agent, scenario, source);
    expect(first.events).toBeGreaterThan(0);
    expect(grown.skipped_lines).toEqual({});
    expect(grown.events).toBeGreaterThan(0);
    // Only what the parser held back at the first import's end comes again (recognised, not written).
    expect(grown.duplicates).toBeLessThan(first.events / 2);
  });
  it.each(["claude", "codex", "gemini"])("%s: another source written into the attempt meanwhile is read back, not assumed", async (agent) => {
    const session = readFileSync(join(FIX, agent, "error_loop.session.jsonl"), "utf8");
    const lines = session.split("\n").filter((l) => l !== "");
    const stdout = join(FIX, agent, "error_loop.stdout.jsonl");
    const file = join(tmp(), "session.jsonl");
    const grown = tmp();
    writeFileSync(file, `${lines.slice(0, Math.ceil(lines.length / 2)).join("\n")}\n`);
    await importPaths({ paths: [file], config: configFor(grown), jobs: 1 });
    await importPaths({ paths: [stdout], config: configFor(grown), jobs: 1 });
    writeFileSync(file, session);
    await importPaths({ paths: [file], config: configFor(grown), jobs: 1 });
    const whole = tmp();
    await importPaths({ paths: [join(FIX, agent, "error_loop.session.jsonl")], config: configFor(whole), jobs: 1 });
    await importPaths({ paths: [stdout], config: configFor(whole), jobs: 1 });
    const figures = (dir: string) => {
      const evs = eventsOf(dir);
      const [m] = [...latestMetrics(dir).values()];
      const fps = evs.filter((e) => e.event_type === "error").map((e) => (e.data as { error_fingerprint: string }).error_fingerprint);
      return { errors: fps.sort(), calls: evs.filter((e) => e.event_type === "tool_call").length, tokens: m?.metrics?.total_tokens, toolCalls: m?.metrics?.tool_calls };
    };
    expect(figures(grown)).toEqual(figures(whole));
  });
  it("a file last written longer ago than a day is read from its start when it grows", async () => {
    const { grown } = await growWithGarbage("claude", "success", "session", () => Date.now() + 2 * 86_400_000);
    expect(grown.skipped_lines).toEqual({ "not a record": 1 });
  });
});

describe("importing on several threads", () => {
  it("records what one thread records: the same events per attempt, whole sequences, no duplicates", async () => {
    const files = AGENTS.flatMap((a) => readdirSync(join(FIX, a)).filter((f) => /\.(stdout|session)\.jsonl$/.test(f)).map((f) => join(FIX, a, f)));
    expect(files.length).toBe(18);
    const one = tmp();
    const many = tmp();
    const s1 = await importPaths({ paths: files, config: configFor(one), jobs: 1 });
    const s3 = await importPaths({ paths: files, config: configFor(many), jobs: 3 });
    expect(s3.sessions).toBe(9);
    expect({ ...s3, skipped_files: [] }).toEqual({ ...s1, skipped_files: [] });

    const evs = eventsOf(many);
    // Two sources of one session land in different threads, one after the other, whichever
    // comes first: the errors and counts agree with one thread (the first test shows order does not matter).
    const strip = (s: Record<string, string[]>) => Object.fromEntries(Object.entries(s).map(([k, v]) => [k, v.filter((t) => t.startsWith("error") || t === "tool_call" || t.startsWith("session_"))]));
    expect(strip(shape(evs))).toEqual(strip(shape(eventsOf(one))));
    const totals = (dir: string) => Object.fromEntries([...latestMetrics(dir)].map(([id, m]) => [id, m.metrics?.total_tokens]));
    expect(totals(many)).toEqual(totals(one));
    for (const [attempt, list] of Object.entries(shape(evs))) {
      expect(list.filter((t) => t === "session_start"), attempt).toHaveLength(1);
      expect(list.filter((t) => t === "session_end"), attempt).toHaveLength(1);
    }
    // Every session file's sequence is whole: 0 … n-1 in file order, whichever thread wrote.
    for (const f of readdirSync(logPaths(many).sessions)) {
      const seqs = readFileSync(join(logPaths(many).sessions, f), "utf8").trim().split("\n").map((l) => (JSON.parse(l) as AwlEvent).sequence_num);
      expect(seqs, f).toEqual(seqs.map((_, i) => i));
    }
    const ids = evs.map((e) => (e.data as { record_id?: string }).record_id).filter((k) => k !== undefined);
    expect(new Set(ids).size).toBe(ids.length);
    // And again: nothing changed, nothing added, on any number of threads.
    const again = await importPaths({ paths: files, config: configFor(many), jobs: 3 });
    expect(again).toMatchObject({ files: 0, unchanged: 18, events: 0 });
  });

  it("stops with the thread's error when a file cannot be recorded", async () => {
    const dir = tmp();
    const files = ["success", "error_loop"].map((s) => join(FIX, "claude", `${s}.session.jsonl`));
    // A log directory that is a file: the first write fails in a worker; the import rejects with its message.
    const { writeFileSync } = await import("node:fs");
    const notDir = join(dir, "log-dir");
    writeFileSync(notDir, "");
    await expect(importPaths({ paths: files, config: configFor(notDir), jobs: 2 })).rejects.toThrow(/ENOTDIR|EEXIST|not a directory/);
  });
});

describe("the summary and odd files", () => {
  const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g;
  /** A real Claude Code session file, its records copied `copies` times with fresh ids (one session). */
  function longSession(copies: number): string {
    const lines = readFileSync(join(FIX, "claude", "success.session.jsonl"), "utf8").trim().split("\n");
    const session = (JSON.parse(lines.find((l) => l.includes('"sessionId"'))!) as { sessionId: string }).sessionId;
    const out: string[] = [];
    for (let k = 0; k < copies; k++) for (const l of lines) out.push(k === 0 ? l : l.replace(UUID, (m) => (m === session ? m : `${m.slice(0, 24)}${String(k).padStart(12, "0")}`)));
    return `${out.join("\n")}\n`;
  }

  it("counts every event written, beyond the first batch of 500", async () => {
    const dir = tmp();
    const file = join(tmp(), "long.jsonl");
    writeFileSync(file, longSession(200));
    const s = await importPaths({ paths: [file], config: configFor(dir), jobs: 1 });
    const written = eventsOf(dir).filter((e) => e.event_type !== "session_start" && e.event_type !== "session_end");
    expect(written.length).toBeGreaterThan(1000);
    expect(s.events).toBe(written.length);
  });

  it("reads a file that starts with a UTF-8 byte order mark from its first record", async () => {
    const plain = tmp();
    const bom = tmp();
    const text = readFileSync(join(FIX, "claude", "success.session.jsonl"), "utf8");
    const withBom = join(tmp(), "bom.jsonl");
    writeFileSync(withBom, `\ufeff${text}`);
    const a = await importPaths({ paths: [join(FIX, "claude", "success.session.jsonl")], config: configFor(plain), jobs: 1 });
    const b = await importPaths({ paths: [withBom], config: configFor(bom), jobs: 1 });
    expect(b.skipped_lines).toEqual(a.skipped_lines);
    expect(b.events).toBe(a.events);
    expect(eventsOf(bom)[0]?.data).toEqual(eventsOf(plain)[0]?.data);
  });
});
