import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { runCli } from "../../../test/helpers/io.js";
import { useTmpDir } from "../../../test/helpers/tmp.js";
import { listAlerts } from "../../server/alerts.js";
import { loadConfig } from "../../config/index.js";
import { DEFAULT_RECOVERY_TEMPLATE, unknownPlaceholders } from "../../config/schema.js";
import type { Alert, AlertRecord, AwlEvent } from "../../schema/index.js";
import { logPaths } from "../../store/paths.js";
import { appendAlertRecords } from "../alerts-log.js";
import { decide, type InterventionConfig, placePrompt, promptIndex, recoveryPrompt, retryAttemptId, type SessionRequest, superviseRun } from "./intervene.js";

const tmp = useTmpDir();

const alert: Alert = {
  record_type: "alert",
  alert_id: "al_1",
  type: "tool_loop",
  severity: "warning",
  timestamp: "2026-11-25T07:00:00.000Z",
  attempt_id: "a1",
  occurrences: 10,
  first_seen: "2026-11-25T07:00:00.000Z",
  last_seen: "2026-11-25T07:00:01.000Z",
  recommendation: "fresh_session",
  message: "Bash called 10 times in 1 s (10 identical)",
  tool_name: "Bash",
};

describe("recoveryPrompt", () => {
  const cases: [string, string, Partial<Alert>, string][] = [
    ["names the loop and the tool", "{type} of {tool}: {message} x{occurrences}", {}, "tool_loop of Bash: Bash called 10 times in 1 s (10 identical) x10"],
    ["carries the task prompt", "Stuck. Task: {prompt}", {}, "Stuck. Task: fix the test"],
    ["fills the fingerprint and category of an error loop", "{fingerprint}/{category}", { type: "error_loop", error_fingerprint: "git_push_failed", error_category: "git" }, "git_push_failed/git"],
    ["leaves a missing value empty", "[{fingerprint}]", {}, "[]"],
    ["counts interventions", "{n} of {max} ({alert_id}, {attempt_id})", {}, "1 of 2 (al_1, a1)"],
    ["keeps doubled braces as braces", '{{"json": true}} {type}', {}, '{"json": true} tool_loop'],
  ];
  it.each(cases)("%s", (_name, template, over, want) => {
    expect(recoveryPrompt(template, { ...alert, ...over }, { prompt: "fix the test", n: 1, max: 2 })).toBe(want);
  });

  it("the default template names the loop, the tool's message and the task", () => {
    const p = recoveryPrompt(DEFAULT_RECOVERY_TEMPLATE, alert, { prompt: "fix the test", n: 1, max: 2 });
    expect(p).toContain("[awl recovery]");
    expect(p).toContain("tool_loop: Bash called 10 times");
    expect(p.endsWith("The task: fix the test")).toBe(true);
  });

  it.each([
    ["{type} {prompt}", []],
    ["{typo} and {promt}", ["typo", "promt"]],
    ["{{literal}}", []],
  ] as [string, string[]][])("placeholders of %j unknown: %j", (template, want) => {
    expect(unknownPlaceholders(template)).toEqual(want);
  });
});

describe("placing the recovery prompt", () => {
  const cases: [string, string[], string | undefined, InterventionConfig["promptVia"], ReturnType<typeof placePrompt>][] = [
    ["auto replaces claude's -p value", ["claude", "-p", "fix it", "--output-format", "stream-json"], "fix it", "auto", { argv: ["claude", "-p", "R", "--output-format", "stream-json"], how: "replaced" }],
    ["auto replaces codex exec's last argument", ["codex", "exec", "--json", "fix it"], "fix it", "auto", { argv: ["codex", "exec", "--json", "R"], how: "replaced" }],
    ["auto prefers the value after -p when the prompt appears twice", ["agent", "fix", "-p", "fix"], "fix", "auto", { argv: ["agent", "fix", "-p", "R"], how: "replaced" }],
    ["auto appends a --prompt that is not in the argv", ["my-agent", "--yes"], "fix it", "auto", { argv: ["my-agent", "--yes", "R"], how: "appended" }],
    ["auto does nothing for a command without a prompt (npm test)", ["npm", "test"], undefined, "auto", undefined],
    ["never replaces the program itself", ["fix"], "fix", "replace", undefined],
    ["replace needs the argument", ["my-agent"], "fix it", "replace", undefined],
    ["append always appends", ["my-agent", "fix it"], "fix it", "append", { argv: ["my-agent", "fix it", "R"], how: "appended" }],
    ["stdin leaves the argv alone", ["my-agent", "fix it"], "fix it", "stdin", { argv: ["my-agent", "fix it"], input: "R", how: "stdin" }],
    ["env leaves the argv alone", ["my-agent"], undefined, "env", { argv: ["my-agent"], how: "env" }],
  ];
  it.each(cases)("%s", (_name, argv, prompt, via, want) => {
    expect(placePrompt(argv, prompt, "R", via)).toEqual(want);
  });

  it("finds no index for an empty prompt", () => {
    expect(promptIndex(["a", ""], "")).toBe(-1);
  });
});

describe("decide", () => {
  const cfg = loadConfig({ env: {} }).interventions;
  const cases: [string, Partial<InterventionConfig>, Alert["type"], number, ReturnType<typeof decide>["kind"]][] = [
    ["restarts on tool_loop by default", {}, "tool_loop", 0, "restart"],
    ["ignores error_loop by default", {}, "error_loop", 0, "ignore"],
    ["restarts on error_loop when configured and no autofix", { types: ["error_loop"] }, "error_loop", 0, "restart"],
    ["runs the autofix command on error_loop", { types: ["error_loop"], autofixCommand: ["fix"] }, "error_loop", 0, "autofix"],
    ["autofix is only for error_loop", { types: ["tool_loop"], autofixCommand: ["fix"] }, "tool_loop", 0, "restart"],
    ["gives up at the limit", {}, "tool_loop", 2, "give_up"],
    ["a limit of 0 gives up at once", { maxPerAttempt: 0 }, "tool_loop", 0, "give_up"],
    ["does nothing when off", { enabled: false }, "tool_loop", 0, "ignore"],
    ["does nothing when off, even at the limit", { enabled: false }, "tool_loop", 5, "ignore"],
  ];
  it.each(cases)("%s", (_name, over, type, done, want) => {
    expect(decide({ type }, { ...cfg, ...over }, done).kind).toBe(want);
  });

  it("numbers retries", () => {
    expect([1, 2].map((n) => retryAttemptId("run-1", n))).toEqual(["run-1-r1", "run-1-r2"]);
  });
});

// ---------------------------------------------------------------- the supervisor, with scripted sessions

/** A session that writes `calls` identical tool calls, then waits to be stopped (or exits 0 when `recovers`). */
function scriptedSessions(script: (req: SessionRequest, i: number) => { calls: number; recovers: boolean }) {
  const requests: SessionRequest[] = [];
  const followups: unknown[] = [];
  const runSession = async (req: SessionRequest) => {
    const i = requests.length;
    requests.push(req);
    req.onStart({ event: (_t, data) => followups.push({ attempt: req.attemptId, ...data }) });
    const { calls, recovers } = script(req, i);
    let seq = 0;
    const ev = (event_type: AwlEvent["event_type"], data: unknown): AwlEvent =>
      ({ attempt_id: req.attemptId, timestamp: new Date(Date.UTC(2026, 10, 25, 7, 0, 0, seq * 10)).toISOString(), sequence_num: seq++, elapsed_ms: 0, event_type, data }) as AwlEvent;
    req.onEvents([ev("session_start", { prompt: req.prompt })]);
    for (let c = 0; c < calls; c++) req.onEvents([ev("tool_call", { tool_name: "Bash", tool_params: { command: "ls -la" } })]);
    if (recovers) return { exitCode: 0, status: "success" as const };
    const reason = await new Promise<unknown>((resolve) => {
      if (req.stop.aborted) resolve(req.stop.reason);
      req.stop.addEventListener("abort", () => resolve(req.stop.reason), { once: true });
    });
    const fail = typeof reason === "object" && reason !== null ? (reason as { fail?: string }).fail : undefined;
    return { exitCode: 143, status: fail ? ("failed" as const) : ("interrupted" as const), stoppedFor: typeof reason === "string" ? reason : (reason as { for: string }).for };
  };
  return { requests, followups, runSession };
}

function alertsFile(dir: string): AlertRecord[] {
  return readFileSync(logPaths(dir).alerts, "utf8").trim().split("\n").map((l) => JSON.parse(l) as AlertRecord);
}

describe("superviseRun", () => {
  const base = (dir: string, over: Partial<InterventionConfig> = {}) => {
    const config = loadConfig({ env: {}, flags: { logDir: dir } });
    config.interventions = { ...config.interventions, followAlerts: false, ...over };
    config.analyzer.toolLoopThreshold = 3;
    return config;
  };

  it("stops a looping session, records why, and starts a fresh one with the recovery prompt", async () => {
    const dir = tmp();
    const s = scriptedSessions((req) => ({ calls: req.promptType === "retry" ? 1 : 5, recovers: req.promptType === "retry" }));
    const r = await superviseRun({
      config: base(dir),
      argv: ["claude", "-p", "fix the test", "--verbose"],
      attemptId: "run",
      prompt: "fix the test",
      env: { HOME: "/home/x" },
      runSession: s.runSession,
    });
    expect(r).toMatchObject({ exitCode: 0, status: "success", attempts: ["run", "run-r1"], gaveUp: false });
    const [first, second] = s.requests;
    expect(first).toMatchObject({ attemptId: "run", argv: ["claude", "-p", "fix the test", "--verbose"] });
    expect(first!.promptType).toBeUndefined();
    expect(second).toMatchObject({ attemptId: "run-r1", promptType: "retry", followupReason: "tool_loop", retryOf: "run" });
    expect(second!.argv[2]).toContain("[awl recovery]");
    expect(second!.argv[2]).toContain("The task: fix the test");
    expect(second!.env).toMatchObject({ HOME: "/home/x", AWL_RECOVERY_PROMPT: second!.argv[2], AWL_FOLLOWUP_REASON: "tool_loop", AWL_RETRY_OF: "run" });
    expect(s.followups).toEqual([{ attempt: "run", prompt: second!.argv[2], followup_reason: "tool_loop", alert_id: expect.stringMatching(/^al_/), action: "fresh_session", next_attempt_id: "run-r1" }]);
    const lines = alertsFile(dir);
    expect(lines.map((l) => l.record_type)).toEqual(["alert", "action"]);
    expect(lines[1]).toMatchObject({ action: "intervene", status: "ok", detail: "run-r1", alert_id: lines[0]!.alert_id, attempt_id: "run" });
    expect(r.interventions).toEqual([expect.objectContaining({ n: 1, action: "intervene", type: "tool_loop", next_attempt_id: "run-r1" })]);
  });

  it("gives up after the limit: the last session fails and the exit code is not 0", async () => {
    const dir = tmp();
    const s = scriptedSessions(() => ({ calls: 4, recovers: false }));
    const r = await superviseRun({ config: base(dir, { maxPerAttempt: 1 }), argv: ["a", "-p", "P"], attemptId: "g", prompt: "P", env: {}, runSession: s.runSession });
    expect(r).toMatchObject({ exitCode: 143, status: "failed", attempts: ["g", "g-r1"], gaveUp: true });
    expect(r.interventions.map((i) => i.action)).toEqual(["intervene", "give_up"]);
    const actions = alertsFile(dir).filter((l) => l.record_type === "action");
    expect(actions).toEqual([
      expect.objectContaining({ action: "intervene", attempt_id: "g", detail: "g-r1" }),
      expect.objectContaining({ action: "give_up", attempt_id: "g-r1", detail: "stopped after 1 of 1 interventions" }),
    ]);
  });

  it("records a skipped intervention for a command that has no task prompt, and lets it run", async () => {
    const dir = tmp();
    const s = scriptedSessions(() => ({ calls: 4, recovers: true }));
    const r = await superviseRun({ config: base(dir), argv: ["npm", "test"], attemptId: "n", env: {}, runSession: s.runSession });
    await new Promise((resolve) => setImmediate(resolve));
    expect(r).toMatchObject({ exitCode: 0, attempts: ["n"], gaveUp: false });
    expect(alertsFile(dir).find((l) => l.record_type === "action")).toMatchObject({ action: "intervene", status: "skipped" });
  });

  it("--no-intervene: records, never stops", async () => {
    const dir = tmp();
    const s = scriptedSessions(() => ({ calls: 20, recovers: true }));
    const r = await superviseRun({ config: base(dir, { enabled: false }), argv: ["a", "-p", "P"], attemptId: "off", prompt: "P", env: {}, runSession: s.runSession });
    expect(r).toMatchObject({ exitCode: 0, attempts: ["off"], interventions: [] });
  });

  it("acts on an alert for its attempt that another process wrote to agent-alerts.jsonl, without writing it again", async () => {
    const dir = tmp();
    const config = base(dir, { followAlerts: true });
    config.analyzer.toolLoopThreshold = 1000; // the in-process analyzer stays quiet: only the file can trigger it
    let wrote = false;
    const s = scriptedSessions((req) => {
      if (!wrote) {
        wrote = true;
        // Another watcher's alert for this attempt, and one for someone else's.
        setTimeout(() => {
          appendAlertRecords(logPaths(dir), [
            { ...alert, alert_id: "al_other", attempt_id: "someone-else" },
            { ...alert, alert_id: "al_ext", attempt_id: req.attemptId },
          ]);
        }, 50);
      }
      return { calls: 1, recovers: req.promptType === "retry" };
    });
    const r = await superviseRun({ config, argv: ["a", "-p", "P"], attemptId: "ext", prompt: "P", env: {}, runSession: s.runSession });
    expect(r.attempts).toEqual(["ext", "ext-r1"]);
    const lines = alertsFile(dir);
    expect(lines.filter((l) => l.record_type === "alert").map((l) => l.alert_id)).toEqual(["al_other", "al_ext"]);
    expect(lines.find((l) => l.record_type === "action")).toMatchObject({ alert_id: "al_ext", action: "intervene", detail: "ext-r1" });
  });
});

describe("one alert written by two processes (awl run's analyzer and awl watch)", () => {
  it("is listed once by awl alerts and by the server, with its actions", async () => {
    const dir = tmp();
    const paths = logPaths(dir);
    appendAlertRecords(paths, [alert]);
    appendAlertRecords(paths, [{ record_type: "action", timestamp: alert.timestamp, alert_id: alert.alert_id, attempt_id: "a1", action: "intervene", status: "ok", detail: "a1-r1" }]);
    appendAlertRecords(paths, [{ ...alert, timestamp: "2026-11-25T07:00:02.000Z" }]);
    const list = await runCli(["alerts", "--json", "--actions", "--log-dir", dir], { cwd: dir });
    expect((JSON.parse(list.stdout) as AlertRecord[]).map((r) => r.record_type)).toEqual(["action", "alert"]);
    const served = await listAlerts(paths, { limit: 10 });
    expect(served.total).toBe(1);
    expect(served.alerts[0]!.actions).toHaveLength(1);
  });
});

describe("superviseRun with autofixRestart", () => {
  it("runs the autofix command, then restarts; without a task prompt the autofix stands alone", async () => {
    for (const [argv, prompt, attempts] of [
      [["a", "-p", "P"], "P", ["fx", "fx-r1"]],
      [["npm", "test"], undefined, ["fx"]],
    ] as [string[], string | undefined, string[]][]) {
      const dir = tmp();
      const config = loadConfig({ env: {}, flags: { logDir: dir } });
      config.interventions = { ...config.interventions, followAlerts: false, types: ["error_loop"], autofixCommand: [process.execPath, "-e", "0"], autofixRestart: true };
      config.analyzer.errorLoopThreshold = 2;
      const requests: SessionRequest[] = [];
      const r = await superviseRun({
        config,
        argv,
        attemptId: "fx",
        ...(prompt ? { prompt } : {}),
        env: {},
        runSession: async (req) => {
          requests.push(req);
          let seq = 0;
          const ev = (event_type: AwlEvent["event_type"], data: unknown) =>
            ({ attempt_id: req.attemptId, timestamp: new Date(Date.UTC(2026, 10, 25, 7, 0, seq)).toISOString(), sequence_num: seq++, elapsed_ms: 0, event_type, data }) as AwlEvent;
          req.onEvents([ev("session_start", {})]);
          if (req.promptType === "retry") return { exitCode: 0, status: "success" };
          for (let i = 0; i < 2; i++) req.onEvents([ev("error", { error_message: "boom", error_fingerprint: "fp_boom" })]);
          // Keeps running until stopped, or ends by itself once the fix has run.
          await new Promise<void>((resolve) => {
            req.stop.addEventListener("abort", () => resolve(), { once: true });
            setTimeout(resolve, 3000);
          });
          return req.stop.aborted ? { exitCode: 143, status: "interrupted", stoppedFor: String(req.stop.reason) } : { exitCode: 0, status: "success" };
        },
      });
      expect(r.attempts).toEqual(attempts);
      const actions = alertsFile(dir).filter((l) => l.record_type === "action") as { action: string; status: string }[];
      expect(actions.map((a) => [a.action, a.status])).toEqual(prompt ? [["autofix", "ok"], ["intervene", "ok"]] : [["autofix", "ok"], ["intervene", "skipped"]]);
    }
  });
});
