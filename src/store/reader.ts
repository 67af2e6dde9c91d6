import { createReadStream } from "node:fs";
import { open } from "node:fs/promises";
import { createGunzip } from "node:zlib";
import { type AwlEvent, eventSchema, type MetricsRecord, metricsRecordSchema } from "../schema/index.js";
import { LineCutter } from "./lines.js";

/**
 * The one reader of every JSONL file awl keeps, live or archived (`.gz`). It streams in
 * chunks, so memory stays bounded whatever the file's size; a line longer than
 * `maxLineBytes` is skipped without ever being held whole. Lines that are torn (a writer
 * killed mid-line), not JSON, or not of the expected schema are skipped and counted in
 * `ReadStats`, never thrown: callers report the counts once per file.
 */
export interface ReadStats {
  file: string;
  lines: number;
  records: number;
  skipped: { invalid_json: number; invalid_schema: number; oversized: number; torn_final: number };
  /** Records recovered from a line where a torn line and a whole one were glued together. */
  salvaged: number;
  /** Byte offset just past the last complete line (plain files; where a tail resumes). */
  endOffset: number;
}

export interface ReadOptions<T> {
  /** Validates a parsed line: returns the record, or undefined to skip it as invalid_schema. */
  accept: (value: unknown) => T | undefined;
  maxLineBytes?: number;
  /** Start at this byte offset (plain files only). */
  start?: number;
  /** A final line without a newline: "torn" (default, counted as skipped) or "parse" (a finished file written by another tool). */
  finalLine?: "torn" | "parse";
  /** Called once per file with the stats when reading ends. */
  onStats?: (stats: ReadStats) => void;
  /** false: hand each non-empty line to `accept` as text, unparsed (adapters parse agents' lines themselves). */
  json?: boolean;
}

const CHUNK = 1 << 20;
// Our writer puts this first on every line: a torn line glued to a whole one is recovered from it.
const LINE_START = '{"schema_version":';

export function emptyStats(file: string): ReadStats {
  return { file, lines: 0, records: 0, skipped: { invalid_json: 0, invalid_schema: 0, oversized: 0, torn_final: 0 }, salvaged: 0, endOffset: 0 };
}

export function skippedTotal(s: ReadStats): number {
  return s.skipped.invalid_json + s.skipped.invalid_schema + s.skipped.oversized + s.skipped.torn_final;
}

/** One line of text describing what was skipped, or undefined if nothing was. */
export function describeSkips(s: ReadStats): string | undefined {
  const parts = Object.entries(s.skipped)
    .filter(([, n]) => n > 0)
    .map(([k, n]) => `${n} ${k.replace("_", " ")}`);
  if (parts.length === 0) return undefined;
  return `${s.file}: skipped ${parts.join(", ")} line${skippedTotal(s) === 1 ? "" : "s"}`;
}

/** Yields the file's valid records in batches (one per chunk read), in file order. */
export async function* readRecords<T>(path: string, opts: ReadOptions<T>): AsyncGenerator<T[], ReadStats> {
  const stats = emptyStats(path);
  const gz = await isGzip(path).catch((err: unknown) => {
    throw named(path, err);
  });
  const source = gz
    ? createReadStream(path).pipe(createGunzip())
    : createReadStream(path, { start: opts.start ?? 0, highWaterMark: CHUNK });
  const cut = new LineCutter(gz ? 0 : (opts.start ?? 0), opts.maxLineBytes);

  const take = (text: string, out: T[]) => {
    stats.lines++;
    const value = opts.json === false ? (text.trim() === "" ? undefined : text) : parseLine(text, stats);
    if (value === undefined) return;
    const rec = opts.accept(value);
    if (rec === undefined) {
      stats.skipped.invalid_schema++;
      return;
    }
    stats.records++;
    out.push(rec);
  };

  let torn = false;
  try {
    for await (const chunk of source as AsyncIterable<Buffer>) {
      const out: T[] = [];
      cut.push(chunk, (line) => take(line, out));
      if (out.length) yield out;
    }
  } catch (err) {
    if (!gz) throw named(path, err);
    // A truncated or corrupt archive: keep what was read, count the rest as one torn line.
    torn = true;
  }
  stats.lines += cut.oversized;
  stats.skipped.oversized = cut.oversized;
  stats.endOffset = cut.offset;
  const last = torn ? undefined : cut.rest();
  if (torn) stats.skipped.torn_final++;
  else if (last !== undefined) {
    if (opts.finalLine === "parse") {
      const out: T[] = [];
      take(last, out);
      if (out.length) yield out;
    } else {
      stats.lines++;
      stats.skipped.torn_final++;
    }
  }
  opts.onStats?.(stats);
  return stats;
}

/** A log that is a directory (`mkdir agent-alerts.jsonl`) is named in the error; Node's EISDIR names no file. */
function named(path: string, err: unknown): unknown {
  return (err as NodeJS.ErrnoException)?.code === "EISDIR" ? new Error(`${path} is a directory, not a log file`) : err;
}

function parseLine(trimmed: string, stats: ReadStats): unknown {
  if (trimmed.trim() === "") return undefined;
  try {
    return JSON.parse(trimmed);
  } catch {
    const at = trimmed.lastIndexOf(LINE_START);
    if (at > 0) {
      try {
        const value = JSON.parse(trimmed.slice(at));
        stats.salvaged++;
        stats.skipped.invalid_json++; // the torn part
        return value;
      } catch {
        // not recoverable either
      }
    }
    stats.skipped.invalid_json++;
    return undefined;
  }
}

/** By name or, for a file renamed without it, by the gzip magic bytes. */
export async function isGzip(path: string): Promise<boolean> {
  if (path.endsWith(".gz")) return true;
  const fh = await open(path, "r");
  try {
    const b = Buffer.alloc(2);
    const { bytesRead } = await fh.read(b, 0, 2, 0);
    return bytesRead === 2 && b[0] === 0x1f && b[1] === 0x8b;
  } finally {
    await fh.close();
  }
}

export const acceptEvent = (v: unknown): AwlEvent | undefined => {
  const r = eventSchema.safeParse(v);
  return r.success ? r.data : undefined;
};

export const acceptMetrics = (v: unknown): MetricsRecord | undefined => {
  const r = metricsRecordSchema.safeParse(v);
  return r.success ? r.data : undefined;
};

/** Convenience: every valid event of a file, calling `onEvent` in file order. */
export async function forEachEvent(
  path: string,
  onEvent: (e: AwlEvent) => void,
  opts: Omit<ReadOptions<AwlEvent>, "accept"> = {},
): Promise<ReadStats> {
  const it = readRecords(path, { ...opts, accept: acceptEvent });
  for (;;) {
    const r = await it.next();
    if (r.done) return r.value;
    for (const e of r.value) onEvent(e);
  }
}

/** The first valid event of a file (an attempt's session file starts with its session_start), or undefined. */
export async function firstEvent(path: string): Promise<AwlEvent | undefined> {
  try {
    for await (const batch of readRecords(path, { accept: acceptEvent })) if (batch[0]) return batch[0];
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
  }
  return undefined;
}

/**
 * The last `n` complete lines of a plain file, read backwards in chunks (a long log is not
 * read whole), and the byte offset just past them, where a follower continues.
 */
export async function readLastLines(path: string, n: number): Promise<{ lines: string[]; endOffset: number }> {
  const fh = await open(path, "r");
  if (n === 0) {
    try {
      return { lines: [], endOffset: await endOfLastLine(fh) };
    } finally {
      await fh.close();
    }
  }
  try {
    const size = (await fh.stat()).size;
    const step = 64 * 1024;
    let pos = size;
    let chunks: Buffer[] = [];
    let newlines = 0;
    let end = -1; // offset just past the last newline
    while (pos > 0 && newlines <= n) {
      const len = Math.min(step, pos);
      pos -= len;
      const b = Buffer.alloc(len);
      await fh.read(b, 0, len, pos);
      for (let i = len - 1; i >= 0; i--) {
        if (b[i] !== 0x0a) continue;
        if (end === -1) end = pos + i + 1;
        newlines++;
      }
      chunks = [b, ...chunks];
    }
    if (end === -1) return { lines: [], endOffset: 0 };
    const all = Buffer.concat(chunks);
    const text = all.toString("utf8", 0, end - pos);
    const lines = text.split("\n");
    lines.pop(); // after the final newline
    return { lines: lines.slice(-n).filter((l) => l.length > 0), endOffset: end };
  } finally {
    await fh.close();
  }
}

/** The offset just past the file's last newline (a partial last line is left for later). */
async function endOfLastLine(fh: Awaited<ReturnType<typeof open>>): Promise<number> {
  let pos = (await fh.stat()).size;
  const b = Buffer.alloc(64 * 1024);
  while (pos > 0) {
    const len = Math.min(b.length, pos);
    pos -= len;
    await fh.read(b, 0, len, pos);
    const i = b.subarray(0, len).lastIndexOf(0x0a);
    if (i !== -1) return pos + i + 1;
  }
  return 0;
}

/** Every non-empty line of a file as text, in batches, with the same skip accounting as readRecords. */
export function readLines(path: string, opts: Omit<ReadOptions<string>, "accept" | "json"> = {}): AsyncGenerator<string[], ReadStats> {
  return readRecords(path, { ...opts, json: false, accept: (v) => v as string });
}
