import { readFileSync, readSync } from "node:fs";

/**
 * What a writer must know about an attempt before appending to it: the next sequence
 * number and when the attempt started (for `elapsed_ms`). The session file is the truth,
 * and its last line says both (tailState). A state file (`.state/attempts/NAME.json`) is
 * written only when retention archives an idle session file: the attempt's next file, which
 * starts empty, continues its sequence from there. (Writers kept one per attempt as a cache
 * once; creating it cost an import more than reading a file's last line does.)
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

function readStateFile(path: string): AttemptState | undefined {
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

/** An attempt with nothing written yet. */
export function freshState(ino: number): AttemptState {
  return { size: 0, ino, nextSeq: 0, startMs: undefined, torn: false };
}

/**
 * Where an attempt stands, its session file open at `fd` (`size` bytes, inode `ino`): from the
 * file's last event, or, while the file is empty, from the state retention saved when it
 * archived the attempt's previous file (the sequence goes on), else from nothing.
 */
export function attemptState(fd: number, size: number, ino: number, statePath: string): AttemptState {
  if (size > 0) return tailState(fd, size, ino);
  const saved = readStateFile(statePath);
  return saved?.ino === ARCHIVED_INO ? { ...saved, size: 0, ino, torn: false } : freshState(ino);
}

/** The state file's text for `st` (retention writes it durably, under the attempt's lock). */
export function stateFileText(st: AttemptState): string {
  const s: StateFile = { v: 1, size: st.size, ino: st.ino, next_seq: st.nextSeq, start_ms: st.startMs ?? null, torn: st.torn };
  return JSON.stringify(s);
}

function isCount(n: unknown): n is number {
  return typeof n === "number" && Number.isInteger(n) && n >= 0;
}

/** The first window read back from a session file's end; it grows fourfold until it holds an event. */
const TAIL_WINDOW = 64 * 1024;

/**
 * Where an attempt stands, read from its session file (open at `fd`, `size` bytes): writers
 * append under the attempt's lock in sequence order, so the last whole line that is an event
 * gives the next sequence number, and its `timestamp` less its `elapsed_ms` when the attempt
 * started. The file is read backwards from its end, so a long session costs one small read.
 * A torn last line (a writer killed mid-write) is skipped, and the next write starts a new line.
 */
export function tailState(fd: number, size: number, ino: number): AttemptState {
  const st: AttemptState = { ...freshState(ino), size };
  for (let window = TAIL_WINDOW; ; window *= 4) {
    const from = Math.max(0, size - window);
    const buf = Buffer.allocUnsafe(size - from);
    const got = readSync(fd, buf, 0, buf.length, from);
    const data = buf.subarray(0, got);
    st.size = from + got;
    st.torn = got > 0 && data[got - 1] !== 0x0a;
    // Lines wholly inside the window, last first; the first one may have begun before it.
    let end = data.lastIndexOf(0x0a);
    while (end >= 0) {
      const nl = end > 0 ? data.lastIndexOf(0x0a, end - 1) : -1;
      if (nl < 0 && from > 0) break;
      if (notePosition(st, data.toString("utf8", nl + 1, end))) return st;
      end = nl;
    }
    if (from === 0) return st; // no event in the whole file: it starts again at 0
  }
}

function notePosition(st: AttemptState, line: string): boolean {
  let ev: { sequence_num?: unknown; timestamp?: unknown; elapsed_ms?: unknown };
  try {
    ev = JSON.parse(line);
  } catch {
    return false; // a torn or foreign line carries no sequence number
  }
  if (typeof ev?.sequence_num !== "number" || !Number.isInteger(ev.sequence_num) || ev.sequence_num < 0) return false;
  st.nextSeq = ev.sequence_num + 1;
  const ms = typeof ev.timestamp === "string" ? Date.parse(ev.timestamp) : Number.NaN;
  if (!Number.isNaN(ms) && typeof ev.elapsed_ms === "number" && Number.isFinite(ev.elapsed_ms)) st.startMs = ms - ev.elapsed_ms;
  return true;
}
