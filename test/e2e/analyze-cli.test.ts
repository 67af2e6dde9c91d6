import { existsSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { awl } from "../helpers/awl.js";
import { writeHandHistory } from "../helpers/hand-history.js";
import { runCli } from "../helpers/io.js";
import { useTmpDir } from "../helpers/tmp.js";

const tmp = useTmpDir("awl-analyze-cli-");

function hand(): string {
  const dir = tmp();
  writeHandHistory(dir);
  return dir;
}

describe("awl analyze / awl sql", () => {
  it("prints the executor comparison as a table, CSV, Markdown and JSON, and says once what it skipped", async () => {
    const dir = hand();
    const table = await runCli(["analyze", "executors", "--log-dir", dir], { cwd: dir });
    expect(table.code).toBe(0);
    expect(table.stderr).toBe("awl: skipped 3 unreadable lines (events 2, metrics 1, alerts 0)\n");
    expect(table.stdout).toMatch(/^claude\s+8\s+57\.1% \(4\/7, 25–84%\)\s+33\.3% \(2\/6, 10–70%\)/m);

    const csv = await runCli(["analyze", "executors", "--format", "csv", "--log-dir", dir], { cwd: dir });
    const lines = csv.stdout.trim().split("\n");
    expect(lines[0]).toBe("EXECUTOR,SESSIONS,SUCCESS,FIRST-SHOT,AVG DURATION,AVG COST,TOTAL COST,AVG TOKENS,ERRORS/SESSION,TOP FAILURES");
    expect(lines).toHaveLength(4);
    expect(lines[2]).toMatch(/^codex,7,"57\.1% \(4\/7, 25–84%\)"/);

    const md = await runCli(["analyze", "errors", "--format", "md", "--by", "category", "--log-dir", dir], { cwd: dir });
    expect(md.stdout).toContain("| api_key_missing | 4 | 1 | 2 | api_key | codex |");
    expect(md.stdout).toContain("### Errors by category");

    const json = JSON.parse((await runCli(["analyze", "timeseries", "--bucket", "week", "--json", "--executor", "gemini", "--log-dir", dir], { cwd: dir })).stdout);
    expect(json.rows.map((r: { sessions: number }) => r.sessions)).toEqual([3, 1, 3]);
    expect(json.meta.skipped).toEqual({ events: 2, metrics: 1, alerts: 0 });
  });

  it("rejects bad input with one line and exit code 2", async () => {
    const dir = hand();
    for (const [args, msg] of [
      [["analyze", "errors", "--since", "yesterday"], /--since: not a date/],
      [["analyze", "errors", "--days", "3", "--since", "2026-11-01"], /either --days or --since/],
      [["analyze", "timeseries", "--bucket", "month"], /Allowed choices are hour, day, week/],
      [["analyze", "errors", "--format", "xml"], /Allowed choices are table, json, csv, md/],
      [["sql", "DELETE FROM events"], /read-only|sql:/],
      [["sql", "SELECT nope FROM sessions"], /sql: .*nope/],
      [["report", "weekly", "--week", "2026-W99"], /has no week 99/],
      // Bounds past the year 9999 made DuckDB fail (analyze) or crash (a segfault: report weekly).
      [["analyze", "errors", "--since", "12000-01-01"], /^awl: --since: outside the years 0000 to 9999$/],
      [["analyze", "errors", "--days", "99999999"], /^awl: --days: outside the years 0000 to 9999$/],
      [["analyze", "errors", "--days", "1000000000"], /^awl: --days: outside the years 0000 to 9999$/],
      [["analyze", "errors", "--since", "2026-02-30"], /^awl: --since: not a date or ISO time: "2026-02-30"$/],
      [["analyze", "errors", "--since", "1"], /^awl: --since: not a date or ISO time: "1"$/],
      [["analyze", "errors", "--until", "May 5"], /^awl: --until: not a date or ISO time: "May 5"$/],
      [["report", "weekly", "--week", "9999-W52"], /^awl: --week 9999-W52: ends after the year 9999$/],
      [["sql", " ; "], /^awl: give exactly one SQL statement \(got none\)$/],
    ] as const) {
      const r = await runCli([...args, "--log-dir", dir], { cwd: dir });
      expect(r.code, args.join(" ")).toBe(2);
      expect(r.stderr.trim().split("\n").at(-1)).toMatch(msg);
      expect(r.stderr.trim().split("\n").length).toBeLessThanOrEqual(2);
    }
  });

  it("answers SQL from a spawned awl, over an empty log directory too", async () => {
    const dir = hand();
    const r = await awl(["sql", "SELECT executor, count(*) AS n FROM sessions GROUP BY ALL ORDER BY executor", "--format", "csv", "--log-dir", dir]);
    expect(r.code).toBe(0);
    expect(r.stdout.toString()).toBe("executor,n\nclaude,8\ncodex,7\ngemini,7\n");
    // A result too large to hold: its first rows, and one line on stderr saying so.
    const big = await awl(["sql", "SELECT range AS n FROM range(1000000000000)", "--format", "csv", "--log-dir", dir]);
    expect(big.code).toBe(0);
    expect(big.stdout.toString().split("\n").length).toBe(1 + 100_000 + 1);
    expect(big.stderr.toString().trim().split("\n").at(-1)).toMatch(/^awl: the query gives more rows; these are its first 100000: narrow it/);
    const empty = tmp();
    const e = await awl(["analyze", "kpis", "--json", "--log-dir", empty]);
    expect(e.code).toBe(0);
    expect(JSON.parse(e.stdout.toString()).overall.coverage).toEqual({ k: 0, n: 0, rate: null, ci_low: null, ci_high: null });
    const missing = join(empty, "no-such-dir");
    const m = await awl(["analyze", "errors", "--json", "--log-dir", missing]);
    expect(m.code).toBe(0);
    expect(JSON.parse(m.stdout.toString()).total).toBe(0);
    expect(existsSync(missing)).toBe(false);
  });
});
