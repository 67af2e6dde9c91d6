import { execFileSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { useTmpDir } from "../../test/helpers/tmp.js";
import { gitChanges, gitState } from "./git.js";

const tmp = useTmpDir();

function repo(): { dir: string; g: (...args: string[]) => string } {
  const dir = tmp();
  const g = (...args: string[]) => execFileSync("git", args, { cwd: dir, encoding: "utf8" }).trim();
  g("init", "-q", "-b", "main");
  g("config", "user.email", "t@example.com");
  g("config", "user.name", "t");
  return { dir, g };
}

describe("gitState", () => {
  it("is undefined outside a repository", async () => {
    expect(await gitState(tmp())).toBeUndefined();
  });

  it("knows the root but no HEAD or branch in a repository without commits", async () => {
    const { dir } = repo();
    mkdirSync(join(dir, "sub"));
    expect(await gitState(join(dir, "sub"))).toEqual({ root: execFileSync("git", ["rev-parse", "--show-toplevel"], { cwd: dir, encoding: "utf8" }).trim(), head: undefined, branch: undefined });
  });

  it("reads HEAD and branch, no branch when detached, and commits ahead of and behind a base", async () => {
    const { dir, g } = repo();
    g("commit", "-q", "--allow-empty", "-m", "one");
    g("checkout", "-q", "-b", "work");
    g("commit", "-q", "--allow-empty", "-m", "two");
    g("commit", "-q", "--allow-empty", "-m", "three");
    g("checkout", "-q", "main");
    g("commit", "-q", "--allow-empty", "-m", "four");
    g("checkout", "-q", "work");
    const head = g("rev-parse", "HEAD");
    expect(await gitState(dir, "main")).toMatchObject({ head, branch: "work", ahead: 2, behind: 1 });
    expect(await gitState(dir, "no-such-branch")).not.toHaveProperty("ahead");
    g("checkout", "-q", "--detach");
    expect(await gitState(dir)).toMatchObject({ head, branch: undefined });
  });
});

describe("gitChanges", () => {
  it("counts commits, changed and untracked files and lines since the start", async () => {
    const { dir, g } = repo();
    writeFileSync(join(dir, "a.txt"), "1\n2\n3\n");
    writeFileSync(join(dir, "bin.dat"), Buffer.from([0, 1, 2]));
    g("add", ".");
    g("commit", "-qm", "start");
    const start = g("rev-parse", "HEAD");
    writeFileSync(join(dir, "a.txt"), "1\nTWO\n3\n4\n");
    g("commit", "-qam", "edit");
    writeFileSync(join(dir, "new.txt"), "x\ny"); // no final newline: still two lines
    writeFileSync(join(dir, "new.bin"), Buffer.from([0, 10, 10]));
    expect(await gitChanges(dir, start)).toEqual({ files_modified: 3, lines_added: 4, lines_deleted: 1, commits: 1 });
  });

  it("counts everything present when the repository had no commit at the start", async () => {
    const { dir, g } = repo();
    writeFileSync(join(dir, "a.txt"), "1\n2\n");
    g("add", ".");
    g("commit", "-qm", "first");
    writeFileSync(join(dir, "b.txt"), "3\n");
    expect(await gitChanges(dir, undefined)).toEqual({ files_modified: 2, lines_added: 3, lines_deleted: 0, commits: 0 });
  });

  it("is undefined when the repository is gone", async () => {
    expect(await gitChanges(join(tmp(), "gone"), undefined)).toBeUndefined();
  });
});
