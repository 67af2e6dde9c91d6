import { createHash } from "node:crypto";
import { closeSync, existsSync, fstatSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { ensureDir, openAppend, readBytesAt, writeAll, writeFileAtomic } from "../store/fs.js";

/**
 * What `awl import` remembers of the files it read, in two append-only journals under
 * `.state/import/` (one line per imported file, the last line of a file wins):
 *
 * - `files.jsonl`: each file's size, time and first-bytes hash (is it unchanged?), read whole
 *   at the start of an import;
 * - `resume.jsonl`: the parser's saved state of files that may still grow, `<key> <json>` per
 *   line, read (at the offset files.jsonl names, and only when a file grew) by any thread.
 *
 * Journals, not a file per imported file: creating and renaming thousands of small files cost
 * more than importing the small files they describe. Both are a cache: a torn or lost line, or
 * an offset whose line names another file, means the file is read from its start again, and
 * what it gave is recognised by record id. One thread of an import appends (import threads hand
 * their records to it), each line in one write(2) on an O_APPEND descriptor; compactJournals()
 * rewrites journals that are mostly superseded lines.
 */

export interface FileState {
  size: number;
  mtimeMs: number;
  /** Hash of the first `headBytes` bytes (at most 4 KiB). */
  head: string;
  headBytes: number;
  /** Where in resume.jsonl its saved parser state is: the line's byte offset and length. */
  resume?: [number, number];
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

/** The saved resume state (JSON value) the file's state points at, or undefined. */
export function readResume(stateDir: string, path: string, state: FileState | undefined): unknown {
  const at = state?.resume;
  if (!at) return undefined;
  const text = readSlice(join(stateDir, RESUME), at[0], at[1]);
  const prefix = `${fileKey(path)} `;
  if (text === undefined || !text.startsWith(prefix)) return undefined;
  try {
    return JSON.parse(text.slice(prefix.length));
  } catch {
    return undefined;
  }
}

/** The import's appender: the one thread that writes the journals. */
export class ImportJournal {
  private filesFd: number | undefined;
  private resumeFd: number | undefined;

  constructor(readonly stateDir: string) {}

  /** Records a file as imported; `resume` (JSON text) when it may be read on from where it stopped. */
  record(path: string, state: Omit<FileState, "resume">, resume: string | undefined): void {
    const line: FileLine = { path, ...state };
    if (resume !== undefined) {
      this.resumeFd ??= this.open(RESUME);
      const bytes = Buffer.from(`${fileKey(path)} ${resume}\n`);
      // Where an O_APPEND write lands; another process appending at once makes it wrong, which
      // readResume notices (the line there names another file).
      const at = fstatSync(this.resumeFd).size;
      writeAll(this.resumeFd, bytes);
      line.resume = [at, bytes.length - 1];
    }
    this.filesFd ??= this.open(FILES);
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
 * Rewrites the journals when they hold more than twice the lines (or bytes) their latest entries
 * need, so they stay proportional to the files imported. Run when no import thread is writing.
 * The resume file goes first: a files.jsonl left pointing into the new one finds other lines at
 * its offsets, and those files are read from their start.
 */
export function compactJournals(stateDir: string): void {
  const files = join(stateDir, FILES);
  const lines = readLines(files);
  const latest = new Map<string, FileLine>();
  for (const l of lines) {
    try {
      const f = JSON.parse(l) as FileLine;
      if (typeof f.path === "string") latest.set(f.path, f);
    } catch {
      // dropped: a torn line
    }
  }
  const resumePath = join(stateDir, RESUME);
  const resumeBytes = existsSync(resumePath) ? statSync(resumePath).size : 0;
  const liveBytes = [...latest.values()].reduce((n, f) => n + (f.resume?.[1] ?? 0) + 1, 0);
  const bloatedResume = resumeBytes > 2 * liveBytes + 16 * 1024 * 1024;
  if (!bloatedResume && lines.length <= 2 * latest.size + 1000) return;
  if (bloatedResume) {
    const kept: string[] = [];
    let at = 0;
    for (const f of latest.values()) {
      const text = f.resume && readSlice(resumePath, f.resume[0], f.resume[1]);
      if (!text?.startsWith(`${fileKey(f.path)} `)) {
        delete f.resume;
        continue;
      }
      kept.push(`${text}\n`);
      f.resume = [at, Buffer.byteLength(text)];
      at += Buffer.byteLength(text) + 1;
    }
    writeFileAtomic(resumePath, kept.join(""));
  }
  writeFileAtomic(files, [...latest.values()].map((f) => `${JSON.stringify(f)}\n`).join(""));
}

function readSlice(path: string, offset: number, length: number): string | undefined {
  if (!(Number.isInteger(offset) && Number.isInteger(length) && offset >= 0 && length > 0 && length < 64 * 1024 * 1024)) return undefined;
  try {
    const b = readBytesAt(path, offset, length);
    return b.length === length ? b.toString("utf8") : undefined;
  } catch {
    return undefined;
  }
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
