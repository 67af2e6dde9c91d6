// An intervention on the pinned real Codex CLI (0.169.0) under `awl run`, against the mock model
// in a loopback-only network namespace: the model makes Codex run the same shell command over and
// over until the conversation carries the recovery prompt; awl stops Codex, starts a fresh
// `codex exec` with the recovery prompt in place of the task, and that session finishes.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { Scenario } from "../mock-model/server.js";
import type { AlertRecord, AwlEvent } from "../../../src/schema/index.js";
import { logPaths } from "../../../src/store/paths.js";
import { AWL_SOURCE, TSX } from "../../helpers/awl.js";
import { runInSandbox } from "./harness.js";

const cleanups: (() => void)[] = [];
afterEach((ctx) => {
  for (const c of cleanups.splice(0)) if (ctx.task.result?.state !== "fail") c();
});

const PROMPT = "Check which files are in the repository.";
const looping: Scenario = {
  name: "tool_loop",
  prompt: PROMPT,
  title: "List files",
  // The model never learns: the same command, again and again (far past any threshold)...
  turns: [{ repeat: 60, text: "Let me look again.", tool: "shell", args: { command: "ls -la" } }],
  // ...until the prompt is awl's recovery prompt.
  branches: [{ contains: "[awl recovery]", turns: [{ text: "The repository holds README.md and calc.py; I stopped re-running ls." }] }],
};

describe("awl run intervenes on a real Codex CLI 0.169.0 caught in a tool loop", () => {
  it("stops Codex, restarts `codex exec` with the recovery prompt, and exits 0", async () => {
    const logDir = mkdtempSync(join(tmpdir(), "awl-realcli-intervene-"));
    const r = await runInSandbox({
      cli: "codex",
      scenario: looping,
      timeoutMs: 90_000,
      env: { AGENT_TOOL_LOOP_THRESHOLD: "4" },
      command: [process.execPath, "--import", TSX, AWL_SOURCE, "run", "--log-dir", logDir, "--attempt-id", "codex-loop", "--task-id", "t-codex-loop", "--prompt", PROMPT, "--"],
    });
    cleanups.push(() => {
      r.cleanup();
      rmSync(logDir, { recursive: true, force: true });
    });
    const stderr = r.stderr.toString();
    expect(stderr, stderr).toMatch(/awl: tool_loop \(.*\): stopping the agent and starting a fresh session codex-loop-r1/);
    expect(r.exitCode, stderr).toBe(0);

    const events = readFileSync(logPaths(logDir).stream, "utf8").trim().split("\n").map((l) => JSON.parse(l) as AwlEvent);
    const of = (attempt: string, type: string) => events.filter((e) => e.attempt_id === attempt && e.event_type === type);
    // The looping session: at least the threshold of identical shell calls, then stopped for tool_loop.
    const calls = of("codex-loop", "tool_call").map((e) => JSON.stringify((e.data as { tool_params: unknown }).tool_params));
    expect(calls.length).toBeGreaterThanOrEqual(4);
    expect(calls.every((c) => c.includes("ls -la"))).toBe(true);
    expect(of("codex-loop", "session_end")[0]!.data).toMatchObject({ completion_status: "interrupted", stopped_for: "tool_loop" });
    const followup = of("codex-loop", "followup_sent")[0]!.data as { prompt: string; followup_reason: string; alert_id: string };
    expect(followup).toMatchObject({ followup_reason: "tool_loop", action: "fresh_session" });
    expect(followup.prompt).toContain(`The task: ${PROMPT}`);

    // The fresh session: `codex exec … <recovery prompt>`, prompt_type retry; it finished.
    const start = of("codex-loop-r1", "session_start")[0]!;
    expect(start.data).toMatchObject({ prompt_type: "retry", followup_reason: "tool_loop", prompt: followup.prompt });
    const command = (start.data as { command: string[] }).command;
    expect(command.slice(1, 3)).toEqual(["exec", "--json"]);
    expect(command[command.length - 1]).toBe(followup.prompt);
    expect(of("codex-loop-r1", "tool_call")).toHaveLength(0);
    expect(of("codex-loop-r1", "session_end")[0]!.data).toMatchObject({ completion_status: "success", exit_code: 0 });

    // The mock saw the recovery prompt in the second session's requests.
    const mainRequests = r.mockRequests.filter((q) => q.kind === "main");
    expect(mainRequests.length).toBeGreaterThan(calls.length);
    const alerts = readFileSync(logPaths(logDir).alerts, "utf8").trim().split("\n").map((l) => JSON.parse(l) as AlertRecord);
    expect(alerts.find((a) => a.record_type === "alert")).toMatchObject({ type: "tool_loop", attempt_id: "codex-loop", alert_id: followup.alert_id });
    expect(alerts.find((a) => a.record_type === "action")).toMatchObject({ action: "intervene", status: "ok", detail: "codex-loop-r1", alert_id: followup.alert_id });
  });
});
