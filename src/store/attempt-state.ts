import { readFileSync, readSync, writeFileSync } from "node:fs";
import { FILE_MODE } from "./fs.js";

/**
 * What a writer must know about an attempt before appending to it: the next sequence
 * number and when the attempt started (for `elapsed_ms`). The session file is the truth;
 * a small state file caches where it ended so a fresh process (`awl emit`) need not
 * re-read a long session, and is checked against the file (size, inode) before use.
 */
export interface AttemptState {
  /** Bytes of the session file the state accounts for. */
  size: number;
  ino: number;
  nextSeq: number;
  /** Event time of the attempt's first event, ms since epoch. */
  startMs: number | undefined;
  /** The file ends with a partial line (a writer died mid-write): the next write starts a new line. */
  torn: boolean;
}

interface StateFile {
  v: 1;
  size: number;
  ino: number;
  next_seq: number;
  start_ms: number | null;
  torn: boolean;
}

export function readStateFile(path: string): AttemptState | undefined {
  try {
    const s = JSON.parse(readFileSync(path, "utf8")) as Partial<StateFile>;
    if (s.v !== 1 || !isCount(s.size) || !isCount(s.next_seq) || typeof s.ino !== "number") return undefined;
    return { size: s.size, ino: s.ino, nextSeq: s.next_seq, startMs: s.start_ms ?? undefined, torn: s.torn === true };
  } catch {
    return undefined; // missing or corrupt: the caller rescans the session file
  }
}

/** The `ino` of a state whose session file retention has archived: the next file continues its sequence. */
export const ARCHIVED_INO = 0;

export function writeStateFile(path: string, st: AttemptState): void {
  const s: StateFile = { v: 1, size: st.size, ino: st.ino, next_seq: st.nextSeq, start_ms: st.startMs ?? null, torn: st.torn };
  // Written in place, not via rename: only the lock holder writes it, and a state file torn by a
  // crash fails to parse, which makes the next holder rescan the session file. (A rename per
  // release made ext4 flush data on every lease.)
  writeFileSync(path, JSON.stringify(s), { mode: FILE_MODE });
}

function isCount(n: unknown): n is number {
  return typeof n === "number" && Number.isInteger(n) && n >= 0;
}

const CHUNK = 1 << 20;

/**
 * Brings `st` up to date with the session file open at `fd` (size `fileSize`) by reading
 * only the bytes after `st.size`: the last valid line's `sequence_num` + 1 is the next
 * one, so a torn line left by a killed writer is skipped and the sequence stays gap-free.
 */
export function scanSessionTail(fd: number, fileSize: number, st: AttemptState): AttemptState {
  const next = { ...st };
  let pos = st.size;
  let carry: Buffer = Buffer.alloc(0);
  const buf = Buffer.allocUnsafe(CHUNK);
  while (pos < fileSize) {
    const n = readSync(fd, buf, 0, Math.min(CHUNK, fileSize - pos), pos);
    if (n <= 0) break;
    pos += n;
    const data = carry.length ? Buffer.concat([carry, buf.subarray(0, n)]) : buf.subarray(0, n);
    let lineStart = 0;
    for (let nl = data.indexOf(0x0a); nl !== -1; nl = data.indexOf(0x0a, lineStart)) {
      noteLine(next, data.toString("utf8", lineStart, nl));
      lineStart = nl + 1;
    }
    carry = Buffer.from(data.subarray(lineStart));
  }
  next.size = pos;
  next.torn = carry.length > 0;
  return next;
}

function noteLine(st: AttemptState, line: string): void {
  let ev: { sequence_num?: unknown; timestamp?: unknown };
  try {
    ev = JSON.parse(line);
  } catch {
    return; // a torn or foreign line carries no sequence number
  }
  if (typeof ev?.sequence_num === "number" && Number.isInteger(ev.sequence_num)) {
    st.nextSeq = Math.max(st.nextSeq, ev.sequence_num + 1);
  }
  if (st.startMs === undefined && typeof ev?.timestamp === "string") {
    const ms = Date.parse(ev.timestamp);
    if (!Number.isNaN(ms)) st.startMs = ms;
  }
}
