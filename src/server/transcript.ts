import { open } from "node:fs/promises";
import type { AwlEvent } from "../schema/index.js";
import { LineCutter } from "../store/lines.js";
import { acceptEvent } from "../store/reader.js";

/**
 * One page of a session file, read from a byte offset so that page k of a 100 000-event
 * transcript costs the same as page 1 (the store's reader streams whole files; paging
 * needs to stop at an exact line and say where the next page starts). Lines are judged
 * as the reader judges them: invalid ones are skipped and counted; a final line without
 * its newline is still being written, so it is left for the next page.
 */
export interface TranscriptPage {
  events: AwlEvent[];
  /** Byte offset where the next page starts (pass back as `cursor`). */
  next_cursor: number;
  /** True when the page reached the end of what is written so far. */
  done: boolean;
  skipped: number;
}

export interface PageOptions {
  cursor?: number;
  limit: number;
  /** Only events with a larger sequence_num (resume by sequence instead of by cursor). */
  afterSeq?: number;
  maxLineBytes?: number;
}

const CHUNK = 256 * 1024;

export async function readTranscriptPage(file: string, opts: PageOptions): Promise<TranscriptPage> {
  const fh = await open(file, "r");
  const events: AwlEvent[] = [];
  try {
    const size = (await fh.stat()).size;
    const cut = new LineCutter(Math.min(opts.cursor ?? 0, size), opts.maxLineBytes);
    let invalid = 0;
    const buf = Buffer.allocUnsafe(CHUNK);
    for (let pos = cut.offset; pos < size; ) {
      const { bytesRead } = await fh.read(buf, 0, Math.min(CHUNK, size - pos), pos);
      if (bytesRead <= 0) break;
      pos += bytesRead;
      const whole = cut.push(buf.subarray(0, bytesRead), (line) => {
        const e = parseEvent(line);
        if (e === null) invalid++;
        else if (e !== undefined && (opts.afterSeq === undefined || e.sequence_num > opts.afterSeq)) events.push(e);
        return events.length < opts.limit;
      });
      if (!whole) return { events, next_cursor: cut.offset, done: cut.offset >= size, skipped: invalid + cut.oversized };
    }
    return { events, next_cursor: cut.offset, done: true, skipped: invalid + cut.oversized };
  } finally {
    await fh.close();
  }
}

/** undefined for a blank line, null for an invalid one. */
function parseEvent(line: string): AwlEvent | null | undefined {
  if (line.trim() === "") return undefined;
  try {
    return acceptEvent(JSON.parse(line)) ?? null;
  } catch {
    return null;
  }
}
