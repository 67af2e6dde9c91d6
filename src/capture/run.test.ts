import { PassThrough } from "node:stream";
import { describe, expect, it } from "vitest";
import { useTmpDir } from "../../test/helpers/tmp.js";
import { loadConfig } from "../config/index.js";
import type { AwlEvent } from "../schema/index.js";
import { runAgent } from "./run.js";

const tmp = useTmpDir();
const node = process.execPath;

function sinks() {
  const out = new PassThrough();
  const err = new PassThrough();
  out.resume();
  err.resume();
  return { stdout: out, stderr: err };
}

describe("runAgent's hooks for interventions", () => {
  it("hands every batch of the session's events to onEvents as written", async () => {
    const dir = tmp();
    const seen: AwlEvent[] = [];
    const r = await runAgent({
      argv: [node, "-e", 'console.log("one"); console.error("Error: two")'],
      attempt: { attemptId: "hooked" },
      config: { ...loadConfig({ env: {} }), logDir: dir },
      ...sinks(),
      onEvents: (evs) => seen.push(...evs),
    });
    expect(r.exitCode).toBe(0);
    // stdout's line, stderr's line, and the error found in it.
    expect(seen.map((e) => e.event_type)).toEqual(["session_start", "agent_output", "agent_output", "error", "session_end"]);
    expect(seen.map((e) => e.sequence_num)).toEqual([0, 1, 2, 3, 4]);
  });

  it("stops the agent's process group when `stop` aborts, and ends the session interrupted with the reason", async () => {
    const dir = tmp();
    const stop = new AbortController();
    // The agent exits on SIGTERM with a code of its own, so the test sees that awl's stop reached it.
    const script = `process.on("SIGTERM", () => { console.log("stopping"); process.exit(3); }); console.log("looping"); setInterval(() => {}, 1000);`;
    const seen: AwlEvent[] = [];
    const r = await runAgent({
      argv: [node, "-e", script],
      attempt: { attemptId: "stopped" },
      config: { ...loadConfig({ env: {} }), logDir: dir },
      ...sinks(),
      stop: stop.signal,
      killGraceMs: 2000,
      onEvents: (evs) => {
        seen.push(...evs);
        if (evs.some((e) => e.event_type === "agent_output")) stop.abort("tool_loop");
      },
    });
    expect(r.status).toBe("interrupted");
    expect(r.stoppedFor).toBe("tool_loop");
    const end = seen.find((e) => e.event_type === "session_end");
    expect(end?.data).toMatchObject({ completion_status: "interrupted", stopped_for: "tool_loop", exit_code: 3 });
  });

  it("records a retry's followup_reason and retry_of, hands over the recorder, and feeds `input` to stdin", async () => {
    const dir = tmp();
    const seen: AwlEvent[] = [];
    const r = await runAgent({
      argv: [node, "-e", `let s = ""; process.stdin.on("data", (d) => (s += d)).on("end", () => console.log("got " + s))`],
      attempt: { attemptId: "retry-1" },
      config: { ...loadConfig({ env: {} }), logDir: dir },
      ...sinks(),
      prompt: "recover",
      promptType: "retry",
      followupReason: "tool_loop",
      retryOf: "retry",
      input: "the recovery prompt",
      onStart: (recorder) => recorder.event("followup_sent", { followup_reason: "note", action: "test" }),
      onEvents: (evs) => seen.push(...evs),
    });
    expect(r.exitCode).toBe(0);
    expect(seen[0]!.data).toMatchObject({ prompt: "recover", prompt_type: "retry", followup_reason: "tool_loop", retry_of: "retry" });
    expect(seen[1]).toMatchObject({ event_type: "followup_sent", sequence_num: 1 });
    expect(seen.find((e) => e.event_type === "agent_output")!.data).toMatchObject({ output: "got the recovery prompt" });
  });

  it("a StopRequest with `fail` ends the session failed, with the reason as an orchestrator error", async () => {
    const dir = tmp();
    const stop = new AbortController();
    const seen: AwlEvent[] = [];
    const r = await runAgent({
      argv: [node, "-e", `console.log("looping"); setInterval(() => {}, 1000);`],
      attempt: { attemptId: "given-up" },
      config: { ...loadConfig({ env: {} }), logDir: dir },
      ...sinks(),
      stop: stop.signal,
      onEvents: (evs) => {
        seen.push(...evs);
        if (evs.some((e) => e.event_type === "agent_output")) stop.abort({ for: "tool_loop", fail: "awl gave up after 2 interventions" });
      },
    });
    expect(r).toMatchObject({ status: "failed", stoppedFor: "tool_loop", exitCode: 143 });
    expect(seen.find((e) => e.event_type === "error")!.data).toMatchObject({ error_message: "awl gave up after 2 interventions", error_source: "orchestrator" });
    expect(seen.find((e) => e.event_type === "session_end")!.data).toMatchObject({ completion_status: "failed", stopped_for: "tool_loop", signal: "SIGTERM" });
  });
});

describe("runAgent when recording fails", () => {
  // A Claude stream: init (naming a session whose file is nowhere), a tool call nested 20 000
  // levels deep (more than JSON.stringify can serialize), then, a moment later, the result.
  const script = (delayMs: number) => `
    const line = (o) => console.log(JSON.stringify(o));
    line({ type: "system", subtype: "init", session_id: "s-deep", model: "claude-x", tools: [] });
    console.log('{"type":"assistant","session_id":"s-deep","message":{"id":"m1","role":"assistant","content":[{"type":"tool_use","id":"t1","name":"Bash","input":' + '{"a":'.repeat(20000) + '1' + '}'.repeat(20000) + '}]}}');
    setTimeout(() => line({ type: "result", subtype: "success", session_id: "s-deep", is_error: false, result: "done" }), ${delayMs});`;

  it("counts a batch the log refuses in an orchestrator error and records the rest of the session (it crashed awl run)", async () => {
    const dir = tmp();
    const seen: AwlEvent[] = [];
    const r = await runAgent({
      argv: [node, "-e", script(300)],
      attempt: { attemptId: "deep" },
      config: { ...loadConfig({ env: {} }), logDir: dir },
      env: { ...process.env, HOME: tmp(), CLAUDE_CONFIG_DIR: undefined },
      format: "claude",
      ...sinks(),
      onEvents: (evs) => seen.push(...evs),
    });
    expect(r).toMatchObject({ exitCode: 0, status: "success" });
    const error = seen.find((e) => e.event_type === "error");
    expect(error?.data).toMatchObject({ error_source: "orchestrator" });
    expect(String(error?.data.error_message)).toMatch(/^awl: 1 event of the agent's output could not be recorded: invalid event: data: nested deeper than 512 levels$/);
    expect(seen.at(-1)?.event_type).toBe("session_end");
  });

  it("waits for the agent's session file without piling up abort listeners (Node warned into the agent's stderr)", async () => {
    const warnings: Error[] = [];
    const onWarning = (w: Error) => warnings.push(w);
    process.on("warning", onWarning);
    try {
      // 2.5 s of waiting: twelve looks for the file, one more than Node's listener limit.
      const r = await runAgent({
        argv: [node, "-e", `console.log(JSON.stringify({ type: "system", subtype: "init", session_id: "s-nofile", tools: [] })); setTimeout(() => {}, 2500);`],
        attempt: { attemptId: "nofile" },
        config: { ...loadConfig({ env: {} }), logDir: tmp() },
        env: { ...process.env, HOME: tmp(), CLAUDE_CONFIG_DIR: undefined },
        format: "claude",
        ...sinks(),
      });
      expect(r.exitCode).toBe(0);
    } finally {
      process.off("warning", onWarning);
    }
    expect(warnings.map((w) => w.name)).not.toContain("MaxListenersExceededWarning");
  });
});
