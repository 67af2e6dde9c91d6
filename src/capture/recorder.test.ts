import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { useTmpDir } from "../../test/helpers/tmp.js";
import { createRecorder } from "../index.js";
import { logPaths } from "../store/paths.js";

const tmp = useTmpDir();
const T0 = Date.parse("2026-11-25T10:00:00Z");

function jsonl(path: string) {
  return readFileSync(path, "utf8").trim().split("\n").map((l) => JSON.parse(l));
}

describe("createRecorder", () => {
  it("records a session: identifiers on every event, task metadata on start and end, totals and a metrics record", () => {
    const dir = tmp();
    let now = T0;
    const rec = createRecorder({
      logDir: dir,
      attemptId: "ve-9",
      sessionId: "s-1",
      taskId: "t-9",
      taskTitle: "Fix login",
      taskDescription: "The login form rejects valid emails",
      projectId: "p-1",
      executor: "CLAUDE",
      model: "claude-opus-4",
      branch: "ve/9-fix-login",
      baseBranch: "main",
      now: () => now,
    });
    rec.start({ prompt: "Fix the login form", prompt_type: "initial" });
    now += 1000;
    rec.event("tool_call", { tool_name: "Bash", tool_call_id: "c1", tool_params: { command: "npm test" }, usage: { input: 100, output: 20, cache_read: 1000 } });
    now += 500;
    rec.event("tool_result", { tool_name: "Bash", tool_call_id: "c1", result: "error", duration_ms: 480 });
    rec.error("npm ERR! code ETIMEDOUT", { error_source: "tool", tool_call_id: "c1" });
    rec.event("agent_output", { output: "Retrying", usage: { input: 50, output: 10, reasoning: 5 } });
    now += 1500;
    const metrics = rec.end({ completion_status: "failed", cost_usd: 0.12 });
    rec.close();

    const events = jsonl(logPaths(dir).stream);
    expect(events.map((e) => e.event_type)).toEqual(["session_start", "tool_call", "tool_result", "error", "agent_output", "session_end"]);
    for (const e of events) expect(e).toMatchObject({ attempt_id: "ve-9", session_id: "s-1", task_id: "t-9", executor: "CLAUDE", model: "claude-opus-4", source: "api" });
    expect(events[0]).toMatchObject({ task_title: "Fix login", task_description: "The login form rejects valid emails", project_id: "p-1", branch: "ve/9-fix-login" });
    expect(events[1].task_title).toBeUndefined();
    expect(events[3].data).toMatchObject({ error_category: expect.any(String), error_fingerprint: expect.any(String) });
    const end = events[5];
    expect(end.task_title).toBe("Fix login");
    expect(end.elapsed_ms).toBe(3000);
    expect(end.data).toEqual({
      completion_status: "failed",
      cost_usd: 0.12,
      duration_ms: 3000,
      tool_calls: 1,
      errors: 1,
      usage: { input: 150, output: 30, cache_read: 1000, cache_creation: 0, reasoning: 5, total_tokens: 1185 },
      total_tokens: 1185,
    });
    expect(metrics?.metrics).toMatchObject({ duration_ms: 3000, total_tokens: 1185, tool_calls: 1, errors: 1, success: false, completion_status: "failed" });
    expect(metrics?.error_summary).toEqual({ total_errors: 1, error_categories: [events[3].data.error_category], error_fingerprints: [events[3].data.error_fingerprint] });
    expect(jsonl(logPaths(dir).metrics)).toEqual([metrics]);
  });

  it("keeps a fingerprint the producer already gave", () => {
    const dir = tmp();
    const rec = createRecorder({ logDir: dir, attemptId: "a" });
    const e = rec.error("anything", { error_fingerprint: "custom_fp", error_category: "build" });
    rec.close();
    expect(e?.data).toMatchObject({ error_fingerprint: "custom_fp", error_category: "build" });
  });

  it("refuses an empty attempt id", () => {
    expect(() => createRecorder({ logDir: tmp(), attemptId: "" })).toThrow(/attemptId is required/);
  });
});
