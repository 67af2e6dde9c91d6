import { cpSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { awl } from "../helpers/awl.js";
import { syntheticLines } from "../helpers/synthetic.js";
import { useTmpDir } from "../helpers/tmp.js";

const tmp = useTmpDir("awl-watch-kill-");

function alertIds(logDir: string): string[] {
  const file = join(logDir, "agent-alerts.jsonl");
  if (!existsSync(file)) return [];
  return readFileSync(file, "utf8")
    .split("\n")
    .filter(Boolean)
    .map((l) => (JSON.parse(l) as { alert_id: string }).alert_id);
}

/** A history of `n` events: two rotated files (one gzipped) and the live stream. */
function buildHistory(dir: string, n: number): void {
  mkdirSync(join(dir, "archive"), { recursive: true });
  const lines = [...syntheticLines({ events: n, concurrent: 30, seed: 7 })];
  const third = Math.floor(n / 3);
  const a = join(dir, "archive", "agent-work-stream.2026-11-20T00-00-00-000Z.jsonl");
  writeFileSync(`${a}.gz`, gzipSync(`${lines.slice(0, third).join("\n")}\n`));
  writeFileSync(join(dir, "archive", "agent-work-stream.2026-11-20T01-00-00-000Z.jsonl"), `${lines.slice(third, 2 * third).join("\n")}\n`);
  writeFileSync(join(dir, "agent-work-stream.jsonl"), `${lines.slice(2 * third).join("\n")}\n`);
}

describe("awl watch under kill -9", () => {
  it("killed at random moments during a replay and restarted: the alerts of all runs equal one clean run's, each exactly once", async () => {
    const base = tmp();
    buildHistory(base, 200_000);
    const clean = tmp();
    cpSync(base, clean, { recursive: true });
    const done = await awl(["watch", "--replay", "--once", "--json", "--log-dir", clean]);
    expect(done.code).toBe(0);
    const expected = alertIds(clean);
    expect(expected.length).toBeGreaterThan(50);

    const dir = tmp();
    cpSync(base, dir, { recursive: true });
    let seed = 12345;
    const rand = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    let kills = 0;
    const log: string[] = [];
    for (let run = 0; run < 30; run++) {
      const resume = existsSync(join(dir, ".state", "watch.json"));
      const args = resume ? ["watch", "--once", "--json", "--log-dir", dir] : ["watch", "--replay", "--once", "--json", "--log-dir", dir];
      let timer: NodeJS.Timeout | undefined;
      // Killed at a random moment after start (startup takes ~0.5 s, the whole replay a few seconds).
      const r = await awl(args, {
        onSpawn: (pid) => {
          if (run >= 6) return;
          timer = setTimeout(() => {
            try {
              process.kill(pid, "SIGKILL");
            } catch {
              // already finished
            }
          }, 500 + rand() * 1500);
        },
      });
      clearTimeout(timer);
      log.push(`run ${run} ${args.slice(0, 3).join(" ")}: ${r.signal ?? `exit ${r.code}`} after ${alertIds(dir).length} alert lines; ${r.stderr.toString().trim()}`);
      if (r.signal === "SIGKILL") {
        kills++;
        continue;
      }
      expect(r.code, log.join("\n")).toBe(0);
      break;
    }
    expect(kills, log.join("\n")).toBeGreaterThan(2);
    expect(alertIds(dir), log.join("\n")).toEqual(expected);
  }, 240_000);
});
