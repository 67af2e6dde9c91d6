import { readFileSync } from "node:fs";
import { join } from "node:path";
import { writeFileAtomic } from "../store/fs.js";
import type { TailPosition } from "./tail.js";

/**
 * A watcher's persisted state under the log directory's `.state/`: where the tail is, the
 * analyzer's snapshot at exactly that point, and how long the alerts file was then (alerts
 * written after it may be raised again after a crash: they are recognized by their id).
 * Written atomically (temp file + rename), so a kill -9 leaves the old state or the new one.
 */
export interface WatchState {
  v: 1;
  stream: string;
  position: TailPosition;
  analyzer: unknown;
  alertsOffset: number;
  savedAt: string;
}

export function watchStatePath(stateDir: string, name = "watch"): string {
  return join(stateDir, `${name}.json`);
}

export function loadWatchState(path: string): WatchState | undefined {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw err;
  }
  const v = JSON.parse(text) as WatchState;
  if (v?.v !== 1 || typeof v.position?.offset !== "number") throw new Error(`${path}: not a watcher state file (remove it to start over)`);
  return v;
}

export function saveWatchState(path: string, state: WatchState): void {
  writeFileAtomic(path, JSON.stringify(state));
}
