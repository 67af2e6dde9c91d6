import { createReadStream, type FSWatcher, readdirSync, statSync, watch } from "node:fs";
import { type FileHandle, open, stat } from "node:fs/promises";
import { basename, dirname, extname, join } from "node:path";
import { createGunzip } from "node:zlib";
import { LineCutter } from "../store/lines.js";

/**
 * The live tail of the event stream. It hands over complete lines only (a partial last
 * line waits for its newline), wakes on fs.watch of the directory with a slow poll as a
 * safety net, and knows where it is as a `TailPosition` — the file's inode, the byte offset
 * past the last line handed over, and the file's first bytes — so a watcher can persist it
 * and resume after a restart:
 *
 * - rotation (the file renamed to `archive/<stem>.<stamp>.jsonl`, maybe gzipped later, and a
 *   new file created): the old file is read to its end, including lines writers still
 *   append during their short lease after the rename, before the new file is read from 0;
 *   after a restart the rest of a rotated file is found in the archive (by inode, or by its
 *   first bytes once gzipped);
 * - truncation in place (the seed's `> file`): noticed by the size going down or the first
 *   bytes changing, and read again from 0 — a byte offset is never carried across it.
 */

export interface TailPosition {
  ino: number;
  offset: number;
  /** The file's first bytes (base64, up to HEAD_BYTES): identifies it once renamed or gzipped. */
  head: string;
}

export type TailStart = "end" | "start" | TailPosition;

export interface TailOptions {
  path: string;
  archiveDir: string;
  start: TailStart;
  /** With start "start": read the archived files of this stream first (a replay of the whole history). */
  includeArchives?: boolean;
  /** false: read what is there now and return (`--once`). */
  follow: boolean;
  pollMs: number;
  /** How long writers may still append to a file after it was renamed away. */
  leaseMs?: number;
  signal?: AbortSignal;
  /** Complete lines, and the position just past them. */
  onLines: (lines: string[], pos: TailPosition) => void | Promise<void>;
  /** Called whenever the tail has caught up, and at least every `pollMs` while idle. */
  onIdle?: (pos: TailPosition) => void | Promise<void>;
  /** Where reading resumed and anything notable (a truncation, a rotated file not found). */
  onNote?: (note: string) => void;
  /** Bytes read at a time (default 1 MiB); small in tests, to put line and character boundaries across reads. */
  chunkBytes?: number;
}

export const HEAD_BYTES = 64;
const CHUNK = 1 << 20;

/** True when `current` (a file's first bytes) begins with the saved `head`. */
export function sameHead(head: string, current: string): boolean {
  const a = Buffer.from(head, "base64");
  const b = Buffer.from(current, "base64");
  return b.length >= a.length && b.subarray(0, a.length).equals(a);
}

function headLength(head: string): number {
  return Buffer.from(head, "base64").length;
}

async function headOf(fh: FileHandle, size: number): Promise<string> {
  const n = Math.min(HEAD_BYTES, size);
  if (n <= 0) return "";
  const b = Buffer.alloc(n);
  const { bytesRead } = await fh.read(b, 0, n, 0);
  return b.subarray(0, bytesRead).toString("base64");
}

/** Archived files of the stream (`<stem>.<stamp>.jsonl[.gz]`), oldest first, one per stamp (plain before gz). */
export function archivedFiles(path: string, archiveDir: string): string[] {
  const stem = basename(path, extname(path));
  let names: string[];
  try {
    names = readdirSync(archiveDir);
  } catch {
    return [];
  }
  const byStamp = new Map<string, string>();
  for (const n of names) {
    const m = n.startsWith(`${stem}.`) ? /^(.*)\.jsonl(\.gz)?$/.exec(n.slice(stem.length + 1)) : null;
    if (!m) continue;
    const stamp = m[1]!;
    if (!byStamp.has(stamp) || !m[2]) byStamp.set(stamp, n);
  }
  return [...byStamp.keys()].sort(compareStamps).map((k) => join(archiveDir, byStamp.get(k)!));
}

/** Stamps sort by date, then a same-millisecond suffix (`-1`, `-2`, … `-10`) as a number. */
function compareStamps(a: string, b: string): number {
  const ma = /^(.*Z)(?:-(\d+))?$/.exec(a);
  const mb = /^(.*Z)(?:-(\d+))?$/.exec(b);
  const [da, na] = ma ? [ma[1]!, Number(ma[2] ?? 0)] : [a, 0];
  const [db, nb] = mb ? [mb[1]!, Number(mb[2] ?? 0)] : [b, 0];
  if (da !== db) return da < db ? -1 : 1;
  return na - nb;
}

async function fileHead(path: string): Promise<string> {
  if (path.endsWith(".gz")) {
    const chunks: Buffer[] = [];
    let len = 0;
    const src = createReadStream(path).pipe(createGunzip());
    try {
      for await (const c of src as AsyncIterable<Buffer>) {
        chunks.push(c);
        len += c.length;
        if (len >= HEAD_BYTES) break;
      }
    } catch {
      // a corrupt archive: whatever was read
    } finally {
      src.destroy();
    }
    return Buffer.concat(chunks).subarray(0, HEAD_BYTES).toString("base64");
  }
  const fh = await open(path, "r");
  try {
    return await headOf(fh, HEAD_BYTES);
  } finally {
    await fh.close();
  }
}

/** The archived file a saved position was in: same inode (renamed, still plain), or same first bytes (gzipped since). */
export async function findArchived(pos: TailPosition, files: string[]): Promise<number> {
  for (let i = 0; i < files.length; i++) {
    const f = files[i]!;
    if (f.endsWith(".gz")) continue;
    try {
      if (statSync(f).ino === pos.ino) return i;
    } catch {
      // gone meanwhile (gzipped): tried by content below
    }
  }
  if (pos.head === "") return -1;
  for (let i = 0; i < files.length; i++) {
    try {
      const h = await fileHead(files[i]!);
      if (sameHead(pos.head, h)) return i;
    } catch {
      // unreadable: not this one
    }
  }
  return -1;
}

/** Reads a finished (archived) file from `offset` to its end, in line batches. A torn last line is dropped. */
async function readFinished(path: string, offset: number, opts: TailOptions): Promise<void> {
  const gz = path.endsWith(".gz");
  const pos: TailPosition = { ino: gz ? 0 : statSync(path).ino, offset, head: await fileHead(path) };
  const chunk = opts.chunkBytes ?? CHUNK;
  const src = gz ? createReadStream(path, { highWaterMark: chunk }).pipe(createGunzip({ chunkSize: Math.max(64, chunk) })) : createReadStream(path, { start: offset, highWaterMark: chunk });
  let skip = gz ? offset : 0;
  const cut = new LineCutter(offset);
  try {
    for await (let chunk of src as AsyncIterable<Buffer>) {
      if (opts.signal?.aborted) return;
      if (skip > 0) {
        const drop = Math.min(skip, chunk.length);
        skip -= drop;
        chunk = chunk.subarray(drop);
        if (chunk.length === 0) continue;
      }
      const lines: string[] = [];
      cut.push(chunk, (line) => {
        lines.push(line);
      });
      pos.offset = cut.offset; // past a skipped over-long line too
      if (lines.length === 0) continue;
      await opts.onLines(lines, { ...pos });
    }
  } catch (err) {
    if (!gz) throw err;
    opts.onNote?.(`${path}: archive ends early (${(err as Error).message}); continuing with the next file`);
  } finally {
    src.destroy();
  }
}

export async function tail(opts: TailOptions): Promise<void> {
  const leaseMs = opts.leaseMs ?? 250;
  let wake: (() => void) | undefined;
  let pending = false;
  const poke = () => {
    pending = true;
    wake?.();
  };
  let watcher: FSWatcher | undefined;
  if (opts.follow) {
    try {
      watcher = watch(dirname(opts.path), { persistent: true }, (_event, name) => {
        if (name === null || name === basename(opts.path)) poke();
      });
      watcher.on("error", () => undefined); // the poll goes on if the directory watch dies
    } catch {
      watcher = undefined;
    }
  }
  opts.signal?.addEventListener("abort", poke, { once: true });
  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      if (pending || opts.signal?.aborted) return resolve();
      const timer = setTimeout(resolve, ms);
      wake = () => {
        clearTimeout(timer);
        resolve();
      };
    }).finally(() => {
      wake = undefined;
    });

  let fh: FileHandle | undefined;
  const pos: TailPosition = { ino: 0, offset: 0, head: "" };
  // The partial last line waits here; reads go on at `pos.offset + cut.pending`.
  const cut = new LineCutter();

  const openLive = async (at: "end" | number): Promise<boolean> => {
    try {
      const h = await open(opts.path, "r");
      const st = await h.stat();
      fh = h;
      pos.ino = st.ino;
      pos.offset = at === "end" ? st.size : Math.min(at, st.size);
      pos.head = await headOf(h, st.size);
      cut.reset(pos.offset);
      return true;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return false;
      throw err;
    }
  };

  const chunkBytes = opts.chunkBytes ?? CHUNK;
  const buf = Buffer.allocUnsafe(chunkBytes);
  const drain = async (): Promise<void> => {
    if (!fh) return;
    for (;;) {
      const { bytesRead } = await fh.read(buf, 0, chunkBytes, pos.offset + cut.pending);
      if (bytesRead <= 0) return;
      // Checked after the read: bytes read from a file truncated and refilled meanwhile are dropped, never handed over.
      const head = await headOf(fh, HEAD_BYTES);
      if (!sameHead(pos.head, head)) {
        opts.onNote?.(`${opts.path} was truncated: reading it from the start`);
        pos.offset = 0;
        pos.head = head;
        cut.reset(0);
        continue;
      }
      pos.head = head;
      const lines: string[] = [];
      cut.push(buf.subarray(0, bytesRead), (line) => {
        lines.push(line);
      });
      pos.offset = cut.offset; // past a skipped over-long line too
      if (lines.length === 0) continue;
      await opts.onLines(lines, { ...pos });
      if (opts.signal?.aborted) return;
    }
  };

  // Archived files read to their end, or that lie before where reading began, by name
  // without `.gz`: each file of the stream is read once even if it is gzipped meanwhile.
  const done = new Set<string>();
  const keyOf = (f: string) => f.replace(/\.gz$/, "");
  const listArchives = () => archivedFiles(opts.path, opts.archiveDir);
  const skipAll = () => {
    for (const f of listArchives()) done.add(keyOf(f));
  };

  /** The open live file, renamed into the archive since (same inode, or same first bytes once gzipped). */
  const isOurs = async (f: string): Promise<boolean> => {
    if (!fh) return false;
    if (!f.endsWith(".gz")) {
      try {
        return statSync(f).ino === pos.ino;
      } catch {
        f = `${f}.gz`; // gzipped since it was listed
      }
    }
    const mine = await headOf(fh, HEAD_BYTES);
    if (mine === "") return false;
    try {
      return (await fileHead(f)) === mine;
    } catch {
      return false;
    }
  };

  /** Reads one archived file; a plain one renamed away moments ago waits out the writers' lease first. */
  const readArchive = async (f: string, offset: number): Promise<void> => {
    if (!f.endsWith(".gz")) {
      try {
        const st = statSync(f);
        const age = Date.now() - Math.max(st.mtimeMs, st.ctimeMs);
        if (age < leaseMs) await new Promise((r) => setTimeout(r, leaseMs - age));
      } catch {
        // gzipped meanwhile: read below as .gz
      }
    }
    try {
      try {
        await readFinished(f, offset, opts);
      } catch (err) {
        if (f.endsWith(".gz") || (err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
        await readFinished(`${f}.gz`, offset, opts);
      }
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
      opts.onNote?.(`${f} was removed before it could be read (retention?): continuing with the next file`);
    }
    done.add(keyOf(f));
  };

  /**
   * Reads every archived file not read yet, oldest first, then opens the live file, then
   * lists the archive again: a file rotated while the others were read (or before the live
   * file was opened) is read too, and the listing repeats until it holds nothing new but
   * the open live file itself (which the loop below follows through its rotation).
   */
  const catchUp = async (resume?: { file: string; offset: number }): Promise<void> => {
    for (;;) {
      const todo = listArchives().filter((f) => !done.has(keyOf(f)));
      if (todo.length === 0) break;
      for (const f of todo) {
        if (opts.signal?.aborted) return;
        await readArchive(f, resume && keyOf(f) === keyOf(resume.file) ? resume.offset : 0);
      }
    }
    if (!fh) await openLive(0);
    for (;;) {
      const fresh = listArchives().filter((f) => !done.has(keyOf(f)));
      if (fresh.length === 0) return;
      for (const f of fresh) {
        if (opts.signal?.aborted) return;
        // Nothing of the open file is read yet: older files go first, and the open one ends the catch-up.
        if (await isOurs(f)) return;
        await readArchive(f, 0);
      }
    }
  };

  /** The open live file was renamed away and read to its end: it and everything before it are done. */
  const finishOurs = async (): Promise<void> => {
    const files = listArchives().filter((f) => !done.has(keyOf(f)));
    let last = files.length - 1; // not found (removed, not archived): all listed files are older
    for (let i = 0; i < files.length; i++) {
      if (await isOurs(files[i]!)) {
        last = i;
        break;
      }
    }
    for (let i = 0; i <= last; i++) done.add(keyOf(files[i]!));
  };

  try {
    // Where to begin: a saved position may lie in a file rotated away since.
    const start = opts.start;
    if (start === "start") {
      if (!opts.includeArchives) skipAll();
      await catchUp();
    } else if (start === "end") {
      skipAll();
      await openLive("end");
    } else {
      skipAll();
      let resumed = false;
      if ((await openLive(start.offset)) && pos.ino === start.ino) {
        resumed = true;
        const size = (await fh!.stat()).size;
        if (size < start.offset || !sameHead(start.head, pos.head)) {
          opts.onNote?.(`${opts.path} was truncated while the watcher was stopped: reading it from the start`);
          pos.offset = 0;
          cut.reset(0);
        }
      } else {
        await fh?.close();
        fh = undefined;
      }
      if (!resumed) {
        done.clear();
        const files = listArchives();
        const i = await findArchived(start, files);
        if (i === -1) {
          if (start.offset > 0) opts.onNote?.(`the file the watcher stopped in (inode ${start.ino}) is not in ${opts.archiveDir}: continuing with the current file`);
          for (const f of files) done.add(keyOf(f));
          await catchUp();
        } else {
          opts.onNote?.(`resuming in ${files[i]} at byte ${start.offset}, then the current file`);
          for (let k = 0; k < i; k++) done.add(keyOf(files[k]!));
          await catchUp({ file: files[i]!, offset: start.offset });
        }
      }
    }

    while (!opts.signal?.aborted) {
      pending = false;
      await drain();
      if (opts.signal?.aborted) break;
      let st: { ino: number; size: number } | undefined;
      try {
        st = await stat(opts.path);
      } catch {
        st = undefined;
      }
      if (fh && (!st || st.ino !== pos.ino)) {
        // Renamed away: writers may still finish lines into it during their lease.
        await sleep(leaseMs);
        pending = false;
        await drain();
        await finishOurs();
        await fh.close();
        fh = undefined;
        // Files rotated after it (a follower that slept through two rotations), then the new live file.
        await catchUp();
        if (fh) continue;
      } else if (fh && st) {
        const head = await headOf(fh, Math.min(st.size, headLength(pos.head)));
        if (st.size < pos.offset + cut.pending || head !== pos.head) {
          opts.onNote?.(`${opts.path} was truncated: reading it from the start`);
          pos.offset = 0;
          pos.head = await headOf(fh, st.size);
          cut.reset(0);
          continue;
        }
      } else if (!fh && st) {
        await catchUp();
        if (fh) continue;
      }
      await opts.onIdle?.({ ...pos });
      if (!opts.follow) break;
      if (pending) continue;
      await sleep(opts.pollMs);
    }
  } finally {
    watcher?.close();
    await fh?.close();
  }
}
