import { appendFileSync, readFileSync, readdirSync, renameSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { metricsRecord, type SessionSpec, sessionEvents, writeLog } from "../../test/helpers/history.js";
import { writeHandHistory } from "../../test/helpers/hand-history.js";
import { setSegmentBytes } from "./cache.js";
import { useTmpDir } from "../../test/helpers/tmp.js";
import { openAnalytics } from "./index.js";

const tmp = useTmpDir("awl-cache-");
const cfg = (dir: string) => ({ logDir: dir, streamFile: "agent-work-stream.jsonl" });

/** Floating sums may differ in the last bits with the order DuckDB adds them in. */
function round(v: unknown): unknown {
  if (typeof v === "number") return Number.isInteger(v) ? v : Number(v.toPrecision(10));
  if (Array.isArray(v)) return v.map(round);
  if (v && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, round(x)]));
  return v;
}

/** Everything the analytics answer, with and without the cache: they must agree at every step. */
async function answers(dir: string, cache: boolean) {
  const a = await openAnalytics(cfg(dir), { cache, now: () => new Date("2026-11-30T00:00:00Z") });
  try {
    const strip = <T extends { meta: unknown }>(r: T) => ({ ...r, meta: undefined });
    return round({
      skipped: a.skipped,
      errors: strip(await a.errors({ by: "category" })),
      executors: strip(await a.executors()),
      kpis: strip(await a.kpis()),
      sessions: (await a.sql("SELECT * FROM sessions ORDER BY attempt_id")).rows,
      // Rows name the log file they came from, never a temporary slice of it.
      files: (await a.sql("SELECT file, count(*) AS n FROM events GROUP BY 1 ORDER BY 1")).rows,
      cache: (await a.errors()).meta.cache,
    }) as { skipped: unknown; sessions: Record<string, unknown>[]; cache: { used: boolean; parsed_bytes: number } };
  } finally {
    a.close();
  }
}

const late: SessionSpec = { id: "s30", task: "T30", executor: "codex", model: "gpt", start: "2026-11-24T10:00:00.000Z", end: "failed", durationS: 30, tokens: 300, cost: 0.03 };

describe("the Parquet cache of the stream", () => {
  it("gives the same answers as reading everything, as the live file grows, a line is half written, outcomes arrive late and the file rotates", async () => {
    const dir = tmp();
    writeHandHistory(dir);
    const first = await answers(dir, true);
    expect(first.cache.used).toBe(true);
    expect(first.cache.parsed_bytes).toBeGreaterThan(0);
    const { cache: _c1, ...firstRest } = first;
    const { cache: _c2, ...plain1 } = await answers(dir, false);
    expect(firstRest).toEqual(plain1);

    // Nothing changed: the archives are not parsed again; the live file ends in a torn line, so
    // its whole lines are cached (a segment ends on a newline) and only the torn tail is read again.
    const again = await answers(dir, true);
    const live = readFileSync(join(dir, "agent-work-stream.jsonl"));
    expect(again.cache.parsed_bytes).toBe(live.length - (live.lastIndexOf(0x0a) + 1));
    expect(again.cache.parsed_bytes).toBeGreaterThan(0);

    // The live file grows (after the torn line left by the hand history: it is now glued to a whole
    // line, so one bad line stays counted), and a line is half written at the end.
    const evs = sessionEvents(late);
    appendFileSync(join(dir, "agent-work-stream.jsonl"), `\n${evs.slice(0, 3).map((e) => JSON.stringify(e)).join("\n")}\n`);
    await answers(dir, true);
    const grownSize = statSync(join(dir, "agent-work-stream.jsonl")).size;
    appendFileSync(join(dir, "agent-work-stream.jsonl"), `${JSON.stringify(evs[3])}\n`);
    // Only the appended line is parsed now.
    const grown = await answers(dir, true);
    expect(grown.cache.parsed_bytes).toBe(statSync(join(dir, "agent-work-stream.jsonl")).size - grownSize);
    const { cache: _g, ...grownRest } = grown;
    const { cache: _g2, ...grownPlain } = await answers(dir, false);
    expect(grownRest).toEqual(grownPlain);
    expect(grown.sessions.some((s) => s.attempt_id === "s30")).toBe(true);

    const rest = evs.slice(4).map((e) => JSON.stringify(e)).join("\n");
    appendFileSync(join(dir, "agent-work-stream.jsonl"), rest.slice(0, 40));
    const torn = await answers(dir, true);
    const { cache: _t, ...tornRest } = torn;
    const { cache: _t2, ...tornPlain } = await answers(dir, false);
    expect(tornRest).toEqual(tornPlain);
    appendFileSync(join(dir, "agent-work-stream.jsonl"), `${rest.slice(40)}\n`);
    // A late outcome for s30: metrics are never cached, so it shows at once.
    appendFileSync(join(dir, "agent-metrics.jsonl"), `${JSON.stringify({ ...metricsRecord(late), outcome: { status: "completed" } })}\n`);
    const done = await answers(dir, true);
    const { cache: _d, ...doneRest } = done;
    const { cache: _d2, ...donePlain } = await answers(dir, false);
    expect(doneRest).toEqual(donePlain);
    expect(done.sessions.find((s) => s.attempt_id === "s30")).toMatchObject({ success: true, completion_status: "failed", outcome_status: "completed" });

    // Rotation: the live file becomes an archive and a new live file starts.
    renameSync(join(dir, "agent-work-stream.jsonl"), join(dir, "archive", "agent-work-stream.2026-11-25T00-00-00-000Z.jsonl"));
    writeFileSync(join(dir, "agent-work-stream.jsonl"), "");
    writeLog(dir, "agent-work-stream.jsonl", sessionEvents({ ...late, id: "s31", start: "2026-11-26T10:00:00.000Z" }));
    const rotated = await answers(dir, true);
    const { cache: _r, ...rotRest } = rotated;
    const { cache: _r2, ...rotPlain } = await answers(dir, false);
    expect(rotRest).toEqual(rotPlain);
    expect(rotated.sessions.filter((s) => s.attempt_id === "s30" || s.attempt_id === "s31")).toHaveLength(2);
    const parquet = readdirSync(join(dir, ".cache", "analytics")).filter((f) => f.endsWith(".parquet"));
    expect(parquet.length).toBeGreaterThan(0);
  });

  it("caches a large live file in bounded segments that answer the same as one read", async () => {
    const dir = tmp();
    writeHandHistory(dir);
    const { cache: _p, ...plain } = await answers(dir, false);
    setSegmentBytes(4096);
    try {
      const { cache, ...segmented } = await answers(dir, true);
      expect(segmented).toEqual(plain);
      expect(cache.parsed_bytes).toBeGreaterThan(4096);
      const parquet = readdirSync(join(dir, ".cache", "analytics")).filter((f) => f.endsWith(".parquet"));
      const liveSize = statSync(join(dir, "agent-work-stream.jsonl")).size;
      // Several segments for the live file alone (plus one per archive).
      expect(parquet.length).toBeGreaterThan(Math.floor(liveSize / 4096));
      const { cache: again, ...second } = await answers(dir, true);
      expect(second).toEqual(plain);
      const live = readFileSync(join(dir, "agent-work-stream.jsonl"));
      expect(again.parsed_bytes).toBe(live.length - (live.lastIndexOf(0x0a) + 1));
    } finally {
      setSegmentBytes(64 * 1024 * 1024);
    }
  });
});
