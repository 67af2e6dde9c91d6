// `awl run` in front of the pinned real Codex CLI (devDependency @openai/codex), against the
// project's mock model inside a loopback-only network namespace: passthrough, events, exit code
// and metrics, end to end.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { AwlEvent, MetricsRecord } from "../../../src/schema/index.js";
import { logPaths } from "../../../src/store/paths.js";
import { AWL_SOURCE, TSX } from "../../helpers/awl.js";
import { runInSandbox, type SandboxResult } from "./harness.js";

const cleanups: (() => void)[] = [];
afterEach((ctx) => {
  for (const c of cleanups.splice(0)) if (ctx.task.result?.state !== "fail") c();
});

async function awlRun(scenario: string, attempt: string) {
  const logDir = mkdtempSync(join(tmpdir(), "awl-realcli-"));
  const r: SandboxResult = await runInSandbox({
    cli: "codex",
    scenario,
    timeoutMs: 60_000,
    command: [process.execPath, "--import", TSX, AWL_SOURCE, "run", "--log-dir", logDir, "--attempt-id", attempt, "--task-id", `task-${scenario}`, "--"],
  });
  cleanups.push(() => {
    r.cleanup();
    rmSync(logDir, { recursive: true, force: true });
  });
  const events = readFileSync(logPaths(logDir).stream, "utf8").trim().split("\n").map((l) => JSON.parse(l) as AwlEvent);
  const metrics = readFileSync(logPaths(logDir).metrics, "utf8").trim().split("\n").map((l) => JSON.parse(l) as MetricsRecord);
  const stdoutLines = r.stdout.toString("utf8").trim().split("\n").map((l) => JSON.parse(l) as { type: string; item?: { type: string; status?: string }; usage?: Record<string, number> });
  return { r, events, metrics, stdoutLines };
}

const of = (events: AwlEvent[], type: string) => events.filter((e) => e.event_type === type);

describe("awl run -- codex exec --json (real Codex CLI 0.169.0)", () => {
  it("success: output passes through, every tool call is recorded, tokens equal Codex's own, metrics from git", async () => {
    const { r, events, metrics, stdoutLines } = await awlRun("success", "codex-success");
    expect(r.exitCode).toBe(0);
    expect(stdoutLines[0]?.type).toBe("thread.started");
    expect(r.stderr.toString()).toBe("Reading additional input from stdin...\n");
    const toolItems = stdoutLines.filter((l) => l.type === "item.completed" && l.item && l.item.type !== "agent_message");
    expect(of(events, "tool_call")).toHaveLength(toolItems.length);
    expect(of(events, "tool_result")).toHaveLength(toolItems.length);
    expect(of(events, "error")).toHaveLength(0);
    const usage = stdoutLines.find((l) => l.type === "turn.completed")!.usage!;
    const end = of(events, "session_end")[0]!.data as { completion_status: string; exit_code: number; total_tokens: number };
    expect(end).toMatchObject({ completion_status: "success", exit_code: 0 });
    expect(end.total_tokens).toBe(usage.input_tokens! + usage.output_tokens!);
    expect(events[0]!.data).toMatchObject({ prompt_type: "initial", prompt: expect.any(String) });
    // Codex prints no model on stdout; awl took it from Codex's own session file.
    expect(of(events, "session_end")[0]!.model ?? metrics[0]!.model).toBe("gpt-5.5");
    expect(metrics[0]!.metrics).toMatchObject({ success: true, tool_calls: toolItems.length, errors: 0, commits: 0 });
    // calc.py edited, hello.py written (and whatever running it left untracked, e.g. __pycache__)
    expect(metrics[0]!.metrics!.files_modified).toBeGreaterThanOrEqual(2);
    expect(metrics[0]!.metrics!.lines_added).toBeGreaterThan(0);
  });

  it("error_loop: every failed git push is a failed result and an error with the git category", async () => {
    const { r, events } = await awlRun("error_loop", "codex-loop");
    expect(r.exitCode).toBe(0);
    const failed = of(events, "tool_result").filter((e) => (e.data as { result: string }).result === "error");
    expect(failed).toHaveLength(5);
    const errors = of(events, "error").map((e) => e.data as { error_category: string; error_source: string; error_fingerprint: string });
    expect(errors).toHaveLength(5);
    expect(errors.every((e) => e.error_category === "git" && e.error_source === "tool")).toBe(true);
    expect(new Set(errors.map((e) => e.error_fingerprint)).size).toBe(1);
  });

  it("api_error: provider errors are recorded, the session fails, and awl exits with Codex's exit code", async () => {
    const { r, events } = await awlRun("api_error", "codex-api");
    expect(r.exitCode).toBe(1);
    const api = of(events, "error").filter((e) => (e.data as { error_source: string }).error_source === "api");
    expect(api.length).toBeGreaterThanOrEqual(2);
    expect(of(events, "session_end")[0]!.data).toMatchObject({ completion_status: "failed", exit_code: 1 });
  });
});
