import { availableParallelism } from "node:os";
import { readdirSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import type { AwlConfig } from "../config/index.js";
import { readStreamText } from "../store/fs.js";
import { logPaths } from "../store/paths.js";
import { LogWriter } from "../store/writer.js";
import { emptySummary, importFile, importText, type ImportSummary, isUnchanged, mergeSummary, noClaim } from "./import-file.js";
import { importInWorkers } from "./import-pool.js";
import { compactJournals, ImportJournal, readFileStates } from "./import-state.js";

export type { ImportSummary } from "./import-file.js";

/**
 * `awl import`: records existing agent output — saved stdout streams and the agents' own
 * session stores — as attempts named `<agent>-<session id>`. Idempotent: a file unchanged
 * since it was imported is skipped by its size, time and first bytes; any event already in
 * the attempt (same `record_id`, or the same content for events without one) is not
 * written again, so importing a session's stream and its session file yields one session.
 *
 * Parsing, redacting and serializing is CPU work: a large import spreads the files over
 * worker threads (import-pool.ts), each with its own writer; the writers' locks keep every
 * attempt's sequence whole, and a claim per attempt keeps two sources of one session apart.
 */

export interface ImportOptions {
  paths: string[];
  config: AwlConfig;
  /** For `-`. */
  stdin?: NodeJS.ReadableStream;
  onProgress?: (p: { files: number; totalFiles: number; bytes: number; totalBytes: number }) => void;
  /** Clock for stdin's untimed records and events without a time; applies to this thread's imports. */
  now?: () => number;
  /**
   * Threads that import files at once. Default: one per CPU (at most MAX_JOBS) when the
   * changed files hold at least BYTES_PER_JOB each; 1 imports in this thread.
   */
  jobs?: number;
}

export const MAX_JOBS = 4;
/** Below this many changed bytes per thread, starting a thread costs more than it saves. */
const BYTES_PER_JOB = 16 * 1024 * 1024;

export async function importPaths(opts: ImportOptions): Promise<ImportSummary> {
  const summary = emptySummary();
  const { logDir, streamFile, enabled } = opts.config;
  const stateDir = join(logPaths(logDir).state, "import");
  const states = readFileStates(stateDir);
  const files: { path: string; size: number }[] = [];
  let stdinUsed = false;
  for (const p of opts.paths) {
    if (p === "-") stdinUsed = true;
    else for (const f of expand(resolve(p), summary)) files.push(f);
  }
  const totalBytes = files.reduce((s, f) => s + f.size, 0);
  const changed = files.filter((f) => !isUnchanged(f.path, states.get(f.path))).map((f) => ({ ...f, before: states.get(f.path) }));
  summary.unchanged = files.length - changed.length;
  let done = files.length - changed.length;
  let bytes = totalBytes - changed.reduce((s, f) => s + f.size, 0);
  const progress = (size: number) => {
    done++;
    bytes += size;
    opts.onProgress?.({ files: done, totalFiles: files.length, bytes, totalBytes });
  };
  const jobs = jobsFor(opts.jobs, changed);
  const writer = new LogWriter({ logDir, streamFile, enabled, now: opts.now });
  const journal = new ImportJournal(stateDir);
  const ctx = { writer, stateDir, remember: journal.record.bind(journal), summary, claim: noClaim };
  try {
    if (stdinUsed && opts.stdin) {
      const text = await readStreamText(opts.stdin);
      await importText(text, ctx, new Date((opts.now ?? Date.now)()).toISOString());
    }
    if (jobs > 1) {
      writer.close();
      await importInWorkers(changed, jobs, { logDir, streamFile, enabled, stateDir }, (done, size) => {
        mergeSummary(summary, done.summary);
        for (const r of done.remember) journal.record(r.path, r.state, r.resume);
        progress(size);
      });
    } else {
      for (const f of changed) {
        await importFile(f.path, f.before, ctx, (opts.now ?? Date.now)());
        progress(f.size);
      }
    }
  } finally {
    writer.close();
    journal.close();
  }
  if (changed.length > 0) compactJournals(stateDir);
  return summary;
}

function jobsFor(asked: number | undefined, changed: readonly { size: number }[]): number {
  if (asked !== undefined) return Math.max(1, Math.min(asked, changed.length));
  const bytes = changed.reduce((s, f) => s + f.size, 0);
  return Math.max(1, Math.min(availableParallelism(), MAX_JOBS, changed.length, Math.floor(bytes / BYTES_PER_JOB)));
}

function expand(path: string, summary: ImportSummary): { path: string; size: number }[] {
  let st: import("node:fs").Stats;
  try {
    st = statSync(path);
  } catch (err) {
    summary.skipped_files.push({ path, reason: (err as NodeJS.ErrnoException).code ?? "unreadable" });
    return [];
  }
  if (st.isFile()) return [{ path, size: st.size }];
  if (!st.isDirectory()) return [];
  const out: { path: string; size: number }[] = [];
  let entries: import("node:fs").Dirent[];
  try {
    entries = readdirSync(path, { withFileTypes: true });
  } catch (err) {
    summary.skipped_files.push({ path, reason: (err as NodeJS.ErrnoException).code ?? "unreadable" });
    return [];
  }
  for (const e of entries.sort((a, b) => a.name.localeCompare(b.name))) {
    const p = join(path, e.name);
    if (e.isDirectory()) for (const f of expand(p, summary)) out.push(f);
    else if (e.isFile() && /\.jsonl?$/.test(e.name)) for (const f of expand(p, summary)) out.push(f);
  }
  return out;
}
