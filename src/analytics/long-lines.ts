import { createReadStream, createWriteStream, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Transform, type TransformCallback } from "node:stream";
import { pipeline } from "node:stream/promises";
import { randomBytes } from "node:crypto";
import { createGunzip } from "node:zlib";
import { isGzip } from "../store/reader.js";
import { type JsonlSource, MAX_LINE_BYTES, sourceName, sourcePath } from "./views.js";

// In place of a dropped line: a row of NULLs, which the views count as an unreadable line.
const PLACEHOLDER = Buffer.from("{}");
const NEWLINE = Buffer.from("\n");

/** Passes lines through, replacing each longer than `max` bytes (newline excluded) by `{}`; never holds more than `max` bytes. */
class DropLongLines extends Transform {
  dropped = 0;
  private held: Buffer[] = [];
  private heldLen = 0;
  private skipping = false;

  constructor(private readonly max: number) {
    super();
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    let start = 0;
    for (let nl = chunk.indexOf(0x0a); nl !== -1; nl = chunk.indexOf(0x0a, start)) {
      if (this.skipping || this.heldLen + nl - start > this.max) {
        this.dropped++;
        this.push(PLACEHOLDER);
        this.push(NEWLINE);
      } else {
        for (const h of this.held) this.push(h);
        this.push(chunk.subarray(start, nl + 1));
      }
      this.held = [];
      this.heldLen = 0;
      this.skipping = false;
      start = nl + 1;
    }
    if (start < chunk.length && !this.skipping) {
      if (this.heldLen + chunk.length - start > this.max) {
        this.skipping = true;
        this.held = [];
        this.heldLen = 0;
      } else {
        this.held.push(chunk.subarray(start));
        this.heldLen += chunk.length - start;
      }
    }
    done();
  }

  override _flush(done: TransformCallback): void {
    // A final line without its newline stays one (torn) line.
    if (this.skipping) {
      this.dropped++;
      this.push(PLACEHOLDER);
    } else {
      for (const h of this.held) this.push(h);
    }
    done();
  }
}

/**
 * A plain copy of `file` (plain or gzip) in `dir`, each line longer than `max` bytes replaced by
 * `{}` (one unreadable line, as the store's reader counts an oversized one); undefined, and no
 * copy left behind, when the file has no such line.
 */
export async function withoutLongLines(file: string, dir: string, max = MAX_LINE_BYTES): Promise<string | undefined> {
  const copy = join(dir, `long-${process.pid}-${randomBytes(4).toString("hex")}.jsonl`);
  const drop = new DropLongLines(max);
  try {
    const source = (await isGzip(file)) ? createReadStream(file).pipe(createGunzip()) : createReadStream(file);
    await pipeline(source, drop, createWriteStream(copy, { mode: 0o600 }));
  } catch (err) {
    rmSync(copy, { force: true });
    throw err;
  }
  if (drop.dropped > 0) return copy;
  rmSync(copy, { force: true });
  return undefined;
}

/** DuckDB's refusal of a line longer than `maximum_object_size` (it names the setting, the limit and the file). */
export function isLongLineError(err: unknown): boolean {
  return err instanceof Error && /"maximum_object_size" of \d+ bytes exceeded/.test(err.message);
}

/**
 * Runs a statement over JSONL files; if DuckDB refuses a line longer than MAX_LINE_BYTES, runs it
 * again over copies of the files that hold such lines (in `dir`, or a private temporary
 * directory), those lines dropped and counted as unreadable. The copies keep the name of the
 * file they came from, and are removed afterwards.
 */
export async function runOverJsonl<T>(files: readonly JsonlSource[], dir: string | null, run: (files: readonly JsonlSource[]) => Promise<T>): Promise<T> {
  try {
    return await run(files);
  } catch (err) {
    if (!isLongLineError(err)) throw err;
  }
  const own = dir === null ? mkdtempSync(join(tmpdir(), "awl-long-lines-")) : null;
  const copies: string[] = [];
  try {
    const readable: JsonlSource[] = [];
    for (const f of files) {
      const copy = await withoutLongLines(sourcePath(f), own ?? (dir as string));
      if (copy) copies.push(copy);
      readable.push(copy ? { path: copy, name: sourceName(f) } : f);
    }
    return await run(readable);
  } finally {
    for (const c of copies) rmSync(c, { force: true });
    if (own) rmSync(own, { recursive: true, force: true });
  }
}
