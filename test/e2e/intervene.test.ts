// Interventions end to end: `awl run` in front of a fake agent (test/e2e/workers/looping-agent.mjs,
// Claude Code's stream-json) that loops until its prompt carries the recovery marker.
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { AlertRecord, AwlEvent, MetricsRecord } from "../../src/schema/index.js";
import { logPaths } from "../../src/store/paths.js";
import { awl } from "../helpers/awl.js";
import { useTmpDir } from "../helpers/tmp.js";

const tmp = useTmpDir();
const node = process.execPath;
const AGENT = join(import.meta.dirname, "workers", "looping-agent.mjs");

const jsonl = <T>(path: string): T[] =>
  existsSync(path)
    ? readFileSync(path, "utf8")
        .trim()
        .split("\n")
        .filter(Boolean)
        .map((l) => JSON.parse(l) as T)
    : [];

function logs(dir: string) {
  const p = logPaths(dir);
  const events = jsonl<AwlEvent>(p.stream);
  return {
    events,
    of: (attempt: string, type?: string) => events.filter((e) => e.attempt_id === attempt && (!type || e.event_type === type)),
    alerts: jsonl<AlertRecord>(p.alerts),
    metrics: jsonl<MetricsRecord>(p.metrics),
  };
}

function run(dir: string, args: string[], env: Record<string, string> = {}, agentArgs: string[] = []) {
  return awl(["run", "--log-dir", dir, ...args, "--", node, AGENT, "-p", "fix the failing test", "--output-format", "stream-json", "--verbose", ...agentArgs], {
    cwd: dir,
    env: { ...process.env, HOME: dir, ...env },
  });
}

describe("awl run interventions (a fake agent in Claude Code's stream-json)", () => {
  it("tool_loop: stops the agent, records followup_sent, starts a fresh session with the recovery prompt, exits 0", async () => {
    const dir = tmp();
    const r = await run(dir, ["--attempt-id", "loop", "--task-id", "t-loop"]);
    expect(r.stderr.toString()).toMatch(/awl: tool_loop \(Bash called \d+ times .*\): stopping the agent and starting a fresh session loop-r1 \(intervention 1 of 2\)/);
    expect(r.code).toBe(0);
    const l = logs(dir);

    // The looping session: stopped for tool_loop soon after the 10th identical call.
    const calls = l.of("loop", "tool_call");
    expect(calls.length).toBeGreaterThanOrEqual(10);
    expect(l.of("loop", "session_end")[0]!.data).toMatchObject({ completion_status: "interrupted", stopped_for: "tool_loop" });
    const followup = l.of("loop", "followup_sent")[0]!;
    expect(followup.data).toMatchObject({ followup_reason: "tool_loop", action: "fresh_session", next_attempt_id: "loop-r1", alert_id: expect.stringMatching(/^al_/) });
    const recovery = (followup.data as { prompt: string }).prompt;
    expect(recovery).toContain("[awl recovery]");
    expect(recovery).toContain("tool_loop: Bash called");
    expect(recovery).toContain("The task: fix the failing test");

    // The fresh session: same task, prompt_type retry, the recovery prompt; it succeeded.
    const start = l.of("loop-r1", "session_start")[0]!;
    expect(start).toMatchObject({ task_id: "t-loop" });
    expect(start.data).toMatchObject({ prompt_type: "retry", followup_reason: "tool_loop", retry_of: "loop", prompt: recovery });
    expect((start.data as { command: string[] }).command).toEqual([node, AGENT, "-p", recovery, "--output-format", "stream-json", "--verbose"]);
    expect(l.of("loop-r1", "tool_call")).toHaveLength(1);
    expect(l.of("loop-r1", "session_end")[0]!.data).toMatchObject({ completion_status: "success", exit_code: 0 });

    // The alert and what was done about it.
    const alert = l.alerts.find((a) => a.record_type === "alert")!;
    expect(alert).toMatchObject({ type: "tool_loop", attempt_id: "loop", alert_id: (followup.data as { alert_id: string }).alert_id, tool_name: "Bash" });
    expect(l.alerts.filter((a) => a.record_type === "action")).toEqual([expect.objectContaining({ action: "intervene", status: "ok", alert_id: alert.alert_id, attempt_id: "loop", detail: "loop-r1" })]);
    expect(l.metrics.find((m) => m.attempt_id === "loop-r1")!.metrics).toMatchObject({ success: true, retry_count: 1 });
  });

  it("gives up after the limit: the agent is stopped, the session fails, awl exits non-zero", async () => {
    const dir = tmp();
    const r = await run(dir, ["--attempt-id", "stubborn", "--max-interventions", "1", "--json"], { LOOP_MARKER: "never" });
    expect(r.code).not.toBe(0);
    expect(r.stderr.toString()).toContain("1 of 1 interventions used, giving up");
    const l = logs(dir);
    expect(l.of("stubborn", "session_end")[0]!.data).toMatchObject({ completion_status: "interrupted", stopped_for: "tool_loop" });
    const end = l.of("stubborn-r1", "session_end")[0]!.data;
    expect(end).toMatchObject({ completion_status: "failed", stopped_for: "tool_loop" });
    expect(l.of("stubborn-r1", "error").map((e) => (e.data as { error_message: string }).error_message)).toContainEqual(
      expect.stringContaining("awl gave up after 1 intervention: tool_loop"),
    );
    expect(l.of("stubborn-r1", "followup_sent")).toHaveLength(0);
    expect(l.alerts.filter((a) => a.record_type === "action").map((a) => [a.attempt_id, (a as { action: string }).action])).toEqual([
      ["stubborn", "intervene"],
      ["stubborn-r1", "give_up"],
    ]);
    expect(l.metrics.find((m) => m.attempt_id === "stubborn-r1")!.metrics).toMatchObject({ success: false, completion_status: "failed" });
    // --json: the whole chain, and the exit code awl returned.
    const out = r.stdout.toString().trim().split("\n");
    const summary = JSON.parse(out[out.length - 1]!) as Record<string, unknown>;
    expect(summary).toMatchObject({ attempts: ["stubborn", "stubborn-r1"], gave_up: true, status: "failed", exit_code: r.code });
  });

  it("error_loop with an autofix command: runs it with the alert on stdin, records it, and the agent carries on", async () => {
    const dir = tmp();
    const fixed = join(dir, "fixed.json");
    const config = join(dir, "awl.config.json");
    writeFileSync(
      config,
      JSON.stringify({
        interventions: {
          types: ["error_loop"],
          autofixCommand: [node, "-e", "let s='';process.stdin.on('data',d=>s+=d).on('end',()=>require('fs').writeFileSync(process.env.FIXED_FILE,JSON.stringify({alert:JSON.parse(s),type:process.env.AWL_ALERT_TYPE})))"],
        },
      }),
    );
    const r = await run(dir, ["--attempt-id", "fixme", "--config", config], { LOOP_MODE: "errors", FIXED_FILE: fixed, LOOP_EVERY_MS: "20" });
    expect(r.stderr.toString()).toMatch(/awl: error_loop \(.*\): running the autofix command/);
    expect(r.code).toBe(0);
    const got = JSON.parse(readFileSync(fixed, "utf8")) as { alert: { type: string; attempt_id: string }; type: string };
    expect(got).toMatchObject({ type: "error_loop", alert: { type: "error_loop", attempt_id: "fixme" } });
    const l = logs(dir);
    expect(l.events.filter((e) => e.event_type === "session_start")).toHaveLength(1);
    expect(l.of("fixme", "followup_sent")[0]!.data).toMatchObject({ followup_reason: "error_loop", action: "autofix_command", command: expect.arrayContaining([node]) });
    expect(l.of("fixme", "session_end")[0]!.data).toMatchObject({ completion_status: "success" });
    const actions = l.alerts.filter((a) => a.record_type === "action");
    expect(actions).toEqual([expect.objectContaining({ action: "autofix", status: "ok", exit_code: 0, attempt_id: "fixme" })]);
    expect(l.alerts.find((a) => a.record_type === "alert")).toMatchObject({ type: "error_loop", alert_id: actions[0]!.alert_id });
  });

  it("an autofix that does not end the error loop counts as the loop again: at the limit awl gives up", async () => {
    const dir = tmp();
    const config = join(dir, "awl.config.json");
    writeFileSync(config, JSON.stringify({ interventions: { types: ["error_loop"], maxPerAttempt: 1, autofixCommand: [node, "-e", "process.exit(3)"] } }));
    const r = await run(dir, ["--attempt-id", "unfixed", "--config", config], { LOOP_MODE: "errors", LOOP_EVERY_MS: "20" });
    expect(r.code).not.toBe(0);
    expect(r.stderr.toString()).toContain("autofix command exited 3");
    const l = logs(dir);
    expect(l.events.filter((e) => e.event_type === "session_start")).toHaveLength(1);
    const actions = l.alerts.filter((a) => a.record_type === "action") as { action: string; status: string; exit_code?: number; alert_id: string }[];
    expect(actions.map((a) => [a.action, a.status, a.exit_code])).toEqual([
      ["autofix", "failed", 3],
      ["give_up", "ok", undefined],
    ]);
    expect(new Set(actions.map((a) => a.alert_id)).size).toBe(1);
    expect(l.alerts.filter((a) => a.record_type === "alert")).toHaveLength(1);
    expect(l.of("unfixed", "session_end")[0]!.data).toMatchObject({ completion_status: "failed", stopped_for: "error_loop" });
  });

  it("an agent that ignores SIGTERM is killed after the grace period, and the fresh session still starts", async () => {
    const dir = tmp();
    const config = join(dir, "awl.config.json");
    writeFileSync(config, JSON.stringify({ interventions: { graceMs: 300 } }));
    const r = await run(dir, ["--attempt-id", "deaf", "--config", config], { IGNORE_TERM: "1" });
    expect(r.code).toBe(0);
    const l = logs(dir);
    expect(l.of("deaf", "session_end")[0]!.data).toMatchObject({ completion_status: "interrupted", stopped_for: "tool_loop", signal: "SIGKILL" });
    expect(l.of("deaf-r1", "session_end")[0]!.data).toMatchObject({ completion_status: "success" });
  });

  it("--no-intervene only records", async () => {
    const dir = tmp();
    const r = await awl(["run", "--log-dir", dir, "--attempt-id", "free", "--no-intervene", "--", node, "-e", "for (let i = 0; i < 15; i++) console.log(JSON.stringify({type:'assistant',session_id:'s',message:{role:'assistant',content:[{type:'tool_use',id:'t'+i,name:'Bash',input:{command:'ls'}}]}}))"], {
      cwd: dir,
      env: { ...process.env, HOME: dir },
    });
    expect(r.code).toBe(0);
    const l = logs(dir);
    expect(l.of("free", "tool_call")).toHaveLength(15);
    expect(l.alerts).toEqual([]);
  });
});
