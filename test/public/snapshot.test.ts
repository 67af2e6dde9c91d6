import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { detectDocument, detectLine } from "../../src/capture/detect.js";
import { PUBLIC_FIXTURES } from "../helpers/shared.js";
import { importLines, type LineSource, parseSplit, parseStraight, splitPoints, tickTimes } from "../helpers/snapshot.js";

/**
 * Parser snapshots against the third-party session files (read where they lie, never copied;
 * ../shared/fixtures/public/SOURCES.md): for every file read line by line, parsing the first k
 * lines, snapshotting, a JSON round trip, restoring and parsing the rest gives what one parse
 * straight through gives. The whole-document Gemini files (`.json`) have no lines to resume at.
 */
const FILES = ["claude", "codex", "gemini"].flatMap((d) =>
  readdirSync(join(PUBLIC_FIXTURES, d))
    .filter((f) => /\.jsonl?$/.test(f))
    .map((f) => `${d}/${f}`)
    .sort(),
);

function read(file: string): { text: string; lines: string[] } {
  const text = readFileSync(join(PUBLIC_FIXTURES, file), "utf8");
  return { text, lines: importLines(text) };
}

const LINE_FILES = FILES.filter((f) => detectLine(read(f).lines[0] ?? "") !== undefined);

function source(file: string): LineSource {
  const { lines } = read(file);
  const found = detectLine(lines[0]!)!;
  return {
    lines,
    seenAt: tickTimes(lines.length),
    make: () => found.adapter.parser(found.format),
    restore: (snap) => found.adapter.restore(found.format, snap),
  };
}

describe("parser snapshots on the public session files", () => {
  it("every file is read line by line, except the whole-document Gemini files", () => {
    const documents = FILES.filter((f) => !LINE_FILES.includes(f));
    expect(documents.length).toBeGreaterThan(0);
    for (const f of documents) {
      expect(f).toMatch(/^gemini\/.*\.json$/);
      expect(detectDocument(JSON.parse(read(f).text))?.id).toBe("gemini");
    }
    expect(LINE_FILES.filter((f) => f.startsWith("claude/")).length).toBe(16);
    expect(LINE_FILES.filter((f) => f.startsWith("codex/")).length).toBe(4);
    expect(LINE_FILES.filter((f) => f.startsWith("gemini/")).length).toBe(1);
  });

  // Held across some split: Claude's responses waiting for their final usage, Gemini's records
  // waiting for their last version, and the unified-exec rollout's processes still running.
  const HOLDS = /^claude\/(?!v1\.0\.17-summary-only)|^gemini\/|^codex\/v0\.125\.0-tui-unified-exec/;

  it.each(LINE_FILES)("%s", (file) => {
    const src = source(file);
    const straight = parseStraight(src);
    let held = 0;
    for (const k of splitPoints(src.lines.length)) {
      const run = parseSplit(src, k);
      expect(run.resumed, `${file} split at line ${k}`).toStrictEqual(straight);
      expect(run.original, `${file}: the parser after its snapshot at ${k}`).toStrictEqual(straight);
      expect(run.again, `${file}: restored from the snapshot value at ${k}`).toStrictEqual(straight);
      // Byte for byte as written, key order included.
      expect(JSON.stringify(run.resumed), `${file} split at line ${k}, as JSON`).toBe(JSON.stringify(straight));
      if (run.held > 0) held++;
    }
    expect(held > 0, `${file}: a split where something is held back`).toBe(HOLDS.test(file));
  });

  it("the snapshot of the largest file stays a small fraction of it at every split", () => {
    const [largest] = LINE_FILES.map((f) => ({ f, size: statSync(join(PUBLIC_FIXTURES, f)).size })).sort((a, b) => b.size - a.size);
    expect(largest!.f).toBe("claude/v2.0.76-errors.jsonl");
    const src = source(largest!.f);
    let most = 0;
    for (const k of splitPoints(src.lines.length)) most = Math.max(most, parseSplit(src, k).size);
    // Most of it is held events: the tool results (file contents) of a response waiting behind
    // its first event for the response's final usage (72 kB of 1.38 MB at the worst line).
    expect(most).toBeLessThan(largest!.size / 10);
  });
});
