import { readdirSync, statSync } from "node:fs";
import { basename, join } from "node:path";
import type { LogPaths } from "../store/paths.js";

/** One log's history: its archives (oldest first) and then the live file, in the order they were written. */
export interface SourceFiles {
  stem: string;
  files: string[];
  /** The live file, when it exists (the last of `files`). */
  live?: string;
}

function exists(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

function listDir(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

/**
 * The files of one log: `archive/<stem>.<stamp>.jsonl.gz` (and `.jsonl` while rotation is
 * between writing the plain copy and compressing it: when both exist only the `.gz` is read,
 * so no event counts twice), then the live `<stem>.jsonl`. Archive names carry a sortable
 * UTC stamp (or `YYYY-MM` for metrics), so name order is write order.
 */
export function historyFiles(archiveDir: string, live: string): SourceFiles {
  const stem = basename(live).replace(/\.jsonl$/, "");
  const prefix = `${stem}.`;
  const names = listDir(archiveDir).filter((n) => n.startsWith(prefix) && (n.endsWith(".jsonl") || n.endsWith(".jsonl.gz")));
  const byBase = new Map<string, string>();
  for (const n of names) {
    const base = n.endsWith(".gz") ? n.slice(0, -3) : n;
    const seen = byBase.get(base);
    if (!seen || n.endsWith(".gz")) byBase.set(base, n);
  }
  const files = [...byBase.keys()].sort().map((base) => join(archiveDir, byBase.get(base)!));
  if (exists(live)) {
    files.push(live);
    return { stem, files, live };
  }
  return { stem, files };
}

export interface LogSources {
  events: SourceFiles;
  metrics: SourceFiles;
  alerts: SourceFiles;
}

/**
 * What analytics reads. The stream (live + archives) is the one source of events: the session
 * files and agent-errors.jsonl repeat its lines and are never read here.
 */
export function logSources(paths: LogPaths): LogSources {
  return {
    events: historyFiles(paths.archive, paths.stream),
    metrics: historyFiles(paths.archive, paths.metrics),
    alerts: historyFiles(paths.archive, paths.alerts),
  };
}
