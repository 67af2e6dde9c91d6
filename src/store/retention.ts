import { closeSync, existsSync, openSync, readdirSync, readFileSync, statSync, unlinkSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import type { AwlConfig } from "../config/schema.js";
import { ARCHIVED_INO, type AttemptState, attemptState, stateFileText } from "./attempt-state.js";
import { ensureDir } from "./fs.js";
import { FileLock } from "./lock.js";
import { type LogPaths, logPaths } from "./paths.js";
import { stemOf, writeDurable } from "./rotate.js";

/**
 * Retention, as the seed lists it and each configurable (`retention.*`):
 *
 * - archives of the stream older than `streamDays` (30), of the error log older than
 *   `errorsDays` (90), of the alert log older than `alertsDays` (365) are deleted; an
 *   archive's age is that of its rotation stamp (its newest lines);
 * - metrics are kept forever (compressed monthly by rotation);
 * - session files: the newest `sessions` (AGENT_SESSION_LOG_RETENTION) stay live; older ones,
 *   once idle for `sessionIdleHours`, are gzipped to `archive/agent-sessions/<file>.gz`, and
 *   those archives are deleted after `sessionArchiveDays` (30, the stream's: a session file
 *   repeats what the stream holds, so the stream's retention is the one that matters).
 *   Archiving a session file is done under the attempt's lock, and leaves its state saying
 *   "archived", so a writer that later resumes the attempt continues its sequence numbers.
 */
export interface RetentionReport {
  deleted: { path: string; reason: string }[];
  sessionsArchived: { from: string; to: string }[];
}

const STAMP = /\.(\d{4})-(\d\d)-(\d\d)T(\d\d)-(\d\d)-(\d\d)-(\d{3})Z(?:-\d+)?\.jsonl(?:\.gz)?$/;

/** When an archive was rotated: from its name, else its modification time. */
export function archiveTime(path: string): number {
  const m = STAMP.exec(path);
  if (m) return Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!, +m[7]!);
  return statSync(path).mtimeMs;
}

export function applyRetention(config: AwlConfig, opts: { now?: number; dryRun?: boolean } = {}): RetentionReport {
  const now = opts.now ?? Date.now();
  const paths = logPaths(config.logDir, config.streamFile);
  const report: RetentionReport = { deleted: [], sessionsArchived: [] };
  const days: [string, number][] = [
    [stemOf(paths.stream), config.retention.streamDays],
    [stemOf(paths.errors), config.retention.errorsDays],
    [stemOf(paths.alerts), config.retention.alertsDays],
  ];
  let names: string[] = [];
  try {
    names = readdirSync(paths.archive);
  } catch {
    names = [];
  }
  for (const name of names) {
    const rule = days.find(([stem]) => name.startsWith(`${stem}.`) && STAMP.test(name));
    if (!rule) continue;
    const path = join(paths.archive, name);
    const age = now - archiveTime(path);
    if (age <= rule[1] * 86_400_000) continue;
    if (!opts.dryRun) unlinkQuietly(path);
    report.deleted.push({ path, reason: `older than ${rule[1]} days` });
  }
  archiveOldSessions(paths, config, now, opts.dryRun ?? false, report);
  deleteOldSessionArchives(paths, config, now, opts.dryRun ?? false, report);
  return report;
}

function archiveOldSessions(paths: LogPaths, config: AwlConfig, now: number, dryRun: boolean, report: RetentionReport): void {
  let files: { name: string; mtimeMs: number }[];
  try {
    files = readdirSync(paths.sessions)
      .filter((n) => n.endsWith(".jsonl"))
      .map((name) => ({ name, mtimeMs: statSync(join(paths.sessions, name)).mtimeMs }));
  } catch {
    return;
  }
  files.sort((a, b) => b.mtimeMs - a.mtimeMs || (a.name < b.name ? -1 : 1));
  const idleMs = config.retention.sessionIdleHours * 3_600_000;
  const dest = join(paths.archive, "agent-sessions");
  for (const f of files.slice(config.retention.sessions)) {
    if (now - f.mtimeMs < idleMs) continue;
    const from = join(paths.sessions, f.name);
    const to = join(dest, `${f.name}.gz`);
    if (dryRun) {
      report.sessionsArchived.push({ from, to });
      continue;
    }
    const attempt = f.name.slice(0, -".jsonl".length);
    const lock = new FileLock(join(paths.attemptState, `${attempt}.lock`));
    ensureDir(paths.attemptState);
    if (!lock.tryAcquire()) continue; // a writer has it now: not idle after all
    try {
      if (now - statSync(from).mtimeMs < idleMs) continue;
      const statePath = join(paths.attemptState, `${attempt}.json`);
      const data = readFileSync(from);
      // What the attempt's next writer must continue from: the file's last event, or (a file left
      // empty after an earlier archiving) the state saved then.
      const fd = openSync(from, "r");
      let st: AttemptState;
      try {
        st = attemptState(fd, data.length, ARCHIVED_INO, statePath);
      } finally {
        closeSync(fd);
      }
      ensureDir(dest);
      // A name archived before (the attempt was resumed and went idle again) gets a numbered sibling.
      let target = to;
      for (let n = 1; existsSync(target); n++) target = join(dest, `${f.name}.${n}.gz`);
      writeDurable(target, gzipSync(data));
      writeDurable(statePath, Buffer.from(stateFileText({ ...st, size: 0, ino: ARCHIVED_INO, torn: false })));
      unlinkSync(from);
      report.sessionsArchived.push({ from, to: target });
    } finally {
      lock.release();
    }
  }
}

function deleteOldSessionArchives(paths: LogPaths, config: AwlConfig, now: number, dryRun: boolean, report: RetentionReport): void {
  const dir = join(paths.archive, "agent-sessions");
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return;
  }
  const limit = config.retention.sessionArchiveDays * 86_400_000;
  for (const name of names) {
    const path = join(dir, name);
    try {
      if (now - statSync(path).mtimeMs <= limit) continue;
    } catch {
      continue;
    }
    if (!dryRun) unlinkQuietly(path);
    report.deleted.push({ path, reason: `session archive older than ${config.retention.sessionArchiveDays} days` });
  }
}

function unlinkQuietly(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // gone already
  }
}
