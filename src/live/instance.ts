import { linkSync, readFileSync, unlinkSync, writeFileSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import { ensureDir, FILE_MODE } from "../store/fs.js";
import { processAlive } from "../store/lock.js";

/**
 * One watcher per log directory: two would share one state file and write every alert
 * twice. The claim is a file created atomically with link(2) holding `pid host`; a claim by
 * a dead process on this host (kill -9) is taken over.
 */
export class WatcherRunningError extends Error {
  override name = "WatcherRunningError";
}

export function claimWatcher(stateDir: string, name = "watch"): () => void {
  ensureDir(stateDir);
  const path = join(stateDir, `${name}.pid`);
  const me = `${process.pid} ${hostname()}`;
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, me, { mode: FILE_MODE });
  try {
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        linkSync(tmp, path);
        return () => {
          try {
            if (readFileSync(path, "utf8") === me) unlinkSync(path);
          } catch {
            // already gone
          }
        };
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
      }
      let holder = "";
      try {
        holder = readFileSync(path, "utf8");
      } catch {
        continue; // released meanwhile
      }
      const [pid, host] = holder.split(" ");
      if (host === hostname() && !processAlive(Number(pid))) {
        try {
          unlinkSync(path);
        } catch {
          // someone else took it over first
        }
        continue;
      }
      throw new WatcherRunningError(`another awl watch (pid ${pid} on ${host}) is watching this log directory; stop it first, or use --dry-run`);
    }
    throw new WatcherRunningError(`could not claim ${path}: it keeps changing`);
  } finally {
    try {
      unlinkSync(tmp);
    } catch {
      // nothing to clean
    }
  }
}
