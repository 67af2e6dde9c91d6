import { closeSync, existsSync, fsyncSync, openSync, readdirSync, readFileSync, readSync, renameSync, statSync, unlinkSync, writeSync } from "node:fs";
import { basename, join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { constants, gzipSync } from "node:zlib";
import type { AwlConfig } from "../config/schema.js";
import { ensureDir, FILE_MODE, writeFileAtomic } from "./fs.js";
import { FileLock } from "./lock.js";
import { type LogPaths, logPaths } from "./paths.js";

/**
 * Rotation: a live log is renamed (same file system, so the rename is atomic) to
 * `archive/<stem>.<UTC stamp>.jsonl`, and the next write creates a fresh live file. Nothing
 * is copied and nothing truncated, so no line a writer has in flight can be lost:
 *
 * - LogWriter checks at each lease (every event-loop turn, at most every 200 ms of a busy
 *   loop) whether its descriptor still names the live file, and reopens it if not; a line
 *   written in that window lands in the renamed file, which is still a plain, complete log.
 * - A follower (store/follow.ts) reads a renamed file to its end, and keeps reading it for a
 *   grace period after the rename for such late lines, then moves to the new file.
 * - Compression waits until the renamed file has been quiet for `rotation.gzipGraceMs`
 *   (default 2 s, ten leases): it writes `X.jsonl.gz.tmp`, fsyncs it, renames it to
 *   `X.jsonl.gz`, checks that the plain file did not change meanwhile (else it starts again
 *   later), and only then unlinks `X.jsonl`.
 *
 * The reading rule (what `historyFiles` applies): a stem's history is its archives in date
 * order, then the live file. While `X.jsonl` and `X.jsonl.gz` both exist (the instant
 * between the two renames of the compression step), the plain `X.jsonl` is read and the
 * `.gz` ignored: the plain file is complete and the compressed copy is only the truth once
 * the plain one is gone. `*.tmp` files are never read.
 *
 * Every rotation is first written to the rotation journal (`.state/rotations.jsonl`: the live
 * file's name and inode, and its archive name), then done. A follower that finds its file
 * rotated looks its inode up there and reads every file rotated after it, plain or already
 * compressed, so a follower that slept through two rotations still misses nothing.
 *
 * Stamps are UTC `YYYY-MM-DDTHH-MM-SS-mmmZ`; a second rotation in the same millisecond gets
 * `-1`, `-2`…; names sort by date (with the suffix compared as a number).
 *
 * Metrics (agent-metrics.jsonl) are kept forever, one archive per month:
 * `archive/agent-metrics.YYYY-MM.jsonl.gz`. Once the live file holds a record of a closed
 * month, it is renamed away whole and, after the grace, its lines go, in file order, to the
 * archive of the month of each record's `timestamp` (the time it was written), appended as
 * a further gzip member. Records are never reordered and each month's archive is read before
 * later ones and before the live file, so the per-attempt merge (schema/metrics.ts, "later
 * records win, field by field, in file order") sees them in the order they were written.
 */

export const ROTATED_LOGS = ["stream", "errors", "alerts"] as const;
export type RotatedLog = (typeof ROTATED_LOGS)[number];

export interface RotateOptions {
  /** The clock (ms since epoch). */
  now?: number;
  /** Rotate every non-empty log, whatever its size and age. */
  force?: boolean;
  /** Say what would be done; change nothing. */
  dryRun?: boolean;
  /**
   * Wait for the grace period and compress what was just rotated (the CLI does); otherwise it
   * is left plain and compressed by a later call (the monitor's schedule).
   */
  waitForCompression?: boolean;
}

export interface RotationReport {
  rotated: { log: string; from: string; to: string; bytes: number; reason: "forced" | "size" | "age" }[];
  compressed: { from: string; to: string; bytes: number }[];
  metrics: { month: string; to: string; lines: number }[];
  /** Plain archives left for a later call (a writer touched them within the grace period). */
  waiting: string[];
}

export function utcStamp(ms: number): string {
  return new Date(ms).toISOString().replace(/:/g, "-").replace(".", "-");
}

/** The stem of a log file: its name without `.jsonl`. */
export function stemOf(file: string): string {
  return basename(file).replace(/\.jsonl$/, "");
}

function liveLogs(paths: LogPaths): Record<RotatedLog, string> {
  return { stream: paths.stream, errors: paths.errors, alerts: paths.alerts };
}

/** A fresh archive name for `stem` at `ms`: never one that exists (plain or compressed). */
export function archiveName(paths: LogPaths, stem: string, ms: number): string {
  const base = `${stem}.${utcStamp(ms)}`;
  for (let n = 0; ; n++) {
    const name = n === 0 ? base : `${base}-${n}`;
    const p = join(paths.archive, `${name}.jsonl`);
    if (!existsSync(p) && !existsSync(`${p}.gz`)) return p;
  }
}

/** The event time of a file's first line (its `timestamp`), or undefined. */
export function firstLineTime(path: string): number | undefined {
  let fd: number;
  try {
    fd = openSync(path, "r");
  } catch {
    return undefined;
  }
  try {
    const buf = Buffer.alloc(64 * 1024);
    const n = readSync(fd, buf, 0, buf.length, 0);
    const text = buf.toString("utf8", 0, n);
    const nl = text.indexOf("\n");
    if (nl === -1) return undefined;
    const ts = (JSON.parse(text.slice(0, nl)) as { timestamp?: unknown }).timestamp;
    const ms = typeof ts === "string" ? Date.parse(ts) : Number.NaN;
    return Number.isNaN(ms) ? undefined : ms;
  } catch {
    return undefined;
  } finally {
    closeSync(fd);
  }
}

function sizeOf(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}

/** Why a live log is due for rotation now, or undefined. */
export function rotationDue(path: string, config: Pick<AwlConfig, "rotation">, now: number, force = false): "forced" | "size" | "age" | undefined {
  const size = sizeOf(path);
  if (size === 0) return undefined;
  if (force) return "forced";
  if (size >= config.rotation.maxSizeMb * 1024 * 1024) return "size";
  const first = firstLineTime(path);
  if (first !== undefined && now - first >= config.rotation.maxAgeHours * 3_600_000) return "age";
  return undefined;
}

/**
 * Rotates the logs that are due (size, age, or `force`), compresses plain archives that have
 * been quiet for the grace period, and moves closed months of metrics into their monthly
 * archives. Returns what it did (or, with `dryRun`, what it would do).
 */
export async function rotateLogs(config: AwlConfig, opts: RotateOptions = {}): Promise<RotationReport> {
  const paths = logPaths(config.logDir, config.streamFile);
  if (opts.dryRun) return rotateLocked(config, paths, opts);
  // One rotation at a time (the monitor's schedule and a manual `awl rotate`).
  ensureDir(paths.state);
  const lock = new FileLock(join(paths.state, "rotate.lock"), { timeoutMs: 60_000 });
  lock.acquire();
  try {
    return await rotateLocked(config, paths, opts);
  } finally {
    lock.release();
  }
}

async function rotateLocked(config: AwlConfig, paths: LogPaths, opts: RotateOptions): Promise<RotationReport> {
  const now = opts.now ?? Date.now();
  const report: RotationReport = { rotated: [], compressed: [], metrics: [], waiting: [] };
  const logs = liveLogs(paths);
  for (const log of ROTATED_LOGS) {
    const from = logs[log];
    const reason = rotationDue(from, config, now, opts.force);
    if (!reason) continue;
    const bytes = sizeOf(from);
    if (opts.dryRun) {
      report.rotated.push({ log, from, to: join(paths.archive, `${stemOf(from)}.${utcStamp(now)}.jsonl`), bytes, reason });
      continue;
    }
    ensureDir(paths.archive);
    const to = archiveName(paths, stemOf(from), now);
    let ino: number;
    try {
      ino = statSync(from).ino;
    } catch {
      continue; // rotated by another process meanwhile
    }
    appendJournal(paths, { live: basename(from), ino, to: basename(to), at: new Date(now).toISOString() });
    renameSync(from, to);
    report.rotated.push({ log, from, to, bytes, reason });
  }
  const metricsMonth = closedMetricsDue(paths, now);
  if (metricsMonth && !opts.dryRun) {
    ensureDir(paths.archive);
    renameSync(paths.metrics, join(paths.archive, `${METRICS_PENDING}.${utcStamp(now)}.jsonl`));
  }
  if (opts.waitForCompression && report.rotated.length + (metricsMonth ? 1 : 0) > 0 && !opts.dryRun) {
    await sleep(config.rotation.gzipGraceMs);
  }
  // Quiet is judged by the files' real modification times, so by the real clock, whatever `now` says.
  compressQuiet(paths, config, Date.now(), report, opts.dryRun ?? false);
  if (metricsMonth && opts.dryRun) report.metrics.push({ month: metricsMonth, to: metricsArchive(paths, metricsMonth), lines: 0 });
  return report;
}

/** One rotation: the live file's name and inode, and the archive it became (`.gz` once compressed). */
export interface JournalEntry {
  live: string;
  ino: number;
  to: string;
  at: string;
}

const JOURNAL_KEEP_MS = 7 * 86_400_000;

function appendJournal(paths: LogPaths, entry: JournalEntry): void {
  ensureDir(paths.state);
  const fd = openSync(paths.rotations, "a", FILE_MODE);
  try {
    writeSync(fd, `${JSON.stringify(entry)}\n`);
  } finally {
    closeSync(fd);
  }
  // Kept short: entries a week old can no longer help any follower.
  if (statSync(paths.rotations).size > 1 << 20) {
    const cutoff = Date.parse(entry.at) - JOURNAL_KEEP_MS;
    const keep = readJournal(paths.rotations).filter((e) => Date.parse(e.at) >= cutoff);
    writeFileAtomic(paths.rotations, keep.map((e) => `${JSON.stringify(e)}\n`).join(""));
  }
}

export function readJournal(path: string): JournalEntry[] {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch {
    return [];
  }
  const out: JournalEntry[] = [];
  for (const line of text.split("\n")) {
    if (!line) continue;
    try {
      const e = JSON.parse(line) as JournalEntry;
      if (typeof e.live === "string" && typeof e.ino === "number" && typeof e.to === "string") out.push(e);
    } catch {
      // a torn line: skipped
    }
  }
  return out;
}

/**
 * The archives a live file became after the rotation of inode `from` (exclusive; or every
 * rotation since `from.sinceMs`), up to
 * the file with inode `untilIno` (the one now open under the live name, exclusive), in
 * rotation order, as paths that exist now: the plain archive if it is still there, else its
 * `.gz`. Undefined when `fromIno` is not in the journal (rotated by something else).
 */
export function rotatedSince(
  journalPath: string,
  archiveDir: string,
  live: string,
  from: number | { sinceMs: number },
  untilIno: number | undefined,
): string[] | undefined {
  const entries = readJournal(journalPath).filter((e) => e.live === basename(live));
  let i = -1;
  if (typeof from === "number") {
    for (let k = entries.length - 1; k >= 0; k--) {
      if (entries[k]!.ino === from) {
        i = k;
        break;
      }
    }
    if (i === -1) return undefined;
  } else {
    // No file known yet: every rotation since `sinceMs` (a follower that started before the file existed).
    i = entries.findIndex((e) => Date.parse(e.at) >= from.sinceMs) - 1;
    if (i === -2) return [];
  }
  const out: string[] = [];
  for (const e of entries.slice(i + 1)) {
    const plain = join(archiveDir, e.to);
    let plainIno: number | undefined;
    try {
      plainIno = statSync(plain).ino;
    } catch {
      plainIno = undefined;
    }
    // The file open under the live name was rotated too: it is read as the current file. (An
    // inode number alone could be a compressed, unlinked archive's, reused by the new file.)
    if (untilIno !== undefined && e.ino === untilIno && plainIno === untilIno) break;
    if (plainIno !== undefined) out.push(plain);
    else if (existsSync(`${plain}.gz`)) out.push(`${plain}.gz`);
  }
  return out;
}

const METRICS_STEM = "agent-metrics";
/** A metrics file renamed away, waiting to be split into its monthly archives. */
const METRICS_PENDING = "agent-metrics-pending";

function monthOf(ms: number): string {
  return new Date(ms).toISOString().slice(0, 7);
}

function metricsArchive(paths: LogPaths, month: string): string {
  return join(paths.archive, `${METRICS_STEM}.${month}.jsonl.gz`);
}

/** The closed month (earlier than `now`'s) of the live metrics file's first record, if any. */
function closedMetricsDue(paths: LogPaths, now: number): string | undefined {
  if (sizeOf(paths.metrics) === 0) return undefined;
  const first = firstLineTime(paths.metrics);
  if (first === undefined) return undefined;
  const m = monthOf(first);
  return m < monthOf(now) ? m : undefined;
}

function compressQuiet(paths: LogPaths, config: AwlConfig, now: number, report: RotationReport, dryRun: boolean): void {
  let names: string[];
  try {
    names = readdirSync(paths.archive);
  } catch {
    return;
  }
  for (const name of names.sort()) {
    if (!name.endsWith(".jsonl")) continue;
    const plain = join(paths.archive, name);
    let st: { mtimeMs: number; size: number };
    try {
      st = statSync(plain);
    } catch {
      continue;
    }
    if (config.rotation.gzipGraceMs > 0 && now - st.mtimeMs < config.rotation.gzipGraceMs) {
      report.waiting.push(plain);
      continue;
    }
    if (dryRun) {
      report.compressed.push({ from: plain, to: `${plain}.gz`, bytes: st.size });
      continue;
    }
    if (name.startsWith(`${METRICS_PENDING}.`)) {
      splitMetrics(paths, plain, report);
      continue;
    }
    const to = compressFile(plain);
    if (to) report.compressed.push({ from: plain, to, bytes: st.size });
    else report.waiting.push(plain);
  }
}

/**
 * gzip `plain` to `plain.gz`: temp file, fsync, rename, then unlink the plain file, unless it
 * changed while being compressed (a late writer): then the `.gz` is removed again and the
 * plain file left for the next call. Returns the `.gz` path, or undefined if it must wait.
 */
export function compressFile(plain: string): string | undefined {
  const before = statSync(plain);
  const data = readFileSync(plain);
  const gz = `${plain}.gz`;
  writeDurable(gz, gzipSync(data, { level: constants.Z_DEFAULT_COMPRESSION }));
  const after = statSync(plain);
  if (after.size !== before.size || after.mtimeMs !== before.mtimeMs || after.size !== data.length) {
    unlinkSync(gz);
    return undefined;
  }
  unlinkSync(plain);
  return gz;
}

/** Writes a file under a temp name, fsyncs it and renames it into place. */
export function writeDurable(path: string, data: Buffer): void {
  const tmp = `${path}.${process.pid}.tmp`;
  const fd = openSync(tmp, "w", FILE_MODE);
  try {
    let off = 0;
    while (off < data.length) off += writeSync(fd, data, off, data.length - off);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
}

interface MetricsJournal {
  file: string;
  done: string[];
}

/**
 * Moves a renamed metrics file into its monthly archives, in file order, each month's lines
 * appended as one gzip member. A journal (`.state/rotate-metrics.json`) names the months
 * already appended, so a crash in the middle never appends a month twice.
 */
function splitMetrics(paths: LogPaths, plain: string, report: RotationReport): void {
  const journalPath = join(paths.state, "rotate-metrics.json");
  let journal: MetricsJournal = { file: basename(plain), done: [] };
  try {
    const j = JSON.parse(readFileSync(journalPath, "utf8")) as MetricsJournal;
    if (j.file === journal.file) journal = j;
  } catch {
    // no journal: a fresh split
  }
  const byMonth = new Map<string, string[]>();
  let month = "";
  for (const line of readFileSync(plain, "utf8").split("\n")) {
    if (line === "") continue;
    try {
      const ts = (JSON.parse(line) as { timestamp?: unknown }).timestamp;
      const ms = typeof ts === "string" ? Date.parse(ts) : Number.NaN;
      if (!Number.isNaN(ms)) month = monthOf(ms);
    } catch {
      // an invalid line stays with its neighbours; the reader skips and counts it
    }
    const key = month || "0000-00";
    const lines = byMonth.get(key);
    if (lines) lines.push(line);
    else byMonth.set(key, [line]);
  }
  for (const [m, lines] of [...byMonth].sort(([a], [b]) => (a < b ? -1 : 1))) {
    if (journal.done.includes(m)) continue;
    const to = metricsArchive(paths, m);
    const member = gzipSync(Buffer.from(`${lines.join("\n")}\n`, "utf8"));
    const existing = existsSync(to) ? readFileSync(to) : Buffer.alloc(0);
    writeDurable(to, Buffer.concat([existing, member]));
    journal.done.push(m);
    writeFileAtomic(journalPath, JSON.stringify(journal));
    report.metrics.push({ month: m, to, lines: lines.length });
  }
  unlinkSync(plain);
  try {
    unlinkSync(journalPath);
  } catch {
    // already gone
  }
}

/** One file of a stem's history. */
export interface HistoryFile {
  path: string;
  /** "archive" or "live". */
  kind: "archive" | "live";
  compressed: boolean;
}

const ARCHIVE_NAME = /^(.+)\.(\d{4}-\d\d(?:-\d\dT\d\d-\d\d-\d\d-\d{3}Z)?)(?:-(\d+))?\.jsonl(\.gz)?$/;

/**
 * The files that make up a stem's whole history, oldest first: its archives in date order
 * (plain and compressed, the plain one only when both exist), then the live file. `stem` is
 * a log's file name without `.jsonl` (`agent-work-stream`, `agent-errors`, `agent-alerts`,
 * `agent-metrics`). Analytics and the server read history through this.
 */
export function historyFiles(paths: LogPaths, stem: string): HistoryFile[] {
  let names: string[] = [];
  try {
    names = readdirSync(paths.archive);
  } catch {
    names = [];
  }
  const found = new Map<string, { key: string; n: number; plain?: string; gz?: string }>();
  const stems = stem === METRICS_STEM ? [METRICS_STEM, METRICS_PENDING] : [stem];
  for (const name of names) {
    const m = ARCHIVE_NAME.exec(name);
    if (!m || !stems.includes(m[1]!)) continue;
    const id = name.replace(/\.gz$/, "");
    const entry = found.get(id) ?? { key: m[2]!, n: Number(m[3] ?? 0) };
    if (m[4]) entry.gz = join(paths.archive, name);
    else entry.plain = join(paths.archive, name);
    found.set(id, entry);
  }
  const archives = [...found.values()].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : a.n - b.n));
  const out: HistoryFile[] = archives.map((a) => (a.plain ? { path: a.plain, kind: "archive", compressed: false } : { path: a.gz!, kind: "archive", compressed: true }));
  const live = join(paths.dir, `${stem}.jsonl`);
  if (existsSync(live)) out.push({ path: live, kind: "live", compressed: false });
  return out;
}
