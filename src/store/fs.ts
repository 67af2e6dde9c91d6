import { closeSync, fstatSync, mkdirSync, openSync, readSync, renameSync, writeFileSync, writeSync } from "node:fs";
import { dirname } from "node:path";

/** Log files are private to their owner: the agents' transcripts hold code, prompts and paths. */
export const FILE_MODE = 0o600;
export const DIR_MODE = 0o700;

export function ensureDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: DIR_MODE });
}

/** Opens (creating 0600) a file for appending; every write lands at the end, whoever else writes. */
export function openAppend(path: string): number {
  // a+ (read and append): the writer also reads the tail of a session file it did not write itself.
  return openSync(path, "a+", FILE_MODE);
}

/** True when a non-empty file does not end in a newline: a writer died mid-line. */
export function endsTorn(fd: number): boolean {
  const size = fstatSync(fd).size;
  if (size === 0) return false;
  const b = Buffer.alloc(1);
  readSync(fd, b, 0, 1, size - 1);
  return b[0] !== 0x0a;
}

/** One write(2) of the whole buffer; loops only on a short write (disk full, signal), which it reports. */
export function writeAll(fd: number, data: Buffer | string): void {
  const buf = typeof data === "string" ? Buffer.from(data, "utf8") : data;
  let off = 0;
  while (off < buf.length) off += writeSync(fd, buf, off, buf.length - off);
}

/** Replaces a file's content atomically: readers see the old or the new file, never half of one. */
export function writeFileAtomic(path: string, data: string): void {
  ensureDir(dirname(path));
  const tmp = `${path}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
  writeFileSync(tmp, data, { mode: FILE_MODE });
  renameSync(tmp, path);
}

/** Up to `length` bytes of a file from `offset` (fewer at its end). Throws when it cannot be opened. */
export function readBytesAt(path: string, offset: number, length: number): Buffer {
  const fd = openSync(path, "r");
  try {
    const b = Buffer.allocUnsafe(length);
    return b.subarray(0, readSync(fd, b, 0, length, offset));
  } finally {
    closeSync(fd);
  }
}

/** All of a stream (stdin) as UTF-8 text. */
export async function readStreamText(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(typeof chunk === "string" ? Buffer.from(chunk) : (chunk as Buffer));
  return Buffer.concat(chunks).toString("utf8");
}

export function closeQuietly(fd: number | undefined): void {
  if (fd === undefined) return;
  try {
    closeSync(fd);
  } catch {
    // already closed: nothing left to release
  }
}
