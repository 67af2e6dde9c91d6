import { type FSWatcher, watch } from "node:fs";
import { type FileHandle, open, stat } from "node:fs/promises";
import { basename, dirname } from "node:path";
import { LineCutter } from "./lines.js";
import { readLines } from "./reader.js";
import { rotatedSince } from "./rotate.js";

/**
 * Follows a growing JSONL file the way `tail -F` does, but line-exact: it hands over
 * complete lines only (a partial last line waits for its newline), follows a rotation
 * (the file renamed away and a new one created: the old file is read to its end first)
 * and a truncation (read again from the start), and wakes on fs.watch of the directory
 * with a slow poll as a safety net for file systems where watch events get lost.
 *
 * After a rotation the renamed file is kept open for `rotationGraceMs`: a writer in another
 * process may still append to it until it notices the rename (LogWriter does at its next
 * lease, within ~200 ms), and those late lines are handed over too (with `from: "previous"`).
 */
export interface FollowOptions {
  /** Byte offset to start at, or "end" (default) to see only what is appended from now on. */
  start?: number | "end";
  /** Safety-net poll interval (ms). */
  pollMs?: number;
  /** How long a rotated-away file is still read for late lines (ms, default 3000). */
  rotationGraceMs?: number;
  signal?: AbortSignal;
  /**
   * Receives complete lines and the byte offset just past them. For lines of the current
   * file (`from: "current"`) the offset is in that file (where a restart resumes); late lines
   * from a rotated-away file come with `from: "previous"` and that file's offset.
   */
  onLines: (lines: string[], endOffset: number, info: LinesInfo) => void | Promise<void>;
  /** Called when the file was replaced (rotation or truncation): offsets restart at 0. */
  onReset?: (reason: "rotated" | "truncated") => void;
  /**
   * Where rotations are journaled (store/rotate.ts): with it, a follower that slept through
   * several rotations also reads the files rotated in between (plain or compressed).
   */
  rotation?: { journal: string; archiveDir: string };
  /** Bytes read at a time (default 1 MiB); small in tests, to put line and character boundaries across reads. */
  chunkBytes?: number;
}

export interface LinesInfo {
  from: "current" | "previous";
  /** Inode of the file the lines came from. */
  ino: number;
}

const CHUNK = 1 << 20;

interface Open {
  fh: FileHandle;
  ino: number;
  /** Where the lines handed over end (`cut.offset`); reads go on at `cut.offset + cut.pending`. */
  cut: LineCutter;
  /** Retired (rotated away): read until this time. */
  until?: number;
}

export async function follow(path: string, opts: FollowOptions): Promise<void> {
  const pollMs = opts.pollMs ?? 1000;
  const graceMs = opts.rotationGraceMs ?? 3000;
  let wake: (() => void) | undefined;
  let pending = false;
  const poke = () => {
    pending = true;
    wake?.();
  };
  let watcher: FSWatcher | undefined;
  try {
    watcher = watch(dirname(path), { persistent: true }, (_event, name) => {
      if (name === null || name === basename(path)) poke();
    });
    watcher.on("error", () => undefined); // the poll keeps going if the directory watch dies
  } catch {
    watcher = undefined; // no directory yet, or watch unsupported: poll only
  }
  opts.signal?.addEventListener("abort", poke, { once: true });

  let cur: Open | undefined;
  const retired: Open[] = [];

  // Only the file there at start is entered at `start`; a file created or rotated in later is read from 0.
  const openCurrent = async (initial: boolean): Promise<boolean> => {
    try {
      const h = await open(path, "r");
      const st = await h.stat();
      const pos = !initial ? 0 : opts.start === undefined || opts.start === "end" ? st.size : Math.min(opts.start, st.size);
      cur = { fh: h, ino: st.ino, cut: new LineCutter(pos) };
      return true;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return false;
      throw err;
    }
  };

  const chunkBytes = opts.chunkBytes ?? CHUNK;
  const buf = Buffer.allocUnsafe(chunkBytes);
  const drain = async (f: Open, from: LinesInfo["from"]): Promise<void> => {
    for (;;) {
      const { bytesRead } = await f.fh.read(buf, 0, chunkBytes, f.cut.offset + f.cut.pending);
      if (bytesRead <= 0) return;
      const lines: string[] = [];
      f.cut.push(buf.subarray(0, bytesRead), (line) => {
        lines.push(line);
      });
      if (lines.length === 0) continue;
      await opts.onLines(lines, f.cut.offset, { from, ino: f.ino });
      if (opts.signal?.aborted) return;
    }
  };

  const drainRetired = async (): Promise<void> => {
    const now = Date.now();
    for (const r of [...retired]) {
      await drain(r, "previous");
      if (now >= r.until!) {
        retired.splice(retired.indexOf(r), 1);
        await r.fh.close();
      }
    }
  };

  // Files rotated between the one we had and the one now under the live name.
  const catchUp = async (from: number | { sinceMs: number }, untilIno: number | undefined): Promise<void> => {
    const between = rotatedSince(opts.rotation!.journal, opts.rotation!.archiveDir, path, from, untilIno) ?? [];
    for (const file of between) {
      const key = file.replace(/\.gz$/, "");
      if (caughtUp.has(key)) continue;
      caughtUp.add(key);
      if (caughtUp.size > 10_000) caughtUp.delete(caughtUp.values().next().value as string);
      if (file.endsWith(".gz")) {
        for await (const lines of readLines(file)) await opts.onLines(lines, 0, { from: "previous", ino: 0 });
        continue;
      }
      try {
        const fh = await open(file, "r");
        retired.push({ fh, ino: (await fh.stat()).ino, cut: new LineCutter(), until: Date.now() + graceMs });
      } catch {
        // compressed meanwhile: read the .gz
        for await (const lines of readLines(`${file}.gz`)) await opts.onLines(lines, 0, { from: "previous", ino: 0 });
      }
    }
  };

  // What the catch-up starts from: the last file we had, or (no file at start) the start time.
  let lastIno: number | undefined;
  /** Archives already read by a catch-up (without `.gz`): a file is never read twice. */
  const caughtUp = new Set<string>();
  const startedAt = Date.now();
  let startedEmpty = false;

  try {
    startedEmpty = !(await openCurrent(true)) && opts.start !== "end" && opts.start !== undefined;
    while (!opts.signal?.aborted) {
      pending = false;
      await drainRetired();
      if (cur) await drain(cur, "current");
      let st: { ino: number; size: number } | undefined;
      try {
        st = await stat(path);
      } catch {
        st = undefined;
      }
      if (cur && (!st || st.ino !== cur.ino)) {
        // Rotated (renamed away, maybe already replaced): read the old file to its end, and keep it for late lines.
        await drain(cur, "current");
        const gone = cur;
        gone.until = Date.now() + graceMs;
        retired.push(gone);
        cur = undefined;
        if (st) opts.onReset?.("rotated");
        lastIno = gone.ino;
        const reopened = st ? await openCurrent(false) : false;
        if (opts.rotation) await catchUp(gone.ino, cur ? (cur as Open).ino : undefined);
        if (reopened) continue;
      } else if (cur && st && st.size < cur.cut.offset + cur.cut.pending) {
        cur.cut.reset(0);
        opts.onReset?.("truncated");
        continue;
      } else if (!cur && st && (await openCurrent(false))) {
        // The live name was empty for a while (rotated, not yet recreated): files may have come
        // and gone under it meanwhile.
        if (opts.rotation) {
          const now = (cur as Open | undefined)?.ino;
          if (lastIno !== undefined) await catchUp(lastIno, now);
          else if (lastIno === undefined && startedEmpty) await catchUp({ sinceMs: startedAt }, now);
        }
        continue;
      }
      if (pending || opts.signal?.aborted) continue;
      const wait = retired.length ? Math.min(pollMs, 100) : pollMs;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, wait);
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      wake = undefined;
    }
  } finally {
    watcher?.close();
    for (const r of retired) await r.fh.close();
    await cur?.fh.close();
  }
}
