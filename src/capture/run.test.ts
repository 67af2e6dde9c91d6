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
});
