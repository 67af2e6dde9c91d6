import { cpSync, existsSync, mkdirSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { readAlertRecords } from "../../src/monitor/alerts-log.js";
import { awl } from "../helpers/awl.js";
import { syntheticLines } from "../helpers/synthetic.js";
import { useTmpDir } from "../helpers/tmp.js";

const tmp = useTmpDir("awl-watch-kill-");

/**
 * The alert ids in the file, through the one reader: a line torn by a kill -9 mid-write is
 * skipped (and counted), as every reader of the file does.
 */
async function alertIds(logDir: string): Promise<{ ids: string[]; torn: number }> {
  const { records, stats } = await readAlertRecords(logDir, { record_type: "alert" });
  return { ids: records.map((r) => r.alert_id), torn: stats.skipped.invalid_json + stats.skipped.torn_final };
}

const LIVE = "agent-work-stream.jsonl";
const ROTATED = join("archive", "agent-work-stream.2026-11-20T02-00-00-000Z.jsonl");

/**
 * A history of `n` events: two rotated files (one gzipped), the live stream, and the lines
 * the stream gets after its next rotation (`next`, written by `rotate`).
 */
function buildHistory(dir: string, n: number): string {
  mkdirSync(join(dir, "archive"), { recursive: true });
  const lines = [...syntheticLines({ events: n, concurrent: 30, seed: 7 })];
  const q = Math.floor(n / 4);
  const a = join(dir, "archive", "agent-work-stream.2026-11-20T00-00-00-000Z.jsonl");
  writeFileSync(`${a}.gz`, gzipSync(`${lines.slice(0, q).join("\n")}\n`));
  writeFileSync(join(dir, "archive", "agent-work-stream.2026-11-20T01-00-00-000Z.jsonl"), `${lines.slice(q, 2 * q).join("\n")}\n`);
  writeFileSync(join(dir, LIVE), `${lines.slice(2 * q, 3 * q).join("\n")}\n`);
  return `${lines.slice(3 * q).join("\n")}\n`;
}

/** The stream rotated: renamed into the archive, a new file started with what came next. */
function rotate(dir: string, next: string): void {
  renameSync(join(dir, LIVE), join(dir, ROTATED));
  writeFileSync(join(dir, LIVE), next);
}

describe("awl watch under kill -9", () => {
  it("killed at random moments during a replay and restarted: the alerts of all runs equal one clean run's, each exactly once", async () => {
    const base = tmp();
    const next = buildHistory(base, 200_000);
    const clean = tmp();
    cpSync(base, clean, { recursive: true });
    rotate(clean, next);
    const cleanStart = Date.now();
    const done = await awl(["watch", "--replay", "--once", "--json", "--log-dir", clean]);
    // Kills are timed as fractions of a clean run on this machine now: a loaded machine (or a faster tail) moves them along.
    const cleanMs = Date.now() - cleanStart;
    expect(done.code).toBe(0);
    const { ids: expected, torn: cleanTorn } = await alertIds(clean);
    expect(cleanTorn).toBe(0);
    expect(expected.length).toBeGreaterThan(50);

    const dir = tmp();
    cpSync(base, dir, { recursive: true });
    let seed = 12345;
    const rand = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    let kills = 0;
    let rotated = false;
    const log: string[] = [];
    for (let run = 0; run < 30; run++) {
      // The stream rotates once while the watcher is down, after a few killed runs: where it
      // stopped is then in the archive (by inode), and the rest comes from the new file.
      if (run === 3) {
        rotate(dir, next);
        rotated = true;
        log.push("rotated");
      }
      const resume = existsSync(join(dir, ".state", "watch.json"));
      const args = resume ? ["watch", "--once", "--json", "--log-dir", dir] : ["watch", "--replay", "--once", "--json", "--log-dir", dir];
      let timer: NodeJS.Timeout | undefined;
      // Killed at a random moment after start, before a clean run would have finished.
      const r = await awl(args, {
        onSpawn: (pid) => {
          if (run >= 6) return;
          timer = setTimeout(() => {
            try {
              process.kill(pid, "SIGKILL");
            } catch {
              // already finished
            }
          }, cleanMs * (0.3 + 0.5 * rand()));
        },
      });
      clearTimeout(timer);
      const now = await alertIds(dir);
      log.push(`run ${run} ${args.slice(0, 3).join(" ")}: ${r.signal ?? `exit ${r.code}`} after ${now.ids.length} alerts (${now.torn} torn lines); ${r.stderr.toString().trim()}`);
      if (r.signal === "SIGKILL") {
        kills++;
        continue;
      }
      expect(r.code, log.join("\n")).toBe(0);
      break;
    }
    expect(kills, log.join("\n")).toBeGreaterThan(2);
    expect(rotated).toBe(true);
    const final = await alertIds(dir);
    expect(final.ids, log.join("\n")).toEqual(expected);
    // Each kill can leave at most the one line it was writing torn.
    expect(final.torn, log.join("\n")).toBeLessThanOrEqual(kills);
  }, 240_000);
});
