import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";

/** Git facts of a working directory, or undefined outside a repository (or without git). */
export interface GitState {
  root: string;
  head: string | undefined;
  branch: string | undefined;
  /** Commits of HEAD not in the base branch and the other way round (when a base was asked for). */
  ahead?: number;
  behind?: number;
}

// Asynchronous, so that the commands a run needs go out together and awl does other work (or
// the agent runs) while they do: each one costs a process start.
function run(cwd: string, args: string[]): Promise<{ ok: boolean; out: string }> {
  return new Promise((resolve) => {
    execFile("git", args, { cwd, encoding: "utf8", maxBuffer: 64 * 1024 * 1024 }, (err, stdout) => resolve({ ok: !err, out: String(stdout ?? "").trim() }));
  });
}

async function git(cwd: string, args: string[]): Promise<string | undefined> {
  const r = await run(cwd, args);
  return r.ok ? r.out : undefined;
}

/** Where the working directory's repository is, its HEAD and branch, and (with `base`) how far HEAD is from `base`. */
export async function gitState(cwd: string, base?: string): Promise<GitState | undefined> {
  const [facts, counts] = await Promise.all([
    // One process for all three: root, HEAD's commit, branch ("HEAD" when detached). In a
    // repository without commits it fails after printing the root.
    run(cwd, ["rev-parse", "--show-toplevel", "HEAD", "--abbrev-ref", "HEAD"]),
    base ? git(cwd, ["rev-list", "--left-right", "--count", `${base}...HEAD`]) : undefined,
  ]);
  const [root, head, branch] = facts.out.split("\n");
  if (!root) return undefined;
  const m = counts?.match(/^(\d+)\s+(\d+)$/);
  return {
    root,
    head: facts.ok && head ? head : undefined,
    branch: facts.ok && branch && branch !== "HEAD" ? branch : undefined,
    ...(m ? { behind: Number(m[1]), ahead: Number(m[2]) } : {}),
  };
}

export interface GitChanges {
  files_modified: number;
  lines_added: number;
  lines_deleted: number;
  commits: number;
}

/**
 * What changed in the repository at `root` since `startHead`: commits made, and files and
 * lines changed in the working tree against the start (so uncommitted work counts too, and
 * new untracked files count as added lines). Without a start commit (an empty repository)
 * everything present counts. The git commands run side by side.
 */
export async function gitChanges(root: string, startHead: string | undefined): Promise<GitChanges | undefined> {
  const cwd = root; // every path below is relative to the repository's root
  const diff = async () => {
    const base = startHead ?? (await git(cwd, ["hash-object", "-t", "tree", "/dev/null"]));
    return base ? git(cwd, ["diff", "--numstat", "--no-renames", base, "--"]) : undefined;
  };
  const [commitCount, numstat, untracked] = await Promise.all([
    startHead ? git(cwd, ["rev-list", "--count", `${startHead}..HEAD`]) : undefined,
    diff(),
    git(cwd, ["ls-files", "--others", "--exclude-standard", "-z"]),
  ]);
  // No answer at all: the repository is gone (or git is).
  if (numstat === undefined && untracked === undefined) return undefined;
  const commits = Number(commitCount ?? 0) || 0;
  const files = new Set<string>();
  let added = 0;
  let deleted = 0;
  for (const line of numstat?.split("\n") ?? []) {
    const [a, d, path] = line.split("\t");
    if (!path) continue;
    files.add(path);
    added += a === "-" ? 0 : Number(a); // "-" marks a binary file
    deleted += d === "-" ? 0 : Number(d);
  }
  for (const path of untracked?.split("\0") ?? []) {
    if (!path || files.has(path)) continue;
    files.add(path);
    added += countLines(join(root, path));
  }
  return { files_modified: files.size, lines_added: added, lines_deleted: deleted, commits };
}

function countLines(path: string): number {
  try {
    const buf = readFileSync(path);
    if (buf.includes(0)) return 0; // binary
    let n = 0;
    for (let i = buf.indexOf(0x0a); i !== -1; i = buf.indexOf(0x0a, i + 1)) n++;
    return buf.length > 0 && buf[buf.length - 1] !== 0x0a ? n + 1 : n;
  } catch {
    return 0;
  }
}
