import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { DuckDBInstance } from "@duckdb/node-api";
import { describe, expect, it } from "vitest";
import { type SessionSpec, sessionEvents, writeLog } from "../../test/helpers/history.js";
import { useTmpDir } from "../../test/helpers/tmp.js";
import { openAnalytics } from "./index.js";
import { isLongLineError, withoutLongLines } from "./long-lines.js";
import { eventsSelectSql, MAX_LINE_BYTES } from "./views.js";

const tmp = useTmpDir("awl-long-lines-");

describe("withoutLongLines", () => {
  it.each([
    ["plain", false],
    ["gzip", true],
  ])("copies a %s file with each line longer than the limit replaced by {}", async (_kind, gzip) => {
    const dir = tmp();
    const text = `{"a":1}\n${"x".repeat(11)}\n{"b":2}\n${"y".repeat(10)}\n${"z".repeat(30)}`;
    const file = join(dir, gzip ? "in.jsonl.gz" : "in.jsonl");
    writeFileSync(file, gzip ? gzipSync(text) : text);
    const copy = await withoutLongLines(file, dir, 10);
    expect(copy).toBeDefined();
    // A line of exactly the limit stays; the torn final line, too long, stays one line without its newline.
    expect(readFileSync(copy as string, "utf8")).toBe(`{"a":1}\n{}\n{"b":2}\n${"y".repeat(10)}\n{}`);
  });

  it("holds a long line across many chunks without keeping it, and leaves no copy when nothing is too long", async () => {
    const dir = tmp();
    const file = join(dir, "in.jsonl");
    writeFileSync(file, `{"a":1}\n${"x".repeat(300_000)}\n{"b":2}\n`);
    const copy = await withoutLongLines(file, dir, 1000);
    expect(readFileSync(copy as string, "utf8")).toBe(`{"a":1}\n{}\n{"b":2}\n`);
    expect(await withoutLongLines(file, dir, 300_000)).toBeUndefined();
    expect(readdirSync(dir).sort()).toEqual(["in.jsonl", copy?.slice(dir.length + 1)].sort());
  });
});

const spec = (id: string, start: string): SessionSpec => ({ id, task: `T${id}`, executor: "codex", model: "gpt", start, end: "success", durationS: 60, tokens: 500, cost: 0.05 });

/**
 * A session whose agent output makes its line 15 MB long (read), then one whose output makes its
 * line longer than MAX_LINE_BYTES: it starts near 15 MB, so it crosses DuckDB's 32 MB read buffer.
 */
function withLongLine(id: string, start: string): ReturnType<typeof sessionEvents> {
  const big = sessionEvents(spec(`${id}a`, start));
  big[1] = { ...big[1], data: { ...(big[1]?.data as object), output: "o".repeat(15 * 1024 * 1024) } };
  const over = sessionEvents(spec(`${id}b`, start));
  over[1] = { ...over[1], data: { ...(over[1]?.data as object), output: "p".repeat(MAX_LINE_BYTES + 4 * 1024 * 1024) } };
  return [...big, ...over];
}

describe("a line longer than DuckDB's maximum_object_size", () => {
  it("is skipped and counted, with and without the cache, in archives and the live file, instead of failing every answer", async () => {
    const dir = tmp();
    const archive = writeLog(dir, "archive/agent-work-stream.2026-11-20T00-00-00-000Z.jsonl.gz", withLongLine("s1", "2026-11-19T10:00:00.000Z"), { gzip: true });
    const live = writeLog(dir, "agent-work-stream.jsonl", [...sessionEvents(spec("s0", "2026-11-21T09:00:00.000Z")), ...withLongLine("s2", "2026-11-21T10:00:00.000Z")]);

    // The history does make DuckDB refuse the statement (this is what the fallback is for).
    const db = await DuckDBInstance.create(":memory:");
    const conn = await db.connect();
    for (const f of [archive, live]) {
      const err = await conn.run(`SELECT count(*) FROM (${eventsSelectSql([f])})`).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(isLongLineError(err)).toBe(true);
    }
    conn.closeSync();
    db.closeSync();

    for (const cache of [true, false, true]) {
      const a = await openAnalytics({ logDir: dir }, { cache, now: () => new Date("2026-11-30T00:00:00Z") });
      try {
        // The line of each over-long output is one unreadable line; everything else is read, the 15 MB output included.
        expect(a.skipped).toEqual({ events: 2, metrics: 0, alerts: 0 });
        const sessions = await a.sql("SELECT attempt_id, tokens FROM sessions ORDER BY 1");
        expect(sessions.rows.map((r) => r.attempt_id)).toEqual(["s0", "s1a", "s1b", "s2a", "s2b"]);
        const outputs = await a.sql("SELECT attempt_id, file FROM events WHERE event_type = 'agent_output' ORDER BY 1");
        expect(outputs.rows).toEqual([
          { attempt_id: "s0", file: live },
          { attempt_id: "s1a", file: archive },
          { attempt_id: "s2a", file: live },
        ]);
      } finally {
        a.close();
      }
    }
    // No copy is left behind in the cache directory.
    expect(readdirSync(join(dir, ".cache", "analytics")).filter((f) => f.endsWith(".jsonl"))).toEqual([]);
  }, 60_000);
});
