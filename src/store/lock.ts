import { closeSync, openSync, readFileSync, statSync, unlinkSync, writeFileSync } from "node:fs";
import { hostname } from "node:os";
import { FILE_MODE } from "./fs.js";

/**
 * A cross-process lock file, used to give each attempt's events gap-free sequence
 * numbers when several processes write the same attempt at once.
 *
 * Node has no flock(2), so the lock is a file created with O_EXCL (which fails if the name
 * exists) and holding `pid host time token`. A lock is stale when its
 * holder is a dead process on this host (kill -9 mid-write) or, whatever the host, when
 * it is older than `staleMs` (holders keep it for milliseconds). Breaking a stale lock
 * happens under a second, short-lived lock (`.break`) and re-checks the holder there, so
 * two waiters can never both break and then both hold it.
 */
export interface LockOptions {
  /** Give up waiting after this long (LockTimeoutError). */
  timeoutMs?: number;
  /** A lock older than this is broken whatever its holder. */
  staleMs?: number;
}

export class LockTimeoutError extends Error {
  override name = "LockTimeoutError";
  constructor(path: string, waitedMs: number, holder: string) {
    super(`could not lock ${path} within ${waitedMs} ms (held by ${holder || "unknown"}); remove the file if no awl process is running`);
  }
}

const HOST = hostname();
const sleeper = new Int32Array(new SharedArrayBuffer(4));

/** Blocks the thread: the lock is taken on the synchronous write path, and waits are short. */
export function sleepSync(ms: number): void {
  Atomics.wait(sleeper, 0, 0, ms);
}

export class FileLock {
  private token: string | undefined;
  private readonly timeoutMs: number;
  private readonly staleMs: number;

  constructor(
    readonly path: string,
    opts: LockOptions = {},
  ) {
    this.timeoutMs = opts.timeoutMs ?? 30_000;
    this.staleMs = opts.staleMs ?? 10_000;
  }

  get held(): boolean {
    return this.token !== undefined;
  }

  /** Takes the lock now if free (or stale); false if another live process holds it. */
  tryAcquire(): boolean {
    if (this.token) return true;
    const token = `${process.pid} ${HOST} ${Date.now()} ${Math.random().toString(36).slice(2)}`;
    if (createExclusive(this.path, token)) {
      this.token = token;
      return true;
    }
    if (this.breakIfStale() && createExclusive(this.path, token)) {
      this.token = token;
      return true;
    }
    return false;
  }

  acquire(): void {
    if (this.tryAcquire()) return;
    const start = Date.now();
    let wait = 0.2;
    for (;;) {
      sleepSync(wait * (0.5 + Math.random()));
      wait = Math.min(wait * 2, 8);
      if (this.tryAcquire()) return;
      if (Date.now() - start > this.timeoutMs) throw new LockTimeoutError(this.path, Date.now() - start, readHolder(this.path) ?? "");
    }
  }

  release(): void {
    const token = this.token;
    if (!token) return;
    this.token = undefined;
    // Only our own lock is removed: if it was broken as stale meanwhile, the file is someone else's.
    if (readHolder(this.path) === token) unlinkQuietly(this.path);
  }

  private breakIfStale(): boolean {
    const holder = readHolder(this.path);
    if (holder === undefined) return true; // released meanwhile
    if (!this.isStale(holder)) return false;
    const breaker = `${this.path}.break`;
    if (!createExclusive(breaker, `${process.pid} ${HOST} ${Date.now()}`)) {
      // Another waiter is breaking it; a breaker that died leaves its file, which goes stale quickly.
      const age = ageMs(breaker);
      if (age !== undefined && age > 2_000) unlinkQuietly(breaker);
      return false;
    }
    try {
      // Under the break lock nobody else removes the lock, and its dead holder cannot: re-check and remove.
      if (readHolder(this.path) === holder) unlinkQuietly(this.path);
      return true;
    } finally {
      unlinkQuietly(breaker);
    }
  }

  private isStale(holder: string): boolean {
    const [pidText, host, timeText, token] = holder.split(" ");
    if (token === undefined) {
      // Being written (created, not yet filled) or left so by a holder killed in between: its age decides.
      const age = ageMs(this.path);
      return age !== undefined && age > this.staleMs;
    }
    const age = Date.now() - Number(timeText);
    if (!(age < this.staleMs)) return true; // also catches an unparseable time
    if (host !== HOST) return false;
    return !processAlive(Number(pidText));
  }
}

/**
 * Creates `path` holding `content`, or returns false when it exists (O_EXCL: never overwriting,
 * never writing through a link another process left there). The file is empty for the moment
 * between its creation and the write; readers judge such a file by its age (FileLock.isStale).
 * One file creation per lock: on a disk busy writing back, each creation is the costly part.
 */
export function createExclusive(path: string, content: string): boolean {
  let fd: number;
  try {
    fd = openSync(path, "wx", FILE_MODE);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "EEXIST") return false;
    throw err;
  }
  try {
    writeFileSync(fd, content);
  } finally {
    closeSync(fd);
  }
  return true;
}

export function readHolder(path: string): string | undefined {
  try {
    return readFileSync(path, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw err;
  }
}

export function ageMs(path: string): number | undefined {
  try {
    return Date.now() - statSync(path).mtimeMs;
  } catch {
    return undefined;
  }
}

export function processAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

export function unlinkQuietly(path: string): void {
  try {
    unlinkSync(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
  }
}
