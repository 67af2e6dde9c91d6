import type { Captured, LineParser, ParserSnapshot, RestoreResult } from "../../src/capture/adapter.js";

/**
 * The resume check of parser snapshots: a parse straight through a file, against a parse of its
 * first k lines, a snapshot, a JSON round trip, a restore and a parse of the rest.
 */

export interface LineSource {
  lines: readonly string[];
  /** The capture time of each line, passed alike to both parses. */
  seenAt: readonly (string | undefined)[];
  make: () => LineParser;
  restore: (snapshot: unknown) => RestoreResult;
}

export interface Parsed {
  events: unknown[];
  facts: unknown;
  /** The parser's snapshot after the last line, before end(): the state itself must agree too. */
  state: unknown;
}

/** A file's lines as `awl import` passes them: blank lines dropped, a CR before the newline cut. */
export function importLines(text: string): string[] {
  return text
    .split("\n")
    .filter((l) => l.trim() !== "")
    .map((l) => (l.endsWith("\r") ? l.slice(0, -1) : l));
}

/** One capture time a line, 100 ms apart: for formats whose records carry no time of their own. */
export function tickTimes(n: number, from = Date.parse("2026-01-02T03:04:05.000Z")): string[] {
  return Array.from({ length: n }, (_, i) => new Date(from + i * 100).toISOString());
}

/** What is written in the end, as JSON has it: events and facts, and the parser's last state. */
function finish(p: LineParser, events: Captured[]): Parsed {
  const state = p.snapshot();
  events.push(...p.end());
  return JSON.parse(JSON.stringify({ events, facts: p.facts(), state })) as Parsed;
}

export function parseStraight(src: LineSource): Parsed {
  const p = src.make();
  const events: Captured[] = [];
  src.lines.forEach((l, i) => {
    events.push(...p.line(l, src.seenAt[i]));
  });
  return finish(p, events);
}

export interface SplitRun {
  /** Straight to k, snapshot, JSON round trip, restore, the rest, end(). */
  resumed: Parsed;
  /** The parser the snapshot was taken from, going on as if it had not been. */
  original: Parsed;
  /** A second restore from the snapshot object itself, taken before the original went on. */
  again: Parsed;
  /** JSON length of the snapshot. */
  size: number;
  /** Events end() returns right after the restore: what was held back across the split. */
  held: number;
  snapshot: ParserSnapshot;
}

export function parseSplit(src: LineSource, k: number): SplitRun {
  const p = src.make();
  const head: Captured[] = [];
  for (let i = 0; i < k; i++) head.push(...p.line(src.lines[i]!, src.seenAt[i]));
  // Asking for the facts so far (as import does) must not change what the snapshot holds.
  p.facts();
  const snapshot = p.snapshot();
  const json = JSON.stringify(snapshot);

  const rest = (q: LineParser): Parsed => {
    const events = [...head];
    for (let i = k; i < src.lines.length; i++) events.push(...q.line(src.lines[i]!, src.seenAt[i]));
    return finish(q, events);
  };
  const restored = (from: unknown): LineParser => {
    const r = src.restore(from);
    if (!r.ok) throw new Error(`restore refused at k=${k}: ${r.reason}: ${r.message}`);
    return r.parser;
  };

  const resumed = rest(restored(JSON.parse(json)));
  const original = rest(p);
  const again = rest(restored(snapshot));
  const held = restored(JSON.parse(json)).end().length;
  return { resumed, original, again, size: json.length, held, snapshot };
}

/** Every k for a short file; else 0, 1, 2, the quarters, the last two and about `samples` more between. */
export function splitPoints(n: number, every = 150, samples = 40): number[] {
  if (n <= every) return Array.from({ length: n + 1 }, (_, k) => k);
  const ks = new Set([0, 1, 2, Math.floor(n / 4), Math.floor(n / 2), Math.floor((3 * n) / 4), n - 1, n]);
  const step = Math.max(1, Math.floor(n / samples));
  for (let k = 3; k < n; k += step) ks.add(k);
  return [...ks].sort((a, b) => a - b);
}
