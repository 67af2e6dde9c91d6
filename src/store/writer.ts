import { fstatSync, statSync } from "node:fs";
import { join } from "node:path";
import {
  type AwlEvent,
  type EventInput,
  type MetricsRecord,
  type MetricsRecordInput,
  parseEventInput,
  parseMetricsRecord,
  SCHEMA_VERSION,
} from "../schema/index.js";
import { type AttemptState, attemptState, freshState } from "./attempt-state.js";
import { closeQuietly, endsTorn, ensureDir, openAppend, writeAll } from "./fs.js";
import { FileLock, type LockOptions } from "./lock.js";
import { attemptFileName, type LogPaths, logPaths } from "./paths.js";
import { mayContainSecret, redactValue } from "./redact.js";

export interface WriterOptions {
  logDir: string;
  streamFile?: string;
  /** false (AGENT_WORK_LOGGING_ENABLED=false) turns every write into a no-op. */
  enabled?: boolean;
  /** Clock for events that come without a timestamp (tests inject one). */
  now?: () => number;
  lock?: LockOptions;
  /** How long an attempt's lock is kept across appends before it is offered to other processes. */
  leaseMs?: number;
  /** Session files kept open between appends (the most recently used attempts'); default 256. */
  maxOpenFiles?: number;
}

/** One open attempt: its lock, session file and counters, valid while the lock is held. */
interface Cursor {
  lock: FileLock;
  sessionPath: string;
  statePath: string;
  fd: number | undefined;
  st: AttemptState;
  leaseStart: number;
  /** Lines of the current batch not yet written. */
  pending: Buffer[];
}

interface SharedFile {
  path: string;
  fd: number | undefined;
  ino: number;
  torn: boolean;
  pending: Buffer[];
}


const openWriters = new Set<LogWriter>();
let exitHookInstalled = false;

/**
 * The only way awl writes the logs. Each event is validated, given its attempt's next
 * `sequence_num` and its `elapsed_ms`, redacted, and appended as one line to the session
 * file, the stream and (errors) the error log, in that order, while the attempt's lock is
 * held. Every write(2) is on an O_APPEND descriptor and carries whole lines only: one event
 * is one line in one write; a batch (`append([...])`) is one write per file.
 *
 * Sequence numbers across processes: each attempt has a lock file
 * (`.state/attempts/<name>.lock`, see FileLock). A writer takes it on its first append
 * and keeps it as a lease for the rest of the current event-loop turn (at most `leaseMs`),
 * so a burst of events costs one lock, not one per event; before blocking on another
 * attempt's lock it gives back every lease it holds, so two writers can never deadlock.
 * Under the lock, a writer whose session file is not as it left it (another writer appended,
 * or this is its first lease) reads the file's last event for the next sequence number and
 * the attempt's start (attempt-state.ts, attemptState). The lock is released
 * on the next turn of the event loop, on `close()` and at process exit.
 */
export class LogWriter {
  readonly paths: LogPaths;
  readonly enabled: boolean;
  private readonly now: () => number;
  private readonly lockOpts: LockOptions;
  private readonly leaseMs: number;
  private readonly maxOpenFiles: number;
  /** In order of use, least recent first. */
  private readonly cursors = new Map<string, Cursor>();
  private readonly held = new Set<Cursor>();
  private readonly stream: SharedFile;
  private readonly errors: SharedFile;
  private readonly metrics: SharedFile;
  private readonly pendingCursors = new Set<Cursor>();
  private pendingBytes = 0;
  private releaseScheduled = false;
  private dirsReady = false;
  private closed = false;

  constructor(opts: WriterOptions) {
    this.paths = logPaths(opts.logDir, opts.streamFile);
    this.enabled = opts.enabled ?? true;
    this.now = opts.now ?? Date.now;
    this.lockOpts = opts.lock ?? {};
    this.leaseMs = opts.leaseMs ?? 200;
    this.maxOpenFiles = opts.maxOpenFiles ?? 256;
    this.stream = { path: this.paths.stream, fd: undefined, ino: 0, torn: false, pending: [] };
    this.errors = { path: this.paths.errors, fd: undefined, ino: 0, torn: false, pending: [] };
    this.metrics = { path: this.paths.metrics, fd: undefined, ino: 0, torn: false, pending: [] };
  }

  /**
   * Appends events and returns them as written (with sequence numbers, redacted).
   * Every input is validated before anything is written: a bad event is a
   * ValidationError and none of the batch reaches disk.
   */
  append(input: EventInput | readonly EventInput[]): AwlEvent[] {
    if (!this.enabled) return [];
    this.assertOpen();
    const inputs = Array.isArray(input) ? input : [input as EventInput];
    const parsed = inputs.map((e) => parseEventInput(e));
    this.prepareDirs();
    const written: AwlEvent[] = [];
    for (const ev of parsed) {
      const cur = this.lease(ev.attempt_id);
      const timestamp = normalizeTimestamp(ev.timestamp, this.now);
      const ms = Date.parse(timestamp);
      if (cur.st.startMs === undefined) cur.st.startMs = ms;
      const stamp: Stamp = { timestamp, elapsed_ms: Math.round(ms - cur.st.startMs), sequence_num: cur.st.nextSeq };
      let event = stamped(ev, stamp);
      let line = JSON.stringify(event);
      if (mayContainSecret(line)) {
        // Most lines the cheap test lets through hold no secret: the same object comes back, and the line stands.
        const clean = redactValue(event);
        if (clean !== event) {
          event = clean;
          line = JSON.stringify(event);
        }
      }
      const bytes = Buffer.from(`${line}\n`, "utf8");
      if (cur.st.torn) {
        cur.pending.push(NEWLINE);
        cur.st.size += 1;
        cur.st.torn = false;
      }
      cur.pending.push(bytes);
      cur.st.size += bytes.length;
      cur.st.nextSeq++;
      this.pendingCursors.add(cur);
      this.stream.pending.push(bytes);
      if (event.event_type === "error") this.errors.pending.push(bytes);
      this.pendingBytes += bytes.length;
      written.push(event);
      if (this.pendingBytes >= MAX_WRITE_BYTES) this.flushPending();
    }
    this.flushPending();
    this.scheduleRelease();
    return written;
  }

  /** Appends a metrics record (a session's totals, or a later outcome) to agent-metrics.jsonl. */
  appendMetrics(input: Omit<MetricsRecordInput, "timestamp"> & { timestamp?: string }): MetricsRecord | undefined {
    if (!this.enabled) return undefined;
    this.assertOpen();
    const record = parseMetricsRecord({
      schema_version: SCHEMA_VERSION,
      ...input,
      timestamp: normalizeTimestamp(input.timestamp, this.now),
    });
    this.prepareDirs();
    const clean = redactValue(record);
    const m = this.metrics;
    if (m.fd !== undefined && !sameFile(m.fd, m.path, m.ino)) this.reopen(m);
    this.writeShared(this.metrics, Buffer.from(`${JSON.stringify(clean)}\n`, "utf8"));
    return clean;
  }

  /** Gives back every attempt lock now. */
  releaseLocks(): void {
    this.flushPending();
    for (const cur of this.held) cur.lock.release();
    this.held.clear();
    // A writer that went through thousands of attempts (an import of a whole session store)
    // keeps only the most recent ones open: each holds a descriptor. A forgotten attempt is
    // picked up again from its session file's last line, as another process's would be.
    for (const [id, cur] of this.cursors) {
      if (this.cursors.size <= this.maxOpenFiles) break;
      if (cur.pending.length > 0) continue;
      closeQuietly(cur.fd);
      cur.fd = undefined;
      this.cursors.delete(id);
    }
  }

  /**
   * Writes what the current batch queued: per file, the batch's lines in one write(2) (a
   * single event is one line in one write). A write never splits a line, so writers in other
   * processes never interleave inside one. Session files first, then the stream: an event
   * is never in the stream without being in its session file. Called before any lock is
   * given back, because the queued lines hold sequence numbers taken under it.
   */
  private flushPending(): void {
    if (this.pendingBytes === 0 && this.pendingCursors.size === 0) return;
    try {
      for (const cur of this.pendingCursors) {
        cur.fd ??= openAppend(cur.sessionPath);
        writeLines(cur.fd, cur.pending);
        cur.pending = [];
      }
      this.pendingCursors.clear();
      for (const f of [this.stream, this.errors]) {
        if (f.pending.length === 0) continue;
        const fd = f.fd ?? this.reopen(f);
        writeLines(fd, f.torn ? [NEWLINE, ...f.pending] : f.pending);
        f.torn = false;
        f.pending = [];
      }
      this.pendingBytes = 0;
    } catch (err) {
      // A failed write (disk full) leaves the files where they are: forget what was queued and
      // make every cursor re-read its session file under the lock next time.
      for (const cur of this.cursors.values()) {
        cur.pending = [];
        cur.st.ino = -1;
      }
      this.pendingCursors.clear();
      for (const f of [this.stream, this.errors]) f.pending = [];
      this.pendingBytes = 0;
      throw err;
    }
  }

  close(): void {
    if (this.closed) return;
    this.releaseLocks();
    for (const cur of this.cursors.values()) closeQuietly(cur.fd);
    this.cursors.clear();
    for (const f of [this.stream, this.errors, this.metrics]) {
      closeQuietly(f.fd);
      f.fd = undefined;
    }
    this.closed = true;
    openWriters.delete(this);
  }

  private assertOpen(): void {
    if (this.closed) throw new Error("the log writer is closed");
  }

  private prepareDirs(): void {
    if (this.dirsReady) return;
    ensureDir(this.paths.sessions);
    ensureDir(this.paths.attemptState);
    this.dirsReady = true;
    openWriters.add(this);
    if (!exitHookInstalled) {
      exitHookInstalled = true;
      process.on("exit", () => {
        for (const w of openWriters) w.releaseLocks();
      });
    }
  }

  private lease(attemptId: string): Cursor {
    let cur = this.cursors.get(attemptId);
    if (!cur) {
      const name = attemptFileName(attemptId);
      cur = {
        lock: new FileLock(join(this.paths.attemptState, `${name}.lock`), this.lockOpts),
        sessionPath: join(this.paths.sessions, `${name}.jsonl`),
        statePath: join(this.paths.attemptState, `${name}.json`),
        fd: undefined,
        st: freshState(0),
        leaseStart: 0,
        pending: [],
      };
      this.cursors.set(attemptId, cur);
    }
    if (cur.lock.held) {
      if (Date.now() - cur.leaseStart < this.leaseMs) return cur;
      this.flushPending();
      // Offer the attempt to other writers now and then: one that takes over reads where the file ends.
      cur.lock.release();
      this.held.delete(cur);
    }
    if (!cur.lock.tryAcquire()) {
      // Never wait while holding another attempt's lock: that is how two writers deadlock.
      this.releaseLocks();
      this.cursors.set(attemptId, cur); // kept (or put back) however many others were let go
      cur.lock.acquire();
    }
    this.cursors.delete(attemptId);
    this.cursors.set(attemptId, cur); // most recently used last
    cur.leaseStart = Date.now();
    this.held.add(cur);
    this.syncCursor(cur);
    // Checked once a lease, not once a write: rotation renames files under a running writer.
    for (const f of [this.stream, this.errors]) if (f.fd !== undefined && !sameFile(f.fd, f.path, f.ino)) this.reopen(f);
    return cur;
  }

  /** Under the lock: make the cursor agree with the session file as it is now. */
  private syncCursor(cur: Cursor): void {
    if (cur.fd !== undefined && !sameFile(cur.fd, cur.sessionPath)) {
      closeQuietly(cur.fd); // removed by retention or rotated: start a new file
      cur.fd = undefined;
    }
    cur.fd ??= openAppend(cur.sessionPath);
    const { size, ino } = fstatSync(cur.fd);
    if (cur.st.ino !== ino || cur.st.size !== size) cur.st = attemptState(cur.fd, size, ino, cur.statePath);
  }

  private scheduleRelease(): void {
    if (this.releaseScheduled || this.held.size === 0) return;
    this.releaseScheduled = true;
    setImmediate(() => {
      this.releaseScheduled = false;
      if (!this.closed) this.releaseLocks();
    });
  }

  private writeShared(f: SharedFile, bytes: Buffer): void {
    const fd = f.fd ?? this.reopen(f);
    writeAll(fd, f.torn ? Buffer.concat([NEWLINE, bytes]) : bytes);
    f.torn = false;
  }

  /** (Re)opens a shared log under its live name: after a rotation renamed it away, or on first use. */
  private reopen(f: SharedFile): number {
    closeQuietly(f.fd);
    const fd = openAppend(f.path);
    f.fd = fd;
    f.ino = fstatSync(fd).ino;
    // A writer killed mid-line left a partial line: start ours on a line of its own.
    f.torn = endsTorn(fd);
    return fd;
  }
}

const NEWLINE = Buffer.from("\n");
/** A batch is written in pieces of at most this size, so no single write(2) gets huge. */
const MAX_WRITE_BYTES = 1 << 20;

function writeLines(fd: number, lines: Buffer[]): void {
  writeAll(fd, lines.length === 1 ? lines[0]! : Buffer.concat(lines));
}

/** True when `path` still names the file open at `fd` (not renamed away or deleted). */
function sameFile(fd: number, path: string, knownIno?: number): boolean {
  try {
    const ino = statSync(path).ino;
    return ino === (knownIno ?? fstatSync(fd).ino);
  } catch {
    return false;
  }
}

const CANONICAL_TS = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;
let lastNowMs = Number.NaN;
let lastNowText = "";

/** UTC with milliseconds (`2026-11-25T10:00:00.000Z`): sorts as text and parses everywhere. */
export function normalizeTimestamp(ts: string | undefined, now: () => number): string {
  if (ts === undefined) {
    const ms = now();
    if (ms !== lastNowMs) {
      lastNowMs = ms;
      lastNowText = new Date(ms).toISOString();
    }
    return lastNowText;
  }
  if (CANONICAL_TS.test(ts)) return ts;
  const ms = Date.parse(ts);
  if (Number.isNaN(ms)) throw new Error(`invalid timestamp: ${JSON.stringify(ts)}`);
  return new Date(ms).toISOString();
}

interface Stamp {
  timestamp: string;
  elapsed_ms: number;
  sequence_num: number;
}

/**
 * The event as written; its key order is the line's: `schema_version` and `timestamp` lead
 * (readers use the fixed start to salvage a whole line glued onto a torn one), the producer's
 * fields follow in their order, then the bookkeeping. One object serves as both the returned event and the line's
 * source: this is the hot path.
 */
function stamped(ev: object, stamp: Stamp): AwlEvent {
  const src = ev as Record<string, unknown>;
  const out: Record<string, unknown> = { schema_version: SCHEMA_VERSION, timestamp: stamp.timestamp };
  for (const k in src) if (!(k in BOOKKEEPING)) out[k] = src[k];
  out.elapsed_ms = stamp.elapsed_ms;
  out.sequence_num = stamp.sequence_num;
  return out as AwlEvent;
}

const BOOKKEEPING = { schema_version: true, timestamp: true, elapsed_ms: true, sequence_num: true } as const;
