/**
 * Cuts bytes into lines as they arrive. Every reader of line files goes through it: the store's
 * reader, the live tail, the follower, the dashboard's transcript pages and the import, which
 * each had a splitter of their own once, and one of them decoded a character cut by a read as
 * two replacement characters. What it guarantees:
 * - a line is decoded on its own once whole: a character cut between two reads stays whole, and
 *   an ASCII line stays a one-byte string (which V8 parses and serializes several times faster);
 * - the partial last line waits, as bytes, for its newline;
 * - a line longer than `maxLineBytes` is skipped and counted, never held whole;
 * - a `\r` before the newline is dropped (a file written on Windows).
 */

/** The longest line any reader accepts (the writer's lines are far shorter; an agent's may not be). */
export const DEFAULT_MAX_LINE_BYTES = 16 * 1024 * 1024;

/** Return `false` to stop at this line: the rest of the chunk is left unread. */
export type OnLine = (line: string, end: number) => unknown;

export class LineCutter {
  /** Byte offset just past the last line handed over (or skipped): where reading resumes. */
  offset: number;
  /** Lines skipped for their length. */
  oversized = 0;
  private parts: Buffer[] = [];
  /** Bytes of the line in progress, held in `parts` or (when `skipping`) only counted. */
  private partLen = 0;
  private skipping = false;

  constructor(
    start = 0,
    private readonly maxLineBytes = DEFAULT_MAX_LINE_BYTES,
  ) {
    this.offset = start;
  }

  /** Bytes after `offset` already read: the next read starts at `offset + pending`. */
  get pending(): number {
    return this.partLen;
  }

  /**
   * Hands each line that `chunk` completes to `onLine`, with the offset just past it. Returns
   * false when `onLine` stopped it; the bytes after that line are dropped, to be read again from
   * `offset`. The chunk may be reused by the caller afterwards: what is kept is copied.
   */
  push(chunk: Buffer, onLine: OnLine): boolean {
    let start = 0;
    for (let nl = chunk.indexOf(0x0a); nl !== -1; nl = chunk.indexOf(0x0a, start)) {
      const length = this.partLen + nl - start;
      let line: string | undefined;
      if (this.skipping) this.skipping = false;
      else if (length > this.maxLineBytes) this.oversized++;
      else if (this.partLen > 0) line = decode(Buffer.concat([...this.parts, chunk.subarray(start, nl)]), 0, length);
      else line = decode(chunk, start, nl);
      this.offset += length + 1;
      this.parts = [];
      this.partLen = 0;
      start = nl + 1;
      if (line !== undefined && onLine(line, this.offset) === false) return false;
    }
    if (start < chunk.length) {
      const rest = chunk.length - start;
      if (!this.skipping && this.partLen + rest > this.maxLineBytes) {
        this.oversized++;
        this.skipping = true;
        this.parts = [];
      } else if (!this.skipping) this.parts.push(Buffer.from(chunk.subarray(start)));
      this.partLen += rest;
    }
    return true;
  }

  /** The partial last line as text (a file's last line without its newline), or undefined when there is none or it was too long. */
  rest(): string | undefined {
    if (this.partLen === 0 || this.skipping) return undefined;
    const b = Buffer.concat(this.parts);
    return decode(b, 0, b.length);
  }

  /** Forgets the partial line and starts again at `offset` (the file was truncated, or read again). */
  reset(offset: number): void {
    this.offset = offset;
    this.parts = [];
    this.partLen = 0;
    this.skipping = false;
  }
}

function decode(b: Buffer, from: number, to: number): string {
  return b.toString("utf8", from, to > from && b[to - 1] === 0x0d ? to - 1 : to);
}
