import { randomBytes } from "node:crypto";
import { hostname } from "node:os";
import { join } from "node:path";
import { ensureDir } from "../store/fs.js";
import { ageMs, createExclusive, processAlive, readHolder, sleepSync, unlinkQuietly } from "../store/lock.js";

/**
 * One watcher per log directory: two would share one state file and write every alert
 * twice. The claim is a file created atomically with link(2) (which never replaces an
 * existing name) holding `pid host token`; a claim by a dead process on this host (kill -9)
 * is taken over. The takeover is the lock's (src/store/lock.ts): the dead claim is removed
 * only under a second, short-lived `.break` file and only if it still holds the very holder
 * read before, so two watchers starting together after a kill never both take over (one
 * removing the other's fresh claim). Temp files have a unique name: a stale
 * `watch.pid.<pid>.tmp` left by a killed process (a hard link to its claim) is never
 * written through.
 */
export class WatcherRunningError extends Error {
  override name = "WatcherRunningError";
}

export interface ClaimHooks {
  /** Test seam: called after a dead holder was read, before its claim is broken. */
  beforeBreak?: () => void;
}

const HOST = hostname();
/** A breaker holds `.break` for microseconds; one older than this died while holding it. */
const BREAK_STALE_MS = 2_000;

export function claimWatcher(stateDir: string, name = "watch", hooks: ClaimHooks = {}): () => void {
  ensureDir(stateDir);
  const path = join(stateDir, `${name}.pid`);
  const me = `${process.pid} ${HOST} ${randomBytes(6).toString("hex")}`;
  for (let attempt = 0; attempt < 50; attempt++) {
    if (createExclusive(path, me)) {
      return () => {
        // Only our own claim is removed.
        if (readHolder(path) === me) unlinkQuietly(path);
      };
    }
    const holder = readHolder(path);
    if (holder === undefined) continue; // released meanwhile
    const [pid, host] = holder.split(" ");
    if (host === undefined) {
      // Created by a starter this moment and not yet filled, or left so by one killed in between.
      const age = ageMs(path);
      if (age === undefined || age < BREAK_STALE_MS) {
        sleepSync(5);
        continue;
      }
    } else if (host !== HOST || processAlive(Number(pid))) {
      throw new WatcherRunningError(`another awl watch (pid ${pid} on ${host}) is watching this log directory; stop it first, or use --dry-run`);
    }
    hooks.beforeBreak?.();
    if (!breakDead(path, holder)) sleepSync(5 + Math.random() * 20); // another starter is breaking it: look again shortly
  }
  throw new WatcherRunningError(`could not claim ${path}: it keeps changing; remove it if no awl watch is running`);
}

/** Removes the claim if it still holds `holder`, under the `.break` lock; false if another starter holds that lock. */
function breakDead(path: string, holder: string): boolean {
  const breaker = `${path}.break`;
  if (!createExclusive(breaker, `${process.pid} ${HOST} ${Date.now()}`)) {
    const b = readHolder(breaker);
    const [pid, host] = (b ?? "").split(" ");
    const age = ageMs(breaker);
    if (b !== undefined && ((host === HOST && !processAlive(Number(pid))) || (age !== undefined && age > BREAK_STALE_MS))) unlinkQuietly(breaker);
    return false;
  }
  try {
    // Under the break lock nobody else removes the claim, and nobody can link a new one while it exists.
    if (readHolder(path) === holder) unlinkQuietly(path);
    return true;
  } finally {
    unlinkQuietly(breaker);
  }
}
