import { createHash, randomBytes } from "node:crypto";
import { chmodSync, closeSync, createReadStream, createWriteStream, mkdirSync, openSync, readdirSync, readFileSync, readSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { basename, join } from "node:path";
import { pipeline } from "node:stream/promises";
import type { DuckDBConnection } from "@duckdb/node-api";
import { runOverJsonl } from "./long-lines.js";
import type { JsonlSource } from "./views.js";

/**
 * The incremental columnar cache of the event stream (`<log-dir>/.cache/analytics/`): the
 * narrow event rows of each archive (immutable once rotated: keyed by name, size and mtime)
 * and of the live stream in append-only segments (keyed by the file's identity, the byte
 * offset a segment ends at and a checksum of the bytes before it), as Parquet. A query
 * parses only what was appended since the last run; a rotated or rewritten live file, an
 * archive that changed, or a new version of the column list invalidates what it must.
 * Metrics and alerts are small and always read fresh, so late outcomes are never stale.
 * A segment only ever ends on a newline: a line being written is not cached half.
 */
export interface CachedPart {
  parquet: string;
}

interface ArchiveEntry {
  size: number;
  mtimeMs: number;
  parquet: string;
}

interface LiveSegment {
  start: number;
  end: number;
  parquet: string;
}

interface Manifest {
  version: string;
  archives: Record<string, ArchiveEntry>;
  live?: { name: string; dev: number; ino: number; checksum: string; segments: LiveSegment[] };
}

const CHECK_BYTES = 4096;
// Stale files (no manifest names them) are removed only after this long: another process may still be reading them.
const GC_AGE_MS = 60 * 60 * 1000;

function checksum(path: string, end: number): string {
  const start = Math.max(0, end - CHECK_BYTES);
  const buf = Buffer.alloc(end - start);
  const fd = openSync(path, "r");
  try {
    readSync(fd, buf, 0, buf.length, start);
  } finally {
    closeSync(fd);
  }
  return createHash("sha1").update(buf).digest("hex");
}

/** Bytes of the live file cached per Parquet segment (tests make it small). */
export let SEGMENT_BYTES = 64 * 1024 * 1024;
export function setSegmentBytes(n: number): void {
  SEGMENT_BYTES = n;
}

/** The offset just past the last newline before `pos` and at or after `min`; `min` when there is none. */
function lineEndBefore(path: string, pos: number, min: number): number {
  const fd = openSync(path, "r");
  try {
    const buf = Buffer.alloc(1 << 20);
    for (let end = pos; end > min; ) {
      const start = Math.max(min, end - buf.length);
      const n = readSync(fd, buf, 0, end - start, start);
      const i = buf.subarray(0, n).lastIndexOf(0x0a);
      if (i !== -1) return start + i + 1;
      end = start;
    }
    return min;
  } finally {
    closeSync(fd);
  }
}

/** A line end near `pos`: the last one before it, else (one line longer than a segment) the first after it. */
function lineEndNear(path: string, pos: number, min: number, max: number): number {
  const before = lineEndBefore(path, pos, min);
  if (before > min) return before;
  const fd = openSync(path, "r");
  try {
    const buf = Buffer.alloc(1 << 20);
    for (let start = pos; start < max; start += buf.length) {
      const n = readSync(fd, buf, 0, Math.min(buf.length, max - start), start);
      const i = buf.subarray(0, n).indexOf(0x0a);
      if (i !== -1) return start + i + 1;
    }
    return max;
  } finally {
    closeSync(fd);
  }
}

function lastByteIsNewline(path: string, size: number): boolean {
  if (size === 0) return true;
  const b = Buffer.alloc(1);
  const fd = openSync(path, "r");
  try {
    readSync(fd, b, 0, 1, size - 1);
  } finally {
    closeSync(fd);
  }
  return b[0] === 0x0a;
}

function readManifest(dir: string, version: string): Manifest {
  try {
    const m = JSON.parse(readFileSync(join(dir, "manifest.json"), "utf8")) as Manifest;
    if (m.version === version && m.archives) return m;
  } catch {
    // no cache yet, or an unreadable one: start over
  }
  return { version, archives: {} };
}

function writeManifest(dir: string, m: Manifest): void {
  const tmp = join(dir, `manifest.json.${process.pid}.${randomBytes(4).toString("hex")}.tmp`);
  writeFileSync(tmp, JSON.stringify(m), { mode: 0o600 });
  renameSync(tmp, join(dir, "manifest.json"));
}

const sqlStr = (s: string) => `'${s.replaceAll("'", "''")}'`;

/**
 * Rows per Parquet row group. DuckDB's writer holds a whole row group in memory (its vectors:
 * about 0.8 KB a row of these columns) before it compresses and writes it, so the default
 * 122 880 rows cost ~100 MB per COPY; 30 720 rows keep it near 25 MB and read back as fast.
 */
const ROW_GROUP_ROWS = 30_720;

export interface EventCacheResult {
  /** Parquet files holding the rows (the cache, old and new). */
  parquet: string[];
  /** JSONL files (or temporary copies of a live file's new tail) that could not be cached and are read directly. */
  direct: JsonlSource[];
  /** Temporary files to remove once the rows are loaded. */
  temp: string[];
  /** Bytes parsed from JSON this run (the rest came from the cache). */
  parsedBytes: number;
}

/**
 * Brings the cache up to date for `files` (archives first, then the live file last) and says
 * what to read. `selectSql(files)` is the narrow SELECT over JSONL files; `version` names its shape.
 */
export async function updateEventCache(
  conn: DuckDBConnection,
  dir: string,
  files: readonly string[],
  liveFile: string | undefined,
  version: string,
  selectSql: (files: readonly JsonlSource[]) => string,
): Promise<EventCacheResult> {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const old = readManifest(dir, version);
  const next: Manifest = { version, archives: {} };
  const out: EventCacheResult = { parquet: [], direct: [], temp: [], parsedBytes: 0 };
  const newParquet = () => join(dir, `ev-${Date.now().toString(36)}-${randomBytes(6).toString("hex")}.parquet`);
  // One file per statement: what DuckDB's JSON reader and Parquet writer hold is outside its memory limit.
  const copy = async (source: JsonlSource, target: string) => {
    const tmp = `${target}.tmp`;
    await runOverJsonl([source], dir, (files) =>
      conn.run(`COPY (${selectSql(files)}) TO ${sqlStr(tmp)} (FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE ${ROW_GROUP_ROWS})`),
    );
    chmodSync(tmp, 0o600); // like every file awl writes: the rows hold what the logs hold
    renameSync(tmp, target);
  };

  for (const f of files) {
    if (f === liveFile) continue;
    const st = statSync(f);
    const name = basename(f);
    const had = old.archives[name];
    if (had && had.size === st.size && had.mtimeMs === st.mtimeMs && exists(had.parquet)) {
      next.archives[name] = had;
      out.parquet.push(had.parquet);
      continue;
    }
    const target = newParquet();
    await copy(f, target);
    out.parsedBytes += st.size;
    next.archives[name] = { size: st.size, mtimeMs: st.mtimeMs, parquet: target };
    out.parquet.push(target);
  }

  if (liveFile) {
    const st = statSync(liveFile);
    let segments: LiveSegment[] = [];
    const prev = old.live;
    if (prev && prev.name === basename(liveFile) && prev.dev === st.dev && prev.ino === st.ino && prev.segments.length) {
      const end = prev.segments[prev.segments.length - 1]!.end;
      if (st.size >= end && prev.segments.every((s) => exists(s.parquet)) && checksum(liveFile, end) === prev.checksum) segments = prev.segments;
    }
    const from = segments.length ? segments[segments.length - 1]!.end : 0;
    for (const s of segments) out.parquet.push(s.parquet);
    if (st.size > from) {
      out.parsedBytes += st.size - from;
      // A temporary copy of a byte range of the live file; its rows name the live file.
      const slice = async (start: number, end: number): Promise<JsonlSource> => {
        if (start === 0 && end === st.size) return liveFile;
        const file = join(dir, `tail-${process.pid}-${randomBytes(4).toString("hex")}.jsonl`);
        await pipeline(createReadStream(liveFile, { start, end: end - 1 }), createWriteStream(file, { mode: 0o600 }));
        out.temp.push(file);
        return { path: file, name: liveFile };
      };
      // Whole lines are cached in segments of at most SEGMENT_BYTES: a COPY's memory, outside
      // DuckDB's limit, grows with the file it reads (one COPY of the 300 MB bench live file:
      // 277 MB RSS against 220 MB for a 64 MB segment). A line being written right now is read
      // directly, cached next time.
      const complete = lastByteIsNewline(liveFile, st.size) ? st.size : lineEndBefore(liveFile, st.size, from);
      for (let start = from; start < complete; ) {
        const end = complete - start > SEGMENT_BYTES ? lineEndNear(liveFile, start + SEGMENT_BYTES, start, complete) : complete;
        const target = newParquet();
        await copy(await slice(start, end), target);
        segments = [...segments, { start, end, parquet: target }];
        out.parquet.push(target);
        start = end;
      }
      if (complete < st.size) out.direct.push(await slice(complete, st.size));
    }
    if (segments.length) {
      next.live = { name: basename(liveFile), dev: st.dev, ino: st.ino, checksum: checksum(liveFile, segments[segments.length - 1]!.end), segments };
    }
  }
  writeManifest(dir, next);
  collectGarbage(dir, next);
  return out;
}

function exists(p: string): boolean {
  try {
    return statSync(p).isFile();
  } catch {
    return false;
  }
}

function collectGarbage(dir: string, m: Manifest): void {
  const keep = new Set([...Object.values(m.archives).map((a) => basename(a.parquet)), ...(m.live?.segments ?? []).map((s) => basename(s.parquet))]);
  const now = Date.now();
  for (const name of readdirSync(dir)) {
    if (!(name.endsWith(".parquet") || name.endsWith(".tmp") || name.endsWith(".jsonl")) || keep.has(name)) continue;
    const p = join(dir, name);
    try {
      if (now - statSync(p).mtimeMs > GC_AGE_MS) rmSync(p, { force: true });
    } catch {
      // removed by another process meanwhile
    }
  }
}

export function removeTemp(files: readonly string[]): void {
  for (const f of files) rmSync(f, { force: true });
}
