import { createHash } from "node:crypto";
import { readdirSync, readFileSync, statSync, unlinkSync } from "node:fs";
import { join } from "node:path";
import type { Alert } from "../../schema/alert.js";
import { ensureDir, writeFileAtomic } from "../../store/fs.js";

/** What an outbox entry delivers. */
export type OutboxKind = "telegram" | "webhook" | "hook";

export interface OutboxEntry {
  id: string;
  kind: OutboxKind;
  alert_id: string;
  attempt_id: string;
  /** When it was queued (wall clock, ISO). */
  created: string;
  /** Sends tried so far. */
  attempts: number;
  /** Not before this time (ms since epoch): backoff and a server's retry_after. */
  next_at: number;
  /** Telegram: the message parts, rendered once so every retry sends the same text. */
  parts?: string[];
  /** Telegram: parts already delivered; a retry continues after them instead of repeating them. */
  parts_sent?: number;
  /** Webhook: the exact body (what the signature covers). */
  body?: string;
  /** The alert itself (hooks get it on stdin and in their environment). */
  alert: Alert;
  last_error?: string;
}

export interface OutboxResult {
  /** ok: delivered; skipped: decided not to send (cooldown); failed: given up. */
  status: "ok" | "skipped" | "failed";
  at: string;
  attempts: number;
  detail?: string;
  error?: string;
}

/** The id of an alert's entry for one channel: the same alert never gets two entries. */
export function outboxId(kind: OutboxKind, alertId: string): string {
  return `${kind}-${createHash("sha256").update(alertId, "utf8").digest("hex").slice(0, 32)}`;
}

/**
 * A durable queue of notifications under `.state/outbox/`, so a notification survives a
 * restart and is sent once:
 *
 * - `pending/<id>.json`: queued, written atomically before anything is sent;
 * - `done/<id>.json`: delivered (a tombstone: enqueueing the same id again is a no-op);
 * - `failed/<id>.json`: given up after the last attempt, with the last error.
 *
 * Completing writes the tombstone first and removes the pending file second; a crash between
 * the two leaves both, and the pending one is dropped when next listed, never resent.
 * Tombstones are pruned after `pruneDays`, long after anything could enqueue the id again.
 */
export class Outbox {
  readonly dir: string;
  private readonly pendingDir: string;
  private readonly doneDir: string;
  private readonly failedDir: string;

  constructor(stateDir: string) {
    this.dir = join(stateDir, "outbox");
    this.pendingDir = join(this.dir, "pending");
    this.doneDir = join(this.dir, "done");
    this.failedDir = join(this.dir, "failed");
  }

  private ensure(): void {
    ensureDir(this.pendingDir);
    ensureDir(this.doneDir);
    ensureDir(this.failedDir);
  }

  /** True if the id was ever queued (pending, delivered or given up). */
  known(id: string): boolean {
    return [this.pendingDir, this.doneDir, this.failedDir].some((d) => exists(join(d, `${id}.json`)));
  }

  /** Queues an entry unless its id is already known; returns whether it was queued. */
  enqueue(entry: OutboxEntry): boolean {
    this.ensure();
    if (this.known(entry.id)) return false;
    writeFileAtomic(join(this.pendingDir, `${entry.id}.json`), JSON.stringify(entry));
    return true;
  }

  /** Saves an entry's progress (attempts, parts sent, next time). */
  update(entry: OutboxEntry): void {
    writeFileAtomic(join(this.pendingDir, `${entry.id}.json`), JSON.stringify(entry));
  }

  /** Every pending entry, oldest first. Unreadable files are moved aside to `failed/` and reported by `onBad`. */
  pending(onBad?: (file: string, why: string) => void): OutboxEntry[] {
    let names: string[];
    try {
      names = readdirSync(this.pendingDir).filter((n) => n.endsWith(".json"));
    } catch {
      return [];
    }
    const out: OutboxEntry[] = [];
    for (const name of names) {
      const file = join(this.pendingDir, name);
      if (exists(join(this.doneDir, name))) {
        removeQuietly(file); // completed, crashed before the pending file went
        continue;
      }
      try {
        out.push(JSON.parse(readFileSync(file, "utf8")) as OutboxEntry);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === "ENOENT") continue;
        onBad?.(file, (err as Error).message);
        this.ensure();
        writeFileAtomic(join(this.failedDir, name), JSON.stringify({ status: "failed", error: `unreadable outbox entry: ${(err as Error).message}` }));
        removeQuietly(file);
      }
    }
    return out.sort((a, b) => (a.created < b.created ? -1 : a.created > b.created ? 1 : a.id < b.id ? -1 : 1));
  }

  /** Marks an entry delivered (or given up): tombstone first, then the pending file goes. */
  finish(entry: OutboxEntry, result: OutboxResult): void {
    this.ensure();
    const dir = result.status === "failed" ? this.failedDir : this.doneDir;
    writeFileAtomic(join(dir, `${entry.id}.json`), JSON.stringify({ ...result, id: entry.id, kind: entry.kind, alert_id: entry.alert_id }));
    removeQuietly(join(this.pendingDir, `${entry.id}.json`));
  }

  /** Deletes tombstones (done and failed) older than `days`; returns how many. */
  prune(nowMs: number, days: number): number {
    let n = 0;
    for (const d of [this.doneDir, this.failedDir]) {
      let names: string[] = [];
      try {
        names = readdirSync(d);
      } catch {
        continue;
      }
      for (const name of names) {
        const file = join(d, name);
        try {
          if (nowMs - statSync(file).mtimeMs > days * 86_400_000) {
            unlinkSync(file);
            n++;
          }
        } catch {
          // gone meanwhile
        }
      }
    }
    return n;
  }
}

function exists(path: string): boolean {
  try {
    statSync(path);
    return true;
  } catch {
    return false;
  }
}

function removeQuietly(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // already gone
  }
}
