import { type FSWatcher, watch } from "node:fs";
import { type FileHandle, open, stat } from "node:fs/promises";
import { basename, dirname } from "node:path";

/**
 * Follows a growing JSONL file the way `tail -F` does, but line-exact: it hands over
 * complete lines only (a partial last line waits for its newline), follows a rotation
 * (the file renamed away and a new one created: the old file is read to its end first)
 * and a truncation (read again from the start), and wakes on fs.watch of the directory
 * with a slow poll as a safety net for file systems where watch events get lost.
 */
export interface FollowOptions {
  /** Byte offset to start at, or "end" (default) to see only what is appended from now on. */
  start?: number | "end";
  /** Safety-net poll interval (ms). */
  pollMs?: number;
  signal?: AbortSignal;
  /** Receives complete lines and the byte offset just past them (in the current file). */
  onLines: (lines: string[], endOffset: number) => void | Promise<void>;
  /** Called when the file was replaced (rotation or truncation): offsets restart at 0. */
  onReset?: (reason: "rotated" | "truncated") => void;
}

const CHUNK = 1 << 20;

export async function follow(path: string, opts: FollowOptions): Promise<void> {
  const pollMs = opts.pollMs ?? 1000;
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

  let fh: FileHandle | undefined;
  let ino = 0;
  let pos = 0;
  let carry = "";

  // Only the file there at start is entered at `start`; a file created or rotated in later is read from 0.
  const openCurrent = async (initial: boolean): Promise<boolean> => {
    try {
      const h = await open(path, "r");
      const st = await h.stat();
      fh = h;
      ino = st.ino;
      carry = "";
      pos = !initial ? 0 : opts.start === undefined || opts.start === "end" ? st.size : Math.min(opts.start, st.size);
      return true;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return false;
      throw err;
    }
  };

  const drain = async (): Promise<void> => {
    if (!fh) return;
    const buf = Buffer.allocUnsafe(CHUNK);
    for (;;) {
      const { bytesRead } = await fh.read(buf, 0, CHUNK, pos);
      if (bytesRead <= 0) return;
      pos += bytesRead;
      const text = carry + buf.toString("utf8", 0, bytesRead);
      const lastNl = text.lastIndexOf("\n");
      if (lastNl === -1) {
        carry = text;
        continue;
      }
      carry = text.slice(lastNl + 1);
      const lines = text.slice(0, lastNl).split("\n");
      await opts.onLines(lines, pos - Buffer.byteLength(carry, "utf8"));
      if (opts.signal?.aborted) return;
    }
  };

  try {
    await openCurrent(true);
    while (!opts.signal?.aborted) {
      pending = false;
      await drain();
      let st: { ino: number; size: number } | undefined;
      try {
        st = await stat(path);
      } catch {
        st = undefined;
      }
      if (fh && (!st || st.ino !== ino)) {
        // Rotated (renamed away, maybe already replaced): the old file may still get its last lines.
        await drain();
        await fh.close();
        fh = undefined;
        if (st) opts.onReset?.("rotated");
        if (st && (await openCurrent(false))) continue;
      } else if (fh && st && st.size < pos) {
        pos = 0;
        carry = "";
        opts.onReset?.("truncated");
        continue;
      } else if (!fh && st && (await openCurrent(false))) {
        continue;
      }
      if (pending || opts.signal?.aborted) continue;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, pollMs);
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      wake = undefined;
    }
  } finally {
    watcher?.close();
    await fh?.close();
  }
}
