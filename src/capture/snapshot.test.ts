import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { importLines, type LineSource, parseSplit, parseStraight, splitPoints, tickTimes } from "../../test/helpers/snapshot.js";
import type { Adapter, ParserSnapshot, SourceFormat } from "./adapter.js";
import { claudeAdapter } from "./claude/index.js";
import { codexAdapter } from "./codex/index.js";
import { detectLine } from "./detect.js";
import { geminiAdapter } from "./gemini/index.js";
import { TextParser, textAdapter } from "./text/index.js";

const REAL = join(import.meta.dirname, "..", "..", "test", "fixtures", "real");

interface Row {
  file: string;
  adapter: Adapter;
  format: SourceFormat;
  /** Whether some split falls where the parser holds something back (what end() would emit). */
  holds: boolean;
}

/**
 * Every agent transcript under test/fixtures/real (the test below fails on one without a row).
 * stderr is read by the text adapter, as `awl run` reads it. `holds`: Claude session files hold each
 * response's first event for its final usage; stdout only with partial messages (message_start
 * waits for message_delta); Gemini stdout holds text deltas, its session file each `gemini`
 * record; the text adapter holds unflushed output. Codex holds only to-do lists and running
 * processes, which these runs have none of (the public unified-exec rollout has).
 */
const ROWS: Row[] = [
  ...["success", "error_loop", "api_error"].flatMap((s): Row[] => [
    { file: `claude/${s}.session.jsonl`, adapter: claudeAdapter, format: "session", holds: true },
    { file: `claude/${s}.stdout.jsonl`, adapter: claudeAdapter, format: "stream", holds: false },
    { file: `claude/${s}.stderr.txt`, adapter: textAdapter, format: "stream", holds: false },
    { file: `codex/${s}.session.jsonl`, adapter: codexAdapter, format: "session", holds: false },
    { file: `codex/${s}.stdout.jsonl`, adapter: codexAdapter, format: "stream", holds: false },
    { file: `codex/${s}.stderr.txt`, adapter: textAdapter, format: "stream", holds: true },
    { file: `gemini/${s}.session.jsonl`, adapter: geminiAdapter, format: "session", holds: true },
    { file: `gemini/${s}.stdout.jsonl`, adapter: geminiAdapter, format: "stream", holds: true },
    { file: `gemini/${s}.stderr.txt`, adapter: textAdapter, format: "stream", holds: true },
  ]),
  { file: "claude_partial/success.session.jsonl", adapter: claudeAdapter, format: "session", holds: true },
  { file: "claude_partial/success.stdout.jsonl", adapter: claudeAdapter, format: "stream", holds: true },
  { file: "claude_partial/success.stderr.txt", adapter: textAdapter, format: "stream", holds: false },
];

/** Codex stdout names no time: its capture times are in the timeline awl recorded beside it. */
function seenAtFor(file: string, lines: string[]): (string | undefined)[] {
  if (!/^codex\/.*\.stdout\.jsonl$/.test(file)) return tickTimes(lines.length);
  const times = importLines(readFileSync(join(REAL, file.replace(/\.stdout\.jsonl$/, ".timeline.jsonl")), "utf8"))
    .map((l) => JSON.parse(l) as { t: string; stream: string; line: string })
    .filter((t) => t.stream === "stdout");
  expect(times.map((t) => t.line)).toEqual(lines);
  return times.map((t) => t.t);
}

function source(row: Row): LineSource {
  const lines = importLines(readFileSync(join(REAL, row.file), "utf8"));
  const stderr = row.file.endsWith(".stderr.txt");
  return {
    lines,
    seenAt: seenAtFor(row.file, lines),
    make: () => (stderr ? new TextParser("stderr") : row.adapter.parser(row.format)),
    restore: (snap) => row.adapter.restore(row.format, snap),
  };
}

describe("parser snapshots: resuming at any line of the real transcripts changes nothing", () => {
  it("every transcript under test/fixtures/real has a row", () => {
    const files = readdirSync(REAL).flatMap((d) =>
      statSync(join(REAL, d)).isDirectory()
        ? readdirSync(join(REAL, d))
            .filter((f) => /\.(?:session|stdout)\.jsonl$|\.stderr\.txt$/.test(f))
            .map((f) => `${d}/${f}`)
        : [],
    );
    expect(files.sort()).toEqual(ROWS.map((r) => r.file).sort());
  });

  it.each(ROWS)("$file", (row) => {
    const src = source(row);
    if (row.adapter !== textAdapter) {
      const found = detectLine(src.lines[0]!);
      expect([found?.adapter.id, found?.format]).toEqual([row.adapter.id, row.format]);
    }
    const straight = parseStraight(src);
    let held = 0;
    const ks = splitPoints(src.lines.length);
    expect(ks.length).toBe(src.lines.length + 1); // every k: the real transcripts are short
    for (const k of ks) {
      const run = parseSplit(src, k);
      expect(run.resumed, `${row.file} split at line ${k}`).toStrictEqual(straight);
      expect(run.original, `${row.file}: the parser after its snapshot at ${k}`).toStrictEqual(straight);
      expect(run.again, `${row.file}: restored from the snapshot value at ${k}`).toStrictEqual(straight);
      // Byte for byte as written, key order included.
      expect(JSON.stringify(run.resumed), `${row.file} split at line ${k}, as JSON`).toBe(JSON.stringify(straight));
      expect(run.snapshot).toMatchObject({ adapter: row.adapter.id, format: row.format });
      if (run.held > 0) held++;
    }
    expect(held > 0, `${row.file}: a split where something is held back`).toBe(row.holds);
  });
});

describe("parser snapshots: only their own adapter, format and version restore them", () => {
  const FORMATS: { adapter: Adapter; format: SourceFormat; file: string }[] = [
    { adapter: claudeAdapter, format: "session", file: "claude/success.session.jsonl" },
    { adapter: claudeAdapter, format: "stream", file: "claude/success.stdout.jsonl" },
    { adapter: codexAdapter, format: "session", file: "codex/success.session.jsonl" },
    { adapter: codexAdapter, format: "stream", file: "codex/success.stdout.jsonl" },
    { adapter: geminiAdapter, format: "session", file: "gemini/success.session.jsonl" },
    { adapter: geminiAdapter, format: "stream", file: "gemini/success.stdout.jsonl" },
    { adapter: textAdapter, format: "stream", file: "gemini/api_error.stderr.txt" },
  ];
  const snapshotOf = (f: (typeof FORMATS)[number]): ParserSnapshot => {
    const lines = importLines(readFileSync(join(REAL, f.file), "utf8"));
    const p = f.adapter.parser(f.format);
    for (const l of lines.slice(0, Math.ceil(lines.length / 2))) p.line(l, "2026-01-02T03:04:05.000Z");
    return JSON.parse(JSON.stringify(p.snapshot())) as ParserSnapshot;
  };

  it.each(FORMATS)("$adapter.id $format", (f) => {
    const snap = snapshotOf(f);
    expect(f.adapter.restore(f.format, snap).ok).toBe(true);
    for (const other of FORMATS) {
      if (other === f) continue;
      const r = other.adapter.restore(other.format, snap);
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.reason).toBe(other.adapter !== f.adapter ? "other_adapter" : "other_format");
    }
    for (const version of [snap.version + 1, snap.version - 1, 0]) {
      const r = f.adapter.restore(f.format, { ...snap, version });
      expect(r).toMatchObject({ ok: false, reason: "other_version" });
    }
    for (const junk of [null, 42, "x", [], {}, { adapter: f.adapter.id, format: f.format }, { ...snap, version: "1" }]) {
      expect(f.adapter.restore(f.format, junk)).toMatchObject({ ok: false, reason: "not_a_snapshot" });
    }
    for (const state of [null, {}, [], { ...(snap.state as object), facts: null }]) {
      const r = f.adapter.restore(f.format, { ...snap, state });
      expect(r).toMatchObject({ ok: false, reason: "bad_state" });
      if (!r.ok) expect(r.message).not.toContain("\n");
    }
  });

  it("a held event index that points nowhere is refused, not trusted", () => {
    const lines = importLines(readFileSync(join(REAL, "claude/success.session.jsonl"), "utf8"));
    const p = claudeAdapter.parser("session");
    let snap: ParserSnapshot | undefined;
    for (const l of lines) {
      p.line(l);
      const s = p.snapshot();
      if ((s.state as { queue: unknown[] }).queue.length > 0) {
        snap = s;
        break;
      }
    }
    expect(snap).toBeDefined();
    const state = snap!.state as { queue: unknown[] };
    const r = claudeAdapter.restore("session", { ...snap, state: { ...state, queue: [] } });
    expect(r).toMatchObject({ ok: false, reason: "bad_state" });
  });

  it("a trace kind this awl does not know is refused", () => {
    const p = new TextParser("stderr");
    p.line("Traceback (most recent call last):");
    const snap = p.snapshot();
    const state = snap.state as { trace: { kind: string } };
    expect(state.trace.kind).toBe("python");
    const r = textAdapter.restore("stream", { ...snap, state: { ...state, trace: { ...state.trace, kind: "cobol" } } });
    expect(r).toMatchObject({ ok: false, reason: "bad_state" });
  });
});

/** The ids a round of a transcript names, made unique per round, so a file of many rounds is a long session, not one repeated. */
const ID = /\b(?:msg|toolu|call|resp)_[0-9a-f]{16,}\b|\bitem_\d+\b|\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b|\b[a-z_]+__[a-z_]+_\d+_\d+\b/g;

function rounds(lines: string[], n: number): string[] {
  const out: string[] = [];
  for (let r = 0; r < n; r++) for (const l of lines) out.push(l.replace(ID, (m) => `${m}r${r}`));
  return out;
}

/** Transcripts made long by repeating them; `cap`: the most their snapshot may take, whatever the length. */
const LONG = [
    { file: "claude/success.session.jsonl", adapter: claudeAdapter, format: "session" as const, cap: 60_000 },
    { file: "claude_partial/success.stdout.jsonl", adapter: claudeAdapter, format: "stream" as const, cap: 60_000 },
    { file: "codex/success.session.jsonl", adapter: codexAdapter, format: "session" as const, cap: 50_000 },
    { file: "codex/success.stdout.jsonl", adapter: codexAdapter, format: "stream" as const, cap: 5_000 },
    { file: "gemini/success.session.jsonl", adapter: geminiAdapter, format: "session" as const, cap: 50_000 },
    { file: "gemini/success.stdout.jsonl", adapter: geminiAdapter, format: "stream" as const, cap: 15_000 },
  ];

describe("parser snapshots stay bounded", () => {
  it("on the largest real transcript, at every line, well under the file's size", () => {
    const largest = ROWS.map((r) => ({ row: r, size: statSync(join(REAL, r.file)).size })).sort((a, b) => b.size - a.size)[0]!;
    expect(largest.row.file).toBe("codex/error_loop.session.jsonl");
    const src = source(largest.row);
    let most = 0;
    for (const k of splitPoints(src.lines.length)) most = Math.max(most, parseSplit(src, k).size);
    // The facts, 49 lines' worth of calls and response ids, and the last token_count line.
    expect(most).toBeLessThan(largest.size / 8);
  });

  // Past the windows, a restored parser forgets exactly what the parser straight through forgets.
  it.each(LONG)("$file repeated: resuming after the windows filled changes nothing", ({ file, adapter, format }) => {
    const lines = rounds(importLines(readFileSync(join(REAL, file), "utf8")), 100);
    const src: LineSource = { lines, seenAt: tickTimes(lines.length), make: () => adapter.parser(format), restore: (snap) => adapter.restore(format, snap) };
    const straight = parseStraight(src);
    for (const k of [Math.floor(lines.length / 2), lines.length - 7]) {
      const run = parseSplit(src, k);
      expect(JSON.stringify(run.resumed), `split at ${k}`).toBe(JSON.stringify(straight));
    }
  });

  // A session of a few hundred rounds of a real transcript, each with its own ids: the snapshot
  // stops growing once the windows are full, whatever the length of the file.
  it.each(LONG)("$file repeated", ({ file, adapter, format, cap }) => {
    const one = importLines(readFileSync(join(REAL, file), "utf8"));
    const sizeAfter = (n: number): { snapshot: number; file: number } => {
      const lines = rounds(one, n);
      const p = adapter.parser(format);
      const at = tickTimes(lines.length);
      for (const [i, l] of lines.entries()) p.line(l, at[i]);
      const snap = p.snapshot();
      // Still a working snapshot after all that.
      expect(adapter.restore(format, JSON.parse(JSON.stringify(snap))).ok).toBe(true);
      return { snapshot: JSON.stringify(snap).length, file: lines.reduce((s, l) => s + l.length + 1, 0) };
    };
    // Enough rounds to fill every window (Codex: 6 response ids a round, 512 kept).
    const half = sizeAfter(120);
    const full = sizeAfter(240);
    expect(full.snapshot).toBeLessThan(cap);
    expect(full.snapshot).toBeLessThan(half.snapshot * 1.05);
    expect(full.snapshot).toBeLessThan(full.file / 50);
  });
});
