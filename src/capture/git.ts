import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";

/** Git facts of a working directory, or undefined outside a repository (or without git). */
export interface GitState {
  root: string;
  head: string | undefined;
  branch: string | undefined;
}

function git(cwd: string, args: string[]): string | undefined {
  try {
    return execFileSync("git", args, { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "ignore"], maxBuffer: 64 * 1024 * 1024 }).trim();
  } catch {
    return undefined;
  }
}

export function gitState(cwd: string): GitState | undefined {
  const root = git(cwd, ["rev-parse", "--show-toplevel"]);
  if (!root) return undefined;
  const head = git(cwd, ["rev-parse", "--verify", "-q", "HEAD"]) || undefined;
  const branch = git(cwd, ["rev-parse", "--abbrev-ref", "HEAD"]);
  return { root, head, branch: branch && branch !== "HEAD" ? branch : undefined };
}

/** Commits of `branch` not in `base` and the other way round. */
export function aheadBehind(cwd: string, base: string): { ahead: number; behind: number } | undefined {
  const out = git(cwd, ["rev-list", "--left-right", "--count", `${base}...HEAD`]);
  const m = out?.match(/^(\d+)\s+(\d+)$/);
  return m ? { behind: Number(m[1]), ahead: Number(m[2]) } : undefined;
}

export interface GitChanges {
  files_modified: number;
  lines_added: number;
  lines_deleted: number;
  commits: number;
}

/**
 * What changed since `startHead`: commits made, and files and lines changed in the working
 * tree against the start (so uncommitted work counts too, and new untracked files count as
 * added lines). Without a start commit (an empty repository) everything present counts.
 */
export function gitChanges(dir: string, startHead: string | undefined): GitChanges | undefined {
  const state = gitState(dir);
  if (!state) return undefined;
  const cwd = state.root; // every path below is relative to the repository's root
  const commits = startHead && state.head ? Number(git(cwd, ["rev-list", "--count", `${startHead}..HEAD`]) ?? 0) : 0;
  const files = new Set<string>();
  let added = 0;
  let deleted = 0;
  const base = startHead ?? git(cwd, ["hash-object", "-t", "tree", "/dev/null"]);
  const numstat = base ? git(cwd, ["diff", "--numstat", "--no-renames", base, "--"]) : undefined;
  for (const line of numstat?.split("\n") ?? []) {
    const [a, d, path] = line.split("\t");
    if (!path) continue;
    files.add(path);
    added += a === "-" ? 0 : Number(a); // "-" marks a binary file
    deleted += d === "-" ? 0 : Number(d);
  }
  const untracked = git(cwd, ["ls-files", "--others", "--exclude-standard", "-z"]);
  for (const path of untracked?.split("\0") ?? []) {
    if (!path || files.has(path)) continue;
    files.add(path);
    added += countLines(join(state.root, path));
  }
  return { files_modified: files.size, lines_added: added, lines_deleted: deleted, commits };
}

function countLines(path: string): number {
  try {
    const buf = readFileSync(path);
    if (buf.includes(0)) return 0; // binary
    let n = 0;
    for (const b of buf) if (b === 0x0a) n++;
    return buf.length > 0 && buf[buf.length - 1] !== 0x0a ? n + 1 : n;
  } catch {
    return 0;
  }
}
