import { describe, expect, it } from "vitest";
import type { Analytics } from "../analytics/index.js";
import { analyze } from "../index.js";
import { writeHandHistory } from "../../test/helpers/hand-history.js";
import { type SessionSpec, sessionEvents, writeLog } from "../../test/helpers/history.js";
import { useTmpDir } from "../../test/helpers/tmp.js";
import { buildWeeklyReport, lastCompleteWeek, parseWeek, weekOf, weeklyHtml, weeklyMarkdown, weeklySummaryText } from "./index.js";

const tmp = useTmpDir("awl-report-unit-");

describe("ISO weeks", () => {
  it.each([
    ["2026-11-16T00:00:00Z", "2026-W47", "2026-11-16"],
    ["2026-11-22T23:59:59Z", "2026-W47", "2026-11-16"],
    ["2021-01-03T12:00:00Z", "2020-W53", "2020-12-28"],
    ["2024-12-30T00:00:00Z", "2025-W01", "2024-12-30"],
  ])("%s is in %s starting %s", (t, label, monday) => {
    const w = weekOf(new Date(t));
    expect(w.label).toBe(label);
    expect(w.start.slice(0, 10)).toBe(monday);
    expect(parseWeek(label)).toEqual(w);
  });

  it("rejects weeks that do not exist, and defaults to the last complete week", () => {
    expect(() => parseWeek("2026-W54")).toThrow(/has no week 54/);
    expect(() => parseWeek("2026-47")).toThrow(/expected YYYY-Www/);
    expect(lastCompleteWeek(new Date("2026-11-25T06:00:00Z")).label).toBe("2026-W47");
  });
});

describe("the weekly report", () => {
  it("lets every query end before it passes a failure on (its caller closes DuckDB next: under a running query, a segfault)", async () => {
    let running = 0;
    const later = <T>(v: T, fail?: Error) =>
      new Promise<T>((resolve, reject) => {
        running++;
        setTimeout(() => {
          running--;
          if (fail) reject(fail);
          else resolve(v);
        }, fail ? 0 : 20);
      });
    const ok = { rows: [], clusters: [], executors: [], overall: {} };
    const an = new Proxy({}, { get: (_t, name) => () => later(ok, name === "errors" ? new Error("Conversion Error") : undefined) }) as Analytics;
    await expect(buildWeeklyReport(an, parseWeek("2026-W47"))).rejects.toThrow("Conversion Error");
    expect(running).toBe(0);
  });

  it("compares the week with the one before and summarises it, with every value from the logs escaped", async () => {
    const dir = tmp();
    writeHandHistory(dir);
    const evil: SessionSpec = {
      id: "s40",
      task: "T40",
      executor: "<img src=x onerror=alert(1)>",
      model: "m",
      start: "2026-11-21T10:00:00.000Z",
      end: "failed",
      durationS: 10,
      tokens: 10,
      cost: 0,
      errors: [{ fingerprint: "<script>alert(1)</script>", category: "unknown", message: "a | b <b>bold</b>", n: 9 }],
    };
    writeLog(dir, "archive/agent-work-stream.2026-11-22T00-00-00-000Z.jsonl.gz", sessionEvents(evil), { gzip: true });
    const an = await analyze({ logDir: dir });
    try {
      const r = await buildWeeklyReport(an, parseWeek("2026-W47"));
      expect(r.totals.sessions).toBe(11);
      expect([r.totals.success.k, r.totals.success.n]).toEqual([7, 11]);
      expect([r.previous.success.k, r.previous.success.n]).toEqual([2, 5]);
      expect(r.success_change_pts).toBeCloseTo((7 / 11 - 2 / 5) * 100, 9);
      expect(r.top_errors[0]!.fingerprint).toBe("<script>alert(1)</script>");
      expect(r.alert_totals).toEqual({ type: null, alerts: 2, interventions: 2, helped: 2 });
      expect(r.kpis.detection).toEqual({ alerts: 2, p50_latency_ms: 1000, p90_latency_ms: 1400 });
      const text = weeklySummaryText(r);
      expect(text).toContain("Sessions: 11, success 63.6% (7/11, +23.6 pts vs 2026-W46)");
      expect(text).toContain("Top error: &lt;script&gt;alert(1)&lt;/script&gt; (9x in 1 task)");
      expect(text).not.toMatch(/<script|<img/);
      const html = weeklyHtml(r);
      expect(html).not.toContain("<script>alert(1)");
      expect(html).not.toContain("<img src=x");
      expect(html).toContain("&lt;img src=x onerror=alert(1)&gt;");
      const md = weeklyMarkdown(r);
      expect(md).toContain("a \\| b &lt;b&gt;bold&lt;/b&gt;");
    } finally {
      an.close();
    }
  });
});
