import { createHash } from "node:crypto";
import { closeSync, existsSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { ensureDir, openAppend, writeAll, writeFileAtomic } from "../store/fs.js";

/**
 * What `awl import` remembers of the files it read, in two append-only journals under
 * `.state/import/` (one line per imported file, the last line of a file wins):
 *
 * - `files.jsonl`: each file's size, time and first-bytes hash (is it unchanged?), read whole
 *   at the start of an import;
 * - `resume.jsonl`: the parser's saved state of files that may still grow, `<key> <json>` per
 *   line, looked up only when a file grew.
 *
 * Journals, not a file per imported file: creating and renaming thousands of small files cost
 * more than importing the small files they describe. Both are a cache: a torn or lost line
 * means the file is read from its start again, and what it gave is recognised by record id.
 * Appends are whole lines in one write(2) on an O_APPEND descriptor, so threads and
 * processes importing at once do not interleave; compact() rewrites a journal that is mostly
 * superseded lines.
 */

export interface FileState {
  size: number;
  mtimeMs: number;
  /** Hash of the first `headBytes` bytes (at most 4 KiB). */
  head: string;
  headBytes: number;
  /** A line in resume.jsonl holds where it goes on from. */
  resumable?: boolean;
}

interface FileLine extends FileState {
  path: string;
}

const FILES = "files.jsonl";
const RESUME = "resume.jsonl";

export function fileKey(path: string): string {
  return createHash("sha256").update(path).digest("hex").slice(0, 24);
}

/** Every file's latest state, for the unchanged check. */
export function readFileStates(stateDir: string): Map<string, FileState> {
  const out = new Map<string, FileState>();
  for (const line of readLines(join(stateDir, FILES))) {
    try {
      const { path, ...state } = JSON.parse(line) as FileLine;
      if (typeof path === "string" && typeof state.size === "number") out.set(path, state);
    } catch {
      // a torn line: that file is read again
    }
  }
  return out;
}

/** One thread's appender; the resume index is read once, the first time it is needed. */
export class ImportJournal {
  private filesFd: number | undefined;
  private resumeFd: number | undefined;
  private resumeIndex: Map<string, string> | undefined;

  constructor(readonly stateDir: string) {}

  /** The saved resume state of `path` (the JSON value), or undefined. */
  resumeOf(path: string): unknown {
    this.resumeIndex ??= readResumeIndex(join(this.stateDir, RESUME));
    const text = this.resumeIndex.get(fileKey(path));
    if (text === undefined) return undefined;
    try {
      return JSON.parse(text);
    } catch {
      return undefined;
    }
  }

  /** Records a file as imported; `resume` (JSON text) when it may be read on from where it stopped. */
  record(path: string, state: Omit<FileState, "resumable">, resume: string | undefined): void {
    if (resume !== undefined) {
      this.resumeFd ??= this.open(RESUME);
      writeAll(this.resumeFd, Buffer.from(`${fileKey(path)} ${resume}\n`));
      this.resumeIndex?.set(fileKey(path), resume);
    }
    this.filesFd ??= this.open(FILES);
    const line: FileLine = { path, ...state, ...(resume !== undefined ? { resumable: true } : {}) };
    writeAll(this.filesFd, Buffer.from(`${JSON.stringify(line)}\n`));
  }

  close(): void {
    for (const fd of [this.filesFd, this.resumeFd]) if (fd !== undefined) closeSync(fd);
    this.filesFd = undefined;
    this.resumeFd = undefined;
  }

  private open(name: string): number {
    ensureDir(this.stateDir);
    return openAppend(join(this.stateDir, name));
  }
}

/**
 * Rewrites a journal holding more than twice the lines (or bytes) its latest entries need, so
 * it stays proportional to the files imported. Run when no import thread is writing.
 */
export function compactJournals(stateDir: string): void {
  const files = join(stateDir, FILES);
  const lines = readLines(files);
  const latest = new Map<string, string>();
  for (const l of lines) {
    try {
      const p = (JSON.parse(l) as FileLine).path;
      if (typeof p === "string") latest.set(p, l);
    } catch {
      // dropped: a torn line
    }
  }
  if (lines.length > 2 * latest.size + 1000) writeFileAtomic(files, [...latest.values()].map((l) => `${l}\n`).join(""));
  const resume = join(stateDir, RESUME);
  if (!existsSync(resume)) return;
  const size = statSync(resume).size;
  const index = readResumeIndex(resume);
  const live = new Set<string>();
  for (const l of latest.values()) {
    const f = JSON.parse(l) as FileLine;
    if (f.resumable) live.add(fileKey(f.path));
  }
  const kept = [...index].filter(([k]) => live.has(k)).map(([k, v]) => `${k} ${v}\n`);
  const keptBytes = kept.reduce((s, l) => s + Buffer.byteLength(l), 0);
  if (size > 2 * keptBytes + 16 * 1024 * 1024) writeFileAtomic(resume, kept.join(""));
}

function readLines(path: string): string[] {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch {
    return [];
  }
  return text.split("\n").filter((l) => l !== "");
}

/** Key → the latest JSON text, without parsing the values (most are never needed). */
function readResumeIndex(path: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const l of readLines(path)) {
    const sp = l.indexOf(" ");
    if (sp > 0) out.set(l.slice(0, sp), l.slice(sp + 1));
  }
  return out;
}
