import { describe, expect, it } from "vitest";
import { DEFAULTS } from "../config/schema.js";
import type { AwlEvent } from "../schema/index.js";
import { type AnalyzerSnapshot, createAnalyzer } from "./analyzer.js";

const T0 = Date.parse("2026-11-25T06:00:00.000Z");
type Step = { at: number; type: AwlEvent["event_type"]; data?: Record<string, unknown>; attempt?: string; extra?: Partial<AwlEvent> };

/** Builds a well-formed event sequence: `at` is seconds after T0; sequence numbers per attempt. */
function events(steps: Step[]): AwlEvent[] {
  const seq = new Map<string, number>();
  return steps.map((s) => {
    const attempt = s.attempt ?? "a1";
    const n = seq.get(attempt) ?? 0;
    seq.set(attempt, n + 1);
    const defaults: Record<string, Record<string, unknown>> = {
      session_start: {},
      session_end: { completion_status: "success" },
      tool_call: { tool_name: "Bash" },
      tool_result: { result: "success" },
      error: { error_message: "boom" },
      agent_output: { output: "…" },
    };
    return {
      schema_version: 1,
      timestamp: new Date(T0 + s.at * 1000).toISOString(),
      attempt_id: attempt,
      session_id: `s-${attempt}`,
      task_id: "task-1",
      executor: "CLAUDE",
      model: "claude-sonnet-4-5",
      event_type: s.type,
      data: { ...defaults[s.type], ...s.data },
      elapsed_ms: 0,
      sequence_num: n,
      ...s.extra,
    } as AwlEvent;
  });
}

const config = { ...DEFAULTS.analyzer, costBudgetUsd: { default: 10, byExecutor: {}, byModel: {} } };

function run(evs: AwlEvent[], cfg: Partial<typeof config> = {}) {
  const a = createAnalyzer({ config: { ...config, ...cfg }, now: () => T0 });
  return evs.flatMap((e) => a.feed(e));
}

const err = (at: number, fp: string, extra: Record<string, unknown> = {}, attempt?: string): Step => ({
  at,
  type: "error",
  attempt,
  data: { error_message: fp, error_fingerprint: fp, error_category: "git", error_source: "tool", ...extra },
});
const call = (at: number, tool: string, params: unknown, attempt?: string): Step => ({ at, type: "tool_call", attempt, data: { tool_name: tool, tool_params: params } });
const start: Step = { at: 0, type: "session_start" };

describe("error_loop", () => {
  const cases: [string, Step[], number][] = [
    ["4 of one fingerprint in 10 min fire once", [start, err(1, "git_push_failed"), err(60, "git_push_failed"), err(120, "git_push_failed"), err(180, "git_push_failed"), err(200, "git_push_failed")], 1],
    ["3 do not", [start, err(1, "x"), err(2, "x"), err(3, "x")], 0],
    ["4 spread over more than 10 min do not", [start, err(0, "x"), err(250, "x"), err(500, "x"), err(750, "x")], 0],
    ["4 different fingerprints do not", [start, err(1, "a"), err(2, "b"), err(3, "c"), err(4, "d")], 0],
    ["provider failures never count", [start, ...[1, 2, 3, 4, 5].map((i) => err(i, "provider_overloaded", { error_category: "provider", error_source: "api" }))], 0],
    ["api_retry-style errors (error_source api) never count", [start, ...[1, 2, 3, 4].map((i) => err(i, "tmpl_abc", { error_category: "unknown", error_source: "api" }))], 0],
    ["two attempts with 2 each do not", [start, err(1, "x"), err(2, "x"), err(3, "x", {}, "a2"), err(4, "x", {}, "a2")], 0],
    [
      "a new episode after the condition cleared",
      [start, err(0, "x"), err(1, "x"), err(2, "x"), err(3, "x"), { at: 1000, type: "agent_output" }, err(1300, "x"), err(1301, "x"), err(1302, "x"), err(1303, "x")],
      2,
    ],
  ];
  it.each(cases)("%s", (_name, steps, n) => {
    const alerts = run(events(steps)).filter((a) => a.type === "error_loop");
    expect(alerts).toHaveLength(n);
    for (const a of alerts) expect(a).toMatchObject({ recommendation: "trigger_ai_autofix", occurrences: 4, attempt_id: "a1" });
  });

  it("fills SPEC §4's fields in event time, with a deterministic id", () => {
    const evs = events([start, err(1, "x"), err(61, "x"), err(121, "x"), err(181, "x")]);
    const [a] = run(evs);
    expect(a).toMatchObject({
      record_type: "alert",
      type: "error_loop",
      severity: "error",
      attempt_id: "a1",
      session_id: "s-a1",
      task_id: "task-1",
      executor: "CLAUDE",
      error_fingerprint: "x",
      error_category: "git",
      first_seen: new Date(T0 + 1000).toISOString(),
      last_seen: new Date(T0 + 181_000).toISOString(),
      trigger_sequence_num: 4,
      timestamp: new Date(T0).toISOString(),
    });
    expect(run(evs)[0]!.alert_id).toBe(a!.alert_id);
  });

  it("honours the configured threshold", () => {
    expect(run(events([start, err(1, "x"), err(2, "x")]), { errorLoopThreshold: 2 })).toHaveLength(1);
  });
});

describe("tool_loop", () => {
  const same = (n: number, tool = "Bash", params: unknown = { command: "npm test" }) => Array.from({ length: n }, (_, i) => call(1 + i * 5, tool, params));
  const cases: [string, Step[], number][] = [
    ["10 identical calls in 60 s fire", [start, ...same(10)], 1],
    ["9 identical calls do not", [start, ...same(9)], 0],
    ["identical up to descriptions, key order and whitespace", [start, ...Array.from({ length: 10 }, (_, i) => call(i, "Bash", i % 2 ? { description: `run ${i}`, command: "npm  test" } : { command: "npm test", timeout: i }))], 1],
    ["10 identical calls over 3 minutes do not", [start, ...Array.from({ length: 10 }, (_, i) => call(i * 20, "Bash", { command: "npm test" }))], 0],
    ["reading 30 different files in a minute is not a loop", [start, ...Array.from({ length: 30 }, (_, i) => call(i * 2, "Read", { file_path: `/src/f${i}.ts` }))], 0],
    ["polling a background shell is not a loop", [start, ...Array.from({ length: 20 }, (_, i) => call(i * 2, "BashOutput", { bash_id: "b1" }))], 0],
    ["sleeping between checks is not a loop", [start, ...Array.from({ length: 20 }, (_, i) => call(i * 2, "Bash", { command: "sleep 2" }))], 0],
    ["checking a long build is not a loop", [start, ...Array.from({ length: 20 }, (_, i) => call(i * 2, "Bash", { command: "gh run view 123 --log" }))], 0],
    ["codex polling its exec session is not a loop", [start, ...Array.from({ length: 20 }, (_, i) => call(i * 2, "write_stdin", { session_id: 1, chars: "" }))], 0],
    [
      "A-B-A-B with the same arguments across two tools fires",
      [start, ...Array.from({ length: 10 }, (_, i) => (i % 2 ? call(i * 3, "Bash", { command: "npm test" }) : call(i * 3, "Edit", { file_path: "a.ts", old_string: "x", new_string: "y" })))],
      1,
    ],
    ["a runaway of 100 distinct calls of one tool fires", [start, ...Array.from({ length: 100 }, (_, i) => call(i * 0.5, "Grep", { pattern: `p${i}` }))], 1],
  ];
  it.each(cases)("%s", (_name, steps, n) => {
    const alerts = run(events(steps)).filter((a) => a.type === "tool_loop");
    expect(alerts).toHaveLength(n);
    for (const a of alerts) expect(a.recommendation).toBe("fresh_session");
  });

  it("one episode while the loop goes on, a new one after it cleared", () => {
    const loop = (from: number) => Array.from({ length: 15 }, (_, i) => call(from + i * 2, "Bash", { command: "npm test" }));
    expect(run(events([start, ...loop(0)])).filter((a) => a.type === "tool_loop")).toHaveLength(1);
    expect(run(events([start, ...loop(0), { at: 200, type: "agent_output" }, ...loop(300)])).filter((a) => a.type === "tool_loop")).toHaveLength(2);
  });
});

describe("provider_errors", () => {
  const p = (at: number, status = 529) => err(at, "provider_overloaded", { error_category: "provider", error_source: "api", http_status: status });
  it.each([
    ["3 in 10 min fire", [start, p(1), p(2), p(3)], 1],
    ["2 do not", [start, p(1), p(2)], 0],
    ["3 over 30 min do not", [start, p(0), p(900), p(1800)], 0],
    ["rate limits and bad keys count", [start, err(1, "rate_limited", { error_category: "rate_limit" }), err(2, "api_key_invalid", { error_category: "api_key" }), p(3, 500)], 1],
    ["agent errors do not", [start, err(1, "x"), err(2, "x"), err(3, "x")], 0],
  ] as [string, Step[], number][])("%s", (_n, steps, n) => {
    const alerts = run(events(steps)).filter((a) => a.type === "provider_errors");
    expect(alerts).toHaveLength(n);
    for (const a of alerts) expect(a.recommendation).toBe("switch_provider_or_backoff");
  });
});

describe("stuck", () => {
  it("fires in a replay when event time passes N minutes of silence, once, and clears when the session speaks", () => {
    const evs = events([start, { at: 10, type: "agent_output" }, { at: 0, type: "session_start", attempt: "b" }, { at: 20 * 60, type: "agent_output", attempt: "b" }, { at: 21 * 60, type: "agent_output", attempt: "b" }]);
    const alerts = run(evs).filter((a) => a.type === "stuck");
    // b was silent from its start to minute 20 too: both are stuck, each once.
    expect(alerts.map((a) => a.attempt_id)).toEqual(["a1", "b"]);
    expect(alerts[0]).toMatchObject({ attempt_id: "a1", trigger_sequence_num: 1, first_seen: new Date(T0 + 10_000).toISOString(), recommendation: "check_agent" });
  });

  it("fires on the timer in live mode with no event arriving, and gives the replay's alert", () => {
    const evs = events([start, { at: 10, type: "agent_output" }]);
    const a = createAnalyzer({ config, now: () => T0 });
    for (const e of evs) a.feed(e);
    expect(a.tick(T0 + 14 * 60_000)).toEqual([]);
    const live = a.tick(T0 + 16 * 60_000);
    expect(live).toHaveLength(1);
    expect(a.tick(T0 + 30 * 60_000)).toEqual([]);
    const replay = run([...evs, ...events([{ at: 16 * 60, type: "session_start", attempt: "other" }])]).filter((x) => x.type === "stuck");
    expect(replay).toEqual(live);
  });

  it("ignores ended sessions and imported history", () => {
    const ended = events([start, { at: 10, type: "session_end" }, { at: 0, type: "session_start", attempt: "b" }, { at: 3600, type: "agent_output", attempt: "b" }]);
    expect(run(ended).filter((a) => a.type === "stuck" && a.attempt_id === "a1")).toEqual([]);
    const imported = events([{ ...start, extra: { source: "import" } }, { at: 3600, type: "session_start", attempt: "b" }]);
    expect(run(imported).filter((a) => a.type === "stuck")).toEqual([]);
  });
});

describe("context, cost, restarts, failed sessions", () => {
  it("context_exhaustion on a context-window error, or a prompt near the model's window", () => {
    expect(run(events([start, err(1, "context_window_exceeded", { error_category: "context_window" })])).map((a) => a.type)).toEqual(["context_exhaustion"]);
    const big = (at: number, input: number): Step => ({ at, type: "agent_output", data: { output: "x", usage: { input: 1000, cache_read: input } } });
    expect(run(events([start, big(1, 100_000), big(2, 150_000)]))).toEqual([]);
    expect(run(events([start, big(1, 100_000), big(2, 185_000), big(3, 190_000)])).map((a) => a.type)).toEqual(["context_exhaustion"]);
  });

  it("cost_budget once when a session passes its budget, per model over per executor", () => {
    const spend = (at: number): Step => ({ at, type: "agent_output", data: { output: "x", usage: { input: 100_000, output: 10_000 } } }); // $0.45 on sonnet
    const steps = [start, ...Array.from({ length: 10 }, (_, i) => spend(i + 1))];
    expect(run(events(steps), { costBudgetUsd: { default: 10, byExecutor: {}, byModel: {} } })).toEqual([]);
    const alerts = run(events(steps), { costBudgetUsd: { default: 10, byExecutor: { claude: 3 }, byModel: { sonnet: 2 } } });
    expect(alerts.map((a) => [a.type, a.details?.budget_usd, a.trigger_sequence_num])).toEqual([["cost_budget", 2, 5]]);
    const ended = events([start, { at: 5, type: "session_end", data: { completion_status: "success", cost_usd: 12 } }]);
    expect(run(ended).map((a) => a.type)).toEqual(["cost_budget"]);
  });

  it("excessive_restarts at the third retry of one task, once, until a session of it succeeds", () => {
    const attempt = (n: number, status: string): Step[] => [
      { at: n * 100, type: "session_start", attempt: `r${n}` },
      { at: n * 100 + 50, type: "session_end", attempt: `r${n}`, data: { completion_status: status } },
    ];
    const fails = [0, 1, 2, 3, 4].flatMap((n) => attempt(n, "failed"));
    const alerts = run(events(fails)).filter((a) => a.type === "excessive_restarts");
    expect(alerts.map((a) => a.attempt_id)).toEqual(["r3"]);
    expect(run(events([...attempt(0, "failed"), ...attempt(1, "failed"), ...attempt(2, "success"), ...attempt(3, "failed"), ...attempt(4, "failed")])).filter((a) => a.type === "excessive_restarts")).toEqual([]);
  });

  it("failed_session_high_errors on a failed end after many agent errors, not after provider errors", () => {
    const many = [1, 2, 3, 4, 5].map((i) => err(i * 700, `f${i}`));
    const endFailed: Step = { at: 4000, type: "session_end", data: { completion_status: "failed" } };
    expect(run(events([start, ...many, endFailed])).map((a) => a.type)).toEqual(["failed_session_high_errors"]);
    expect(run(events([start, ...many, { ...endFailed, data: { completion_status: "success" } }]))).toEqual([]);
    const provider = [1, 2, 3, 4, 5].map((i) => err(i * 700, "provider_overloaded", { error_category: "provider", error_source: "api" }));
    expect(run(events([start, ...provider, endFailed])).map((a) => a.type)).toEqual([]);
  });
});

describe("the engine", () => {
  it("counts events without an attempt_id and never alerts on them", () => {
    const a = createAnalyzer({ config });
    const e = { ...events([err(1, "x")])[0]!, attempt_id: undefined } as unknown as AwlEvent;
    for (let i = 0; i < 10; i++) expect(a.feed(e)).toEqual([]);
    expect(a.stats.withoutAttempt).toBe(10);
  });

  it("a snapshot taken anywhere, restored through JSON, continues exactly like one run", () => {
    const steps: Step[] = [start, err(1, "x"), err(2, "x"), call(3, "Bash", { command: "make" }), err(4, "x"), err(5, "x"), err(6, "x")];
    for (let i = 0; i < 12; i++) steps.push(call(10 + i, "Bash", { command: "make" }));
    steps.push({ at: 30, type: "session_start", attempt: "b" }, { at: 4000, type: "agent_output", attempt: "c" });
    const evs = events(steps);
    const whole = run(evs);
    expect(whole.map((a) => a.type).sort()).toEqual(["error_loop", "stuck", "stuck", "tool_loop"]);
    for (let cut = 0; cut <= evs.length; cut++) {
      const first = createAnalyzer({ config, now: () => T0 });
      const out = evs.slice(0, cut).flatMap((e) => first.feed(e));
      const snap = JSON.parse(JSON.stringify(first.snapshot())) as AnalyzerSnapshot;
      const second = createAnalyzer({ config, now: () => T0, restore: snap });
      out.push(...evs.slice(cut).flatMap((e) => second.feed(e)));
      expect(out).toEqual(whole);
    }
  });

  it("keeps state for open sessions only", () => {
    const a = createAnalyzer({ config });
    const steps: Step[] = [];
    for (let i = 0; i < 5000; i++) steps.push({ at: i, type: "session_start", attempt: `s${i}` }, { at: i + 0.5, type: "session_end", attempt: `s${i}` });
    for (const e of events(steps)) a.feed(e);
    expect(a.openSessions).toBe(0);
    expect(a.snapshot().attempts.length).toBeLessThan(4096 + 2000);
  });
});
