import { open } from "node:fs/promises";
import type { AwlEvent } from "../schema/index.js";
import { acceptEvent, DEFAULT_MAX_LINE_BYTES } from "../store/reader.js";

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
  const maxLine = opts.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES;
  const events: AwlEvent[] = [];
  let skipped = 0;
  try {
    const size = (await fh.stat()).size;
    let pos = Math.min(opts.cursor ?? 0, size);
    let lineStart = pos;
    let carry: Buffer[] = [];
    let carryLen = 0;
    let oversized = false;
    const buf = Buffer.allocUnsafe(CHUNK);
    while (pos < size) {
      const { bytesRead } = await fh.read(buf, 0, Math.min(CHUNK, size - pos), pos);
      if (bytesRead <= 0) break;
      let start = 0;
      for (let nl = buf.indexOf(0x0a, 0); nl !== -1 && nl < bytesRead; nl = buf.indexOf(0x0a, start)) {
        const lineEnd = pos + nl + 1;
        if (oversized || carryLen + nl - start > maxLine) {
          skipped++;
        } else {
          const text = carryLen ? Buffer.concat([...carry, buf.subarray(start, nl)]).toString("utf8") : buf.toString("utf8", start, nl);
          const e = parseEvent(text);
          if (e === null) skipped++;
          else if (e !== undefined && (opts.afterSeq === undefined || e.sequence_num > opts.afterSeq)) events.push(e);
        }
        carry = [];
        carryLen = 0;
        oversized = false;
        start = nl + 1;
        lineStart = lineEnd;
        if (events.length >= opts.limit) return { events, next_cursor: lineEnd, done: lineEnd >= size, skipped };
      }
      if (start < bytesRead) {
        if (carryLen + bytesRead - start > maxLine) {
          oversized = true;
          carry = [];
          carryLen = 0;
        } else if (!oversized) {
          carry.push(Buffer.from(buf.subarray(start, bytesRead)));
          carryLen += bytesRead - start;
        }
      }
      pos += bytesRead;
    }
    return { events, next_cursor: lineStart, done: true, skipped };
  } finally {
    await fh.close();
  }
}

/** undefined for a blank line, null for an invalid one. */
function parseEvent(line: string): AwlEvent | null | undefined {
  const text = line.endsWith("\r") ? line.slice(0, -1) : line;
  if (text.trim() === "") return undefined;
  try {
    return acceptEvent(JSON.parse(text)) ?? null;
  } catch {
    return null;
  }
}
