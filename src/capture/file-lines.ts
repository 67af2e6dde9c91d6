import { createHash } from "node:crypto";
import { closeSync, fstatSync, openSync, readSync } from "node:fs";
import { readBytesAt } from "../store/fs.js";
import { DEFAULT_MAX_LINE_BYTES } from "../store/reader.js";

/** Reading agent files for import: whole lines from an offset, and the first bytes that identify a file. */

/** Files are read in pieces of this size; a line may be as long as the store's line limit. */
const CHUNK_BYTES = 16 * 1024 * 1024;

export interface ReadResult {
  lines: string[];
  /** Byte offset just past the last line read whole. */
  consumed: number;
  torn: number;
  oversized: number;
}

/**
 * A file's lines from `offset` on, each decoded on its own: most lines are ASCII and become
 * one-byte strings, which V8 decodes, parses, serializes and encodes several times faster than
 * the two-byte string a whole file with one "’" in it would be. A last line without its newline
 * is kept when it is whole JSON (a finished file), else counted as torn and left for next time;
 * a line over the store's limit is skipped and counted. Synchronous: an import thread has
 * nothing else to do meanwhile, and each await would be a thread-pool round trip.
 */
export function eachLine(path: string, offset: number, onLine: (line: string) => void): Omit<ReadResult, "lines"> {
  const out = { consumed: offset, torn: 0, oversized: 0 };
  const fd = openSync(path, "r");
  try {
    const size = fstatSync(fd).size;
    let carry: Buffer = Buffer.alloc(0);
    let pos = offset;
    let skipping = false; // inside a line already over the limit
    const emit = (line: string) => {
      if (line.trim() !== "") onLine(line);
    };
    for (;;) {
      // Sized to what is left (one more byte to see the end), so a small file costs no 16 MB buffer.
      const want = Math.min(CHUNK_BYTES, Math.max(64 * 1024, size - pos + 1));
      const chunk = Buffer.allocUnsafe(want);
      const bytesRead = readSync(fd, chunk, 0, want, pos);
      const buf = carry.length > 0 ? Buffer.concat([carry, chunk.subarray(0, bytesRead)]) : chunk.subarray(0, bytesRead);
      const base = pos - carry.length;
      pos += bytesRead;
      let from = 0;
      for (;;) {
        const nl = buf.indexOf(10, from);
        if (nl < 0) break;
        if (skipping) skipping = false;
        else emit(buf.toString("utf8", from, nl > from && buf[nl - 1] === 13 ? nl - 1 : nl));
        from = nl + 1;
        out.consumed = base + from;
      }
      carry = buf.subarray(from);
      if (carry.length > DEFAULT_MAX_LINE_BYTES) {
        if (!skipping) out.oversized++;
        skipping = true;
        carry = Buffer.alloc(0);
      }
      if (bytesRead < want) break; // the end as it is now: a file still growing is read on, next time
    }
    const last = carry.toString("utf8");
    if (!skipping && last.trim() !== "") {
      try {
        JSON.parse(last);
        emit(last);
        out.consumed = pos;
      } catch {
        out.torn = 1;
      }
    }
  } finally {
    closeSync(fd);
  }
  return out;
}

export function readLinesFrom(path: string, offset: number): ReadResult {
  const lines: string[] = [];
  return { lines, ...eachLine(path, offset, (l) => lines.push(l)) };
}

const HEAD_BYTES = 4096;

/** A file's first bytes: with its size and time, what tells whether it changed since an import. */
export function readHead(path: string): Buffer {
  return readBytesAt(path, 0, HEAD_BYTES);
}

export function headHash(head: Buffer): string {
  return createHash("sha256").update(head).digest("hex").slice(0, 24);
}
