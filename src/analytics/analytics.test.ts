import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { mergeMetricsRecords, type MetricsRecord } from "../schema/metrics.js";
import { logPaths } from "../store/paths.js";
import { acceptMetrics, readRecords } from "../store/reader.js";
import { writeHandHistory } from "../../test/helpers/hand-history.js";
import { useTmpDir } from "../../test/helpers/tmp.js";
import { historyFiles } from "./files.js";
import { type Analytics, MAX_SQL_ROWS, openAnalytics } from "./index.js";

const tmp = useTmpDir("awl-analytics-");
const NOW = new Date("2026-11-23T00:00:00.000Z");
const open: Analytics[] = [];
afterEach(() => {
  for (const a of open.splice(0)) a.close();
});

async function hand(): Promise<{ a: Analytics; dir: string }> {
  const dir = tmp();
  writeHandHistory(dir);
  const a = await openAnalytics({ logDir: dir, streamFile: "agent-work-stream.jsonl" }, { now: () => NOW });
  open.push(a);
  return { a, dir };
}


describe("analytics over the hand-built history", () => {
  it("reads archives and live files once each, skipping and counting unreadable lines", async () => {
    const { a, dir } = await hand();
    const files = historyFiles(logPaths(dir), join(dir, "agent-work-stream.jsonl")).files.map((f) => f.slice(dir.length + 1));
    expect(files).toEqual([
      // Rotation stopped between compressing and removing the plain copy: the plain file (every line) is read.
      "archive/agent-work-stream.2026-11-08T00-00-00-000Z.jsonl",
      "archive/agent-work-stream.2026-11-15T00-00-00-000Z.jsonl.gz",
      "agent-work-stream.jsonl",
    ]);
    expect(a.skipped).toEqual({ events: 2, metrics: 1, alerts: 0 });
    const r = await a.sql("SELECT count(DISTINCT attempt_id) AS attempts, count(*) FILTER (WHERE event_type = 'error') AS errors FROM events");
    expect(r.rows).toEqual([{ attempts: 22, errors: 16 }]);
    const sessions = await a.sql("SELECT count(*) AS n FROM sessions");
    expect(sessions.rows[0]).toEqual({ n: 22 });
  });

  it("applies the one success rule: outcome over completion status, running sessions left out", async () => {
    const { a } = await hand();
    const r = await a.sql("SELECT attempt_id, success, completion_status, outcome_status FROM sessions WHERE attempt_id IN ('s06','s07','s08','s12','s14') ORDER BY 1");
    expect(r.rows).toEqual([
      { attempt_id: "s06", success: false, completion_status: "timeout", outcome_status: null },
      { attempt_id: "s07", success: false, completion_status: "success", outcome_status: "failed" },
      { attempt_id: "s08", success: true, completion_status: "success", outcome_status: "completed" },
      { attempt_id: "s12", success: null, completion_status: null, outcome_status: null },
      { attempt_id: "s14", success: false, completion_status: "interrupted", outcome_status: null },
    ]);
    // s06 has no metrics record: its numbers come from the stream.
    const s06 = await a.sql("SELECT duration_ms, tokens, cost_usd, has_metrics FROM sessions WHERE attempt_id = 's06'");
    expect(s06.rows[0]).toEqual({ duration_ms: 40000, tokens: 600, cost_usd: 0.02, has_metrics: false });
  });

  it("the metrics view merges records field by field exactly as mergeMetricsRecords does", async () => {
    const { a, dir } = await hand();
    const byAttempt = new Map<string, MetricsRecord[]>();
    for (const f of historyFiles(logPaths(dir), logPaths(dir).metrics).files) {
      for await (const batch of readRecords(f, { accept: acceptMetrics })) {
        for (const m of batch) byAttempt.set(m.attempt_id, [...(byAttempt.get(m.attempt_id) ?? []), m]);
      }
    }
    const view = await a.sql(
      "SELECT attempt_id, executor, task_id, duration_ms, total_tokens, cost_usd, success, completion_status, outcome_status, pr_number, pr_merged, test_passed, records FROM metrics ORDER BY attempt_id",
    );
    expect(view.rows).toHaveLength(byAttempt.size);
    for (const row of view.rows) {
      const records = byAttempt.get(row.attempt_id as string)!;
      const m = mergeMetricsRecords(records)!;
      expect(row).toEqual({
        attempt_id: m.attempt_id,
        executor: m.executor ?? null,
        task_id: m.task_id ?? null,
        duration_ms: m.metrics?.duration_ms ?? null,
        total_tokens: m.metrics?.total_tokens ?? null,
        cost_usd: m.metrics?.cost_usd ?? null,
        success: m.metrics?.success ?? null,
        completion_status: m.metrics?.completion_status ?? null,
        outcome_status: m.outcome?.status ?? null,
        pr_number: m.outcome?.pr_number ?? null,
        pr_merged: m.outcome?.pr_merged ?? null,
        test_passed: m.outcome?.test_passed ?? null,
        records: records.length,
      });
    }
    expect(view.rows.find((r) => r.attempt_id === "s07")).toMatchObject({ executor: "claude", total_tokens: 3000, outcome_status: "failed", records: 2 });
  });

  it("errors: clusters by fingerprint, and cross-tabs", async () => {
    const { a } = await hand();
    const r = await a.errors({ by: "executor" });
    expect(r.total).toBe(16);
    expect(r.meta.skipped).toEqual({ events: 2, metrics: 1, alerts: 0 });
    expect(r.clusters.map((c) => [c.fingerprint, c.count, c.tasks, c.attempts, c.categories, c.executors])).toEqual([
      ["api_key_missing", 4, 1, 2, ["api_key"], ["codex"]],
      ["tmpl_loop01", 4, 1, 1, ["unknown"], ["claude"]],
      ["context_window_exceeded", 3, 1, 3, ["context_window"], ["gemini"]],
      ["npm_install_timeout", 3, 2, 2, ["dependency"], ["claude"]],
      ["test_failed", 2, 2, 2, ["test"], ["claude", "gemini"]],
    ]);
    const npm = r.clusters.find((c) => c.fingerprint === "npm_install_timeout")!;
    expect(npm.first_seen).toBe("2026-11-03T10:00:04.000Z");
    expect(npm.last_seen).toBe("2026-11-20T10:00:04.000Z");
    expect(npm.sample_message).toBe("npm install timed out after 300s");
    expect(r.by!.rows.filter((x) => x.fingerprint === "test_failed")).toEqual([
      { fingerprint: "test_failed", key: "claude", count: 1 },
      { fingerprint: "test_failed", key: "gemini", count: 1 },
    ]);
    const week3 = await a.errors({ days: 7 });
    expect(week3.total).toBe(6);
    expect(week3.meta.range).toEqual({ since: "2026-11-16T00:00:00.000Z", until: "2026-11-23T00:00:00.000Z" });
  });

  it("executors: success and first-shot rates with their samples and intervals, cost, tokens, failures", async () => {
    const { a } = await hand();
    const r = await a.executors();
    const by = Object.fromEntries(r.executors.map((e) => [e.executor, e]));
    expect(r.executors.map((e) => e.executor)).toEqual(["claude", "codex", "gemini"]);
    expect(by.claude).toMatchObject({ sessions: 8, success: { k: 4, n: 7 }, first_shot: { k: 2, n: 6 }, total_cost_usd: expect.closeTo(1.04, 9) });
    expect(by.claude!.avg_duration_ms).toBeCloseTo(61875, 6);
    expect(by.claude!.avg_cost_usd).toBeCloseTo(0.13, 9);
    expect(by.claude!.avg_tokens).toBeCloseTo(1300, 9);
    expect(by.claude!.errors_per_session).toBeCloseTo(1, 9);
    expect(by.claude!.top_failure_fingerprints).toEqual(["npm_install_timeout", "test_failed"]);
    expect(by.codex).toMatchObject({ sessions: 7, success: { k: 4, n: 7 }, first_shot: { k: 2, n: 4 }, top_failure_fingerprints: ["api_key_missing"] });
    expect(by.codex!.avg_duration_ms).toBeCloseTo(345000 / 7, 6);
    expect(by.codex!.total_cost_usd).toBeCloseTo(0.57, 9);
    expect(by.codex!.avg_tokens).toBeCloseTo(6050 / 7, 6);
    expect(by.codex!.errors_per_session).toBeCloseTo(4 / 7, 9);
    expect(by.gemini).toMatchObject({ sessions: 7, success: { k: 3, n: 7 }, first_shot: { k: 3, n: 5 }, top_failure_fingerprints: ["context_window_exceeded"] });
    expect(by.gemini!.total_cost_usd).toBeCloseTo(0.26, 9);
    expect(by.gemini!.avg_tokens).toBeCloseTo(4300 / 7, 6);
    // 4/7: rate 0.5714; Wilson 95 % interval [0.2504, 0.8416] worked out by hand from the formula.
    expect(by.claude!.success.rate).toBeCloseTo(4 / 7, 9);
    expect(by.claude!.success.ci_low).toBeCloseTo(0.2504, 3);
    expect(by.claude!.success.ci_high).toBeCloseTo(0.8416, 3);
    const two = await a.executors({ executor: ["codex", "gemini"], days: 7 });
    expect(two.executors.map((e) => [e.executor, e.sessions, e.success.k, e.success.n])).toEqual([
      ["codex", 4, 3, 4],
      ["gemini", 3, 2, 3],
    ]);
  });

  it("backlog: tasks by attempts with their cost, executors and fingerprints", async () => {
    const { a } = await hand();
    const r = await a.backlog({ limit: 3 });
    expect(r.tasks).toEqual([
      {
        task_key: "T3", task_id: "T3", task_title: "Task T3", attempts: 3, successes: 0, succeeded: false, first_shot_success: false,
        total_duration_ms: 100000, total_cost_usd: expect.closeTo(0.04, 9), total_tokens: 1600, errors: 3, executors: ["gemini"],
        top_fingerprints: ["context_window_exceeded"],
      },
      {
        task_key: "T4", task_id: "T4", task_title: "Task T4", attempts: 2, successes: 1, succeeded: true, first_shot_success: false,
        total_duration_ms: 180000, total_cost_usd: expect.closeTo(0.5, 9), total_tokens: 5000, errors: 1, executors: ["claude"],
        top_fingerprints: ["test_failed"],
      },
      {
        task_key: "T2", task_id: "T2", task_title: "Task T2", attempts: 2, successes: 1, succeeded: true, first_shot_success: false,
        total_duration_ms: 210000, total_cost_usd: expect.closeTo(0.35, 9), total_tokens: 3500, errors: 2, executors: ["claude", "codex"],
        top_fingerprints: ["npm_install_timeout"],
      },
    ]);
  });

  it("planning: root causes and the advice the shared taxonomy's rules give", async () => {
    const { a } = await hand();
    const r = await a.planning();
    expect(r.tasks.map((t) => [t.task_key, t.succeeded, t.issues])).toEqual([
      ["T3", false, ["scope_too_large", "too_many_attempts"]],
      ["T5", false, ["missing_environment"]],
      ["T14", false, ["missing_dependency_setup"]],
      ["T16", false, []],
      ["T2", true, ["missing_dependency_setup", "executor_switching"]],
      ["T4", true, ["flaky_tests"]],
      ["T8", true, []],
    ]);
    expect(r.tasks[0]!.categories).toEqual([{ category: "context_window", errors: 3 }]);
    expect(r.tasks[0]!.advice[0]).toMatch(/Split the task/);
    expect(r.top_issues.map((i) => [i.issue, i.tasks])).toEqual([
      ["missing_dependency_setup", 2],
      ["executor_switching", 1],
      ["flaky_tests", 1],
      ["missing_environment", 1],
      ["scope_too_large", 1],
      ["too_many_attempts", 1],
    ]);
    const failed = await a.planning({ failedOnly: true });
    expect(failed.tasks.map((t) => t.task_key)).toEqual(["T3", "T5", "T14", "T16"]);
  });

  it("timeseries: weekly buckets of sessions, success, tokens, cost, errors, p50/p90 duration, alerts", async () => {
    const { a } = await hand();
    const r = await a.timeseries({ bucket: "week" });
    expect(
      r.rows.map((b) => [b.bucket, b.sessions, b.success.k, b.success.n, b.tokens, Math.round(b.cost_usd * 100), b.errors, b.p50_duration_ms, b.p90_duration_ms, b.alerts]),
    ).toEqual([
      ["2026-11-02T00:00:00.000Z", 6, 2, 6, 6100, 49, 5, 50000, 105000, 0],
      ["2026-11-09T00:00:00.000Z", 6, 2, 5, 7000, 61, 5, 50000, 90000, 0],
      ["2026-11-16T00:00:00.000Z", 10, 7, 10, 7650, 77, 6, 60000, 60000, 2],
    ]);
    const days = await a.timeseries({ bucket: "day", since: "2026-11-06", until: "2026-11-07" });
    expect(days.rows.map((b) => [b.bucket, b.sessions, b.errors])).toEqual([["2026-11-06T00:00:00.000Z", 2, 2]]);
  });

  it("prompts: outcome by prompt type and follow-up reason, and recoveries", async () => {
    const { a } = await hand();
    const r = await a.prompts();
    expect(r.by_prompt.map((p) => [p.prompt_type, p.followup_reason, p.sessions, p.success.k, p.success.n])).toEqual([
      ["initial", "(none)", 16, 8, 15],
      ["retry", "previous_attempt_failed", 5, 2, 5],
      ["retry", "tool_loop", 1, 1, 1],
    ]);
    expect([r.followup_recovery.k, r.followup_recovery.n]).toEqual([1, 2]);
    expect([r.retry_recovery.k, r.retry_recovery.n]).toEqual([3, 6]);
  });

  it("kpis: detection latency, intervention success, coverage and the waste after the first loop alert, per week", async () => {
    const { a } = await hand();
    const r = await a.kpis();
    expect(r.weeks.map((w) => w.week)).toEqual(["2026-11-02T00:00:00.000Z", "2026-11-09T00:00:00.000Z", "2026-11-16T00:00:00.000Z"]);
    const [w1, w2, w3] = r.weeks;
    expect([w1!.coverage.k, w1!.coverage.n, w2!.coverage.k, w2!.coverage.n, w3!.coverage.k, w3!.coverage.n]).toEqual([5, 6, 5, 6, 10, 10]);
    expect(w1!.detection).toEqual({ alerts: 0, p50_latency_ms: null, p90_latency_ms: null });
    expect(w3!.detection).toEqual({ alerts: 2, p50_latency_ms: 1000, p90_latency_ms: 1400 });
    expect([w3!.interventions.k, w3!.interventions.n]).toEqual([2, 2]);
    expect(w3!.waste.sessions_with_loop_alert).toBe(2);
    expect(w3!.waste.tokens_after_first_loop_alert).toBe(500);
    expect(w3!.waste.cost_after_first_loop_alert_usd).toBeCloseTo(0.07, 9);
    expect(r.overall.week).toBeNull();
    expect([r.overall.coverage.k, r.overall.coverage.n, r.overall.detection.alerts, r.overall.interventions.k]).toEqual([20, 22, 2, 2]);
  });

  it("sql is read-only and answers over the same views", async () => {
    const { a } = await hand();
    await expect(a.sql("CREATE TABLE x AS SELECT 1")).rejects.toThrow(/read-only/);
    await expect(a.sql("DROP VIEW events")).rejects.toThrow(/read-only/);
    await expect(a.sql("SELECT 1; SELECT 2")).rejects.toThrow(/exactly one/);
    await expect(a.sql("SELECT * FROM read_text('/etc/hostname')")).rejects.toThrow(/disabled/);
    for (const none of ["", "  ", ";", "/* */ -- nothing"]) await expect(a.sql(none)).rejects.toThrow("give exactly one SQL statement (got none)");
    const r = await a.sql("SELECT task_key, attempts, succeeded FROM tasks WHERE task_key = 'T3'");
    expect(r.columns).toEqual(["task_key", "attempts", "succeeded"]);
    expect(r.rows).toEqual([{ task_key: "T3", attempts: 3, succeeded: false }]);
  });

  it("sql keeps integers beyond 2^53 exact, as their digits (a double would round them)", async () => {
    const { a } = await hand();
    const r = await a.sql("SELECT 9007199254740991::BIGINT AS safe, 9007199254740993::BIGINT AS big, -9007199254740993::BIGINT AS neg, 12345678901234567890::HUGEINT AS huge, [18446744073709551615::UBIGINT] AS list");
    expect(r.rows).toEqual([{ safe: 9007199254740991, big: "9007199254740993", neg: "-9007199254740993", huge: "12345678901234567890", list: ["18446744073709551615"] }]);
  });

  it("sql stops reading at its row cap and says so: a query over a trillion rows answers with the first ones", async () => {
    const { a } = await hand();
    const huge = await a.sql("SELECT range AS n FROM range(1000000000000)");
    expect(huge.truncated).toBe(true);
    expect(huge.rows).toHaveLength(MAX_SQL_ROWS);
    expect(huge.rows.at(-1)).toEqual({ n: MAX_SQL_ROWS - 1 });
    const exact = await a.sql(`SELECT range AS n FROM range(${MAX_SQL_ROWS})`);
    expect({ truncated: exact.truncated, rows: exact.rows.length }).toEqual({ truncated: false, rows: MAX_SQL_ROWS });
  });
});
