import { createHash } from "node:crypto";
import { closeSync, fstatSync, openSync, readSync } from "node:fs";
import { readBytesAt } from "../store/fs.js";
import { LineCutter } from "../store/lines.js";

/** Reading agent files for import: whole lines from an offset, and the first bytes that identify a file. */

/** Files are read in pieces of this size; a line may be as long as the store's line limit. */
const CHUNK_BYTES = 16 * 1024 * 1024;

export interface LinesRead {
  /** Byte offset just past the last line read whole. */
  consumed: number;
  torn: number;
  oversized: number;
}

/**
 * A file's non-blank lines from `offset` on, each decoded on its own (store/lines.ts). A last line
 * without its newline is kept when it is whole JSON (a finished file), else counted as torn and
 * left for next time; a line over the store's limit is skipped and counted. Synchronous: an
 * import thread has nothing else to do meanwhile, and each await would be a thread-pool round trip.
 */
export function eachLine(path: string, offset: number, onLine: (line: string) => void): LinesRead {
  const cut = new LineCutter(offset);
  const emit = (line: string) => {
    if (line.trim() !== "") onLine(line);
  };
  let torn = 0;
  const fd = openSync(path, "r");
  try {
    const size = fstatSync(fd).size;
    // A byte order mark (a file saved by a Windows editor) is no part of the first record.
    if (offset === 0 && startsWithBom(fd)) cut.reset(BOM.length);
    for (;;) {
      const at = cut.offset + cut.pending;
      // Sized to what is left (one more byte to see the end), so a small file costs no 16 MB buffer.
      const want = Math.min(CHUNK_BYTES, Math.max(64 * 1024, size - at + 1));
      const chunk = Buffer.allocUnsafe(want);
      const bytesRead = readSync(fd, chunk, 0, want, at);
      cut.push(chunk.subarray(0, bytesRead), emit);
      if (bytesRead < want) break; // the end as it is now: a file still growing is read on, next time
    }
    const last = cut.rest();
    if (last !== undefined && last.trim() !== "") {
      try {
        JSON.parse(last);
        emit(last);
        cut.reset(cut.offset + cut.pending);
      } catch {
        torn = 1;
      }
    }
  } finally {
    closeSync(fd);
  }
  return { consumed: cut.offset, torn, oversized: cut.oversized };
}

const BOM = Buffer.from([0xef, 0xbb, 0xbf]);

function startsWithBom(fd: number): boolean {
  const b = Buffer.alloc(BOM.length);
  return readSync(fd, b, 0, BOM.length, 0) === BOM.length && b.equals(BOM);
}

const HEAD_BYTES = 4096;

/** A file's first bytes: with its size and time, what tells whether it changed since an import. */
export function readHead(path: string): Buffer {
  return readBytesAt(path, 0, HEAD_BYTES);
}

export function headHash(head: Buffer): string {
  return createHash("sha256").update(head).digest("hex").slice(0, 24);
}
