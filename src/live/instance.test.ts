import { spawn } from "node:child_process";
import { existsSync, linkSync, readdirSync, readFileSync, utimesSync, writeFileSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { TSX } from "../../test/helpers/awl.js";
import { useTmpDir } from "../../test/helpers/tmp.js";
import { claimWatcher, WatcherRunningError } from "./instance.js";

const tmp = useTmpDir("awl-claim-");
/** A pid no process has (above Linux's pid_max): the claim of a watcher killed with -9. */
const DEAD = `999999999 ${hostname()}`;

describe("claimWatcher", () => {
  it("claims, refuses a second claim while held, and releases only its own claim", () => {
    const dir = tmp();
    const release = claimWatcher(dir);
    expect(readFileSync(join(dir, "watch.pid"), "utf8")).toMatch(new RegExp(`^${process.pid} ${hostname()} `));
    expect(() => claimWatcher(dir)).toThrow(WatcherRunningError);
    expect(() => claimWatcher(dir)).toThrow(/another awl watch \(pid \d+/);
    release();
    expect(existsSync(join(dir, "watch.pid"))).toBe(false);
    expect(readdirSync(dir)).toEqual([]); // no temp or break files left
  });

  it("takes over a claim by a dead process", () => {
    const dir = tmp();
    writeFileSync(join(dir, "watch.pid"), DEAD);
    const release = claimWatcher(dir);
    expect(readFileSync(join(dir, "watch.pid"), "utf8")).toMatch(new RegExp(`^${process.pid} `));
    release();
    expect(readdirSync(dir)).toEqual([]);
  });

  it("waits out a claim being written, and takes over one a starter killed before filling it", () => {
    const dir = tmp();
    const path = join(dir, "watch.pid");
    writeFileSync(path, "");
    const old = new Date(Date.now() - 60_000);
    utimesSync(path, old, old);
    const release = claimWatcher(dir);
    expect(readFileSync(path, "utf8")).toMatch(new RegExp(`^${process.pid} `));
    release();
    // A fresh empty claim is someone starting now: never broken, however often it is looked at.
    writeFileSync(path, "");
    expect(() => claimWatcher(dir)).toThrow(/keeps changing/);
    expect(readFileSync(path, "utf8")).toBe("");
  });

  it("two starters after a kill: the one that read the dead holder first does not remove the other's fresh claim", () => {
    const dir = tmp();
    writeFileSync(join(dir, "watch.pid"), DEAD);
    let second: (() => void) | undefined;
    let secondClaim = "";
    // The first starter has read the dead holder; before it breaks the claim, the second starts, breaks it and claims.
    const first = () =>
      claimWatcher(dir, "watch", {
        beforeBreak: () => {
          if (second) return;
          second = claimWatcher(dir);
          secondClaim = readFileSync(join(dir, "watch.pid"), "utf8");
        },
      });
    expect(first).toThrow(WatcherRunningError);
    expect(second).toBeDefined();
    // The second starter's claim is intact: exactly one watcher holds the directory.
    expect(readFileSync(join(dir, "watch.pid"), "utf8")).toBe(secondClaim);
    second!();
    expect(readdirSync(dir)).toEqual([]);
  });

  it("a stale watch.pid.<pid>.tmp hard-linked to a dead claim (a killed process with this pid) is never written through", () => {
    const dir = tmp();
    writeFileSync(join(dir, "watch.pid"), DEAD);
    linkSync(join(dir, "watch.pid"), join(dir, `watch.pid.${process.pid}.tmp`));
    const release = claimWatcher(dir);
    expect(readFileSync(join(dir, `watch.pid.${process.pid}.tmp`), "utf8")).toBe(DEAD);
    expect(readFileSync(join(dir, "watch.pid"), "utf8")).toMatch(new RegExp(`^${process.pid} `));
    release();
  });

  it("a break lock left by a starter killed while holding it does not block forever", () => {
    const dir = tmp();
    writeFileSync(join(dir, "watch.pid"), DEAD);
    writeFileSync(join(dir, "watch.pid.break"), `${DEAD} ${Date.now()}`);
    const release = claimWatcher(dir);
    expect(readFileSync(join(dir, "watch.pid"), "utf8")).toMatch(new RegExp(`^${process.pid} `));
    release();
    expect(readdirSync(dir)).toEqual([]);
  });

  it("processes starting together after a kill: exactly one holds the claim", async () => {
    const dir = tmp();
    writeFileSync(join(dir, "watch.pid"), DEAD);
    const module = join(import.meta.dirname, "instance.ts");
    // Each child claims when told to go, reports, and holds its claim until its stdin ends.
    const script = `
      const { claimWatcher } = await import(${JSON.stringify(module)});
      process.stdout.write("ready\\n");
      await new Promise((r) => process.stdin.once("data", r));
      let got = "no";
      try { claimWatcher(${JSON.stringify(dir)}); got = "yes"; } catch (e) { if (e.name !== "WatcherRunningError") got = "error " + e.message; }
      process.stdout.write(got + "\\n");
      process.stdin.once("end", () => process.exit(0));
    `;
    const children = Array.from({ length: 4 }, () => spawn(process.execPath, ["--import", TSX, "--input-type=module", "-e", script], { stdio: ["pipe", "pipe", "inherit"] }));
    const lines = children.map((c) => {
      const waiting: ((line: string) => void)[] = [];
      const seen: string[] = [];
      let out = "";
      c.stdout!.on("data", (d: Buffer) => {
        out += d.toString();
        for (let nl = out.indexOf("\n"); nl !== -1; nl = out.indexOf("\n")) {
          const line = out.slice(0, nl);
          out = out.slice(nl + 1);
          const w = waiting.shift();
          if (w) w(line);
          else seen.push(line);
        }
      });
      c.once("exit", (code) => {
        for (const w of waiting.splice(0)) w(`exited ${code}`);
      });
      return () => new Promise<string>((resolve) => (seen.length ? resolve(seen.shift()!) : c.exitCode !== null ? resolve(`exited ${c.exitCode}`) : waiting.push(resolve)));
    });
    // All loaded, then they race.
    expect(await Promise.all(lines.map((next) => next()))).toEqual(children.map(() => "ready"));
    for (const c of children) c.stdin!.write("go");
    const got = await Promise.all(lines.map((next) => next()));
    for (const c of children) c.stdin!.end("bye");
    await Promise.all(children.map((c) => new Promise((r) => (c.exitCode !== null ? r(null) : c.once("exit", r)))));
    expect(got.filter((g) => g.startsWith("error"))).toEqual([]);
    expect(got.filter((g) => g === "yes")).toHaveLength(1);
  }, 30_000);
});
