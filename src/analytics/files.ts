import { statSync } from "node:fs";
import { basename } from "node:path";
import type { LogPaths } from "../store/paths.js";
import { historyFiles as storeHistory } from "../store/rotate.js";

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

/**
 * The files of one log: its archives in date order by the store's one rule (`historyFiles` in
 * store/rotate.ts: while rotation has both `X.jsonl` and `X.jsonl.gz`, the plain file is read,
 * which holds every line, late ones included), then the live file.
 */
export function historyFiles(paths: LogPaths, live: string): SourceFiles {
  const stem = basename(live).replace(/\.jsonl$/, "");
  const files = storeHistory(paths, stem)
    .filter((f) => f.kind === "archive")
    .map((f) => f.path);
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
    events: historyFiles(paths, paths.stream),
    metrics: historyFiles(paths, paths.metrics),
    alerts: historyFiles(paths, paths.alerts),
  };
}
