import { execFileSync, spawn } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { AwlEvent, MetricsRecord } from "../../src/schema/index.js";
import { logPaths } from "../../src/store/paths.js";
import { AWL_SOURCE, awl, TSX } from "../helpers/awl.js";
import { useTmpDir } from "../helpers/tmp.js";

const tmp = useTmpDir();
const node = process.execPath;

function events(dir: string): AwlEvent[] {
  return readFileSync(logPaths(dir).stream, "utf8").trim().split("\n").map((l) => JSON.parse(l));
}
function metrics(dir: string): MetricsRecord[] {
  return readFileSync(logPaths(dir).metrics, "utf8").trim().split("\n").map((l) => JSON.parse(l));
}
function end(dir: string) {
  return events(dir).find((e) => e.event_type === "session_end")!.data as { completion_status: string; exit_code: number; duration_ms: number };
}

describe("awl run", () => {
  it("passes stdout and stderr through byte for byte, invalid UTF-8 included, and exits with the agent's code", async () => {
    const dir = tmp();
    const script = `
      process.stdout.write(Buffer.from([0x68, 0x69, 0x0a, 0xff, 0xfe, 0x0a, 0xe2, 0x82]));
      process.stdout.write(Buffer.from([0xac, 0x0a, 0x00, 0x01]));
      process.stderr.write("warn \\u001b[33mcolour\\u001b[0m\\n");
      process.exit(3);`;
    const r = await awl(["run", "--log-dir", dir, "--attempt-id", "pt", "--", node, "-e", script]);
    expect(r.code).toBe(3);
    expect(r.stdout).toEqual(Buffer.from([0x68, 0x69, 0x0a, 0xff, 0xfe, 0x0a, 0xe2, 0x82, 0xac, 0x0a, 0x00, 0x01]));
    expect(r.stderr.toString()).toBe("warn \u001b[33mcolour\u001b[0m\n");
    const ev = events(dir);
    expect(ev[0]).toMatchObject({ event_type: "session_start", attempt_id: "pt", source: "run", data: { command: [node, "-e", script] } });
    const out = ev.filter((e) => e.event_type === "agent_output").map((e) => (e.data as { output: string }).output).join("\n");
    expect(out).toContain("hi\n\ufffd\ufffd\n€");
    expect(end(dir)).toMatchObject({ completion_status: "failed", exit_code: 3 });
    expect(metrics(dir)[0]?.metrics).toMatchObject({ success: false, completion_status: "failed" });
  });

  it("records a successful run with its prompt and duration", async () => {
    const dir = tmp();
    const r = await awl(["run", "--log-dir", dir, "--attempt-id", "ok", "--task-id", "t1", "--prompt", "say hi", "--", node, "-e", "console.log('hi')"]);
    expect(r.code).toBe(0);
    expect(r.stdout.toString()).toBe("hi\n");
    const ev = events(dir);
    expect(ev.map((e) => e.event_type)).toEqual(["session_start", "agent_output", "session_end"]);
    expect(ev[0]?.data).toMatchObject({ prompt: "say hi", prompt_type: "initial" });
    expect(end(dir)).toMatchObject({ completion_status: "success", exit_code: 0 });
    expect(metrics(dir)[0]).toMatchObject({ attempt_id: "ok", task_id: "t1", metrics: { success: true, retry_count: 0, first_shot_success: true } });
  });

  it("counts earlier attempts of the same task as retries", async () => {
    const dir = tmp();
    await awl(["run", "--log-dir", dir, "--attempt-id", "a1", "--task-id", "t", "--", node, "-e", "process.exit(1)"]);
    await awl(["run", "--log-dir", dir, "--attempt-id", "a2", "--task-id", "t", "--", node, "-e", "0"]);
    const [first, second] = metrics(dir);
    expect(first?.metrics).toMatchObject({ retry_count: 0, first_shot_success: false, success: false });
    expect(second?.metrics).toMatchObject({ retry_count: 1, first_shot_success: false, success: true });
  });

  it("turns errors and stack traces in plain output into error events", async () => {
    const dir = tmp();
    const script = `console.error("Traceback (most recent call last):\\n  File \\"/app/x.py\\", line 1, in <module>\\nZeroDivisionError: division by zero"); console.log("fatal: not a git repository (or any of the parent directories): .git")`;
    await awl(["run", "--log-dir", dir, "--attempt-id", "errs", "--", node, "-e", script]);
    const errors = events(dir).filter((e) => e.event_type === "error").map((e) => e.data as Record<string, unknown>);
    expect(errors).toHaveLength(2);
    expect(errors).toContainEqual(expect.objectContaining({ error_message: "ZeroDivisionError: division by zero", error_source: "output", stack_trace: expect.stringContaining("Traceback") }));
    expect(errors).toContainEqual(expect.objectContaining({ error_fingerprint: "git_not_repo", error_category: "git" }));
  });

  it("fails a command that does not exist with one line and exit code 127", async () => {
    const dir = tmp();
    const r = await awl(["run", "--log-dir", dir, "--attempt-id", "nf", "--", "definitely-not-a-command-awl"]);
    expect(r.code).toBe(127);
    expect(r.stderr.toString()).toBe("awl: command not found: definitely-not-a-command-awl\n");
    expect(end(dir)).toMatchObject({ completion_status: "failed", exit_code: 127 });
  });

  it("stops a runaway agent at --timeout and records timeout", async () => {
    const dir = tmp();
    const r = await awl(["run", "--log-dir", dir, "--attempt-id", "slow", "--timeout", "300ms", "--", node, "-e", "setInterval(() => {}, 1000)"]);
    expect(r.code).toBe(143); // 128 + SIGTERM
    expect(end(dir)).toMatchObject({ completion_status: "timeout" });
    expect(events(dir).some((e) => e.event_type === "error" && (e.data as { error_message: string }).error_message.includes("timeout"))).toBe(true);
  });

  it("refuses a --timeout beyond Node's timers (600h fired after 1 ms and stopped the agent at once)", async () => {
    const dir = tmp();
    const r = await awl(["run", "--log-dir", dir, "--timeout", "600h", "--", node, "-e", ""]);
    expect(r.code).toBe(2);
    expect(r.stderr.toString()).toBe('awl: --timeout "600h": at most 596h (24.8 days)\n');
  });

  it("forwards SIGTERM to the agent and records interrupted", async () => {
    const dir = tmp();
    // The agent says when it is ready, then waits; on SIGTERM it prints and exits 0.
    const script = `process.on("SIGTERM", () => { console.log("got SIGTERM"); process.exit(0); }); console.log("ready"); setInterval(() => {}, 1000);`;
    let sent = false;
    const r = await awl(["run", "--log-dir", dir, "--attempt-id", "sig", "--", node, "-e", script], {
      // awl passed "ready" through: the agent is running and its handler is set.
      onStdout: (soFar, pid) => {
        if (!sent && soFar.includes("ready")) {
          sent = true;
          process.kill(pid, "SIGTERM");
        }
      },
    });
    expect(r.stdout.toString()).toBe("ready\ngot SIGTERM\n");
    expect(end(dir)).toMatchObject({ completion_status: "interrupted" });
  });

  it("passes 100 MB through unchanged and keeps the event count small", async () => {
    const dir = tmp();
    const script = `const line = "x".repeat(99) + "\\n"; const chunk = line.repeat(10000); let n = 0; function w() { while (n < 100) { n++; if (!process.stdout.write(chunk)) return process.stdout.once("drain", w); } } w();`;
    const r = await awl(["run", "--log-dir", dir, "--attempt-id", "big", "--", node, "-e", script], { maxBuffer: 200 * 1024 * 1024 } as never);
    expect(r.code).toBe(0);
    expect(r.stdout.length).toBe(100 * 1000 * 1000);
    const ev = events(dir);
    const outputs = ev.filter((e) => e.event_type === "agent_output");
    expect(outputs.map((e) => (e.data as { output: string }).output).join("\n").length + 1).toBe(100 * 1000 * 1000);
    expect(outputs.length).toBeLessThan(5000);
  });

  it("measures files, lines and commits changed in a git repository, uncommitted work included", async () => {
    const repo = tmp();
    const dir = tmp();
    const g = (...args: string[]) => execFileSync("git", args, { cwd: repo, stdio: "ignore" });
    g("init", "-q");
    g("config", "user.email", "t@example.com");
    g("config", "user.name", "t");
    writeFileSync(join(repo, "a.txt"), "1\n2\n3\n");
    g("add", ".");
    g("commit", "-qm", "start");
    const script = `const fs = require("fs"); const cp = require("child_process");
      fs.writeFileSync("a.txt", "1\\nTWO\\n3\\n4\\n");
      cp.execSync("git commit -qam edit");
      fs.writeFileSync("b.txt", "new\\nfile\\n");`;
    const r = await awl(["run", "--log-dir", dir, "--attempt-id", "git", "--", node, "-e", script], { cwd: repo });
    expect(r.code).toBe(0);
    expect(metrics(dir)[0]?.metrics).toMatchObject({ files_modified: 2, lines_added: 4, lines_deleted: 1, commits: 1 });
    expect(events(dir)[0]).toMatchObject({ branch: expect.any(String), data: { git_head: expect.stringMatching(/^[0-9a-f]{40}$/) } });
  });

  it("goes on recording when its reader goes away (`awl run … | head -1`): no crash, the agent runs to its end", async () => {
    const dir = tmp();
    // 2 MB cannot pass a 64 kB pipe before the reader is gone: later writes meet EPIPE.
    const script = `process.stdout.write("first\\n"); for (let i = 0; i < 2000; i++) process.stdout.write("x".repeat(1023) + "\\n"); process.stdout.write("last line\\n");`;
    const child = spawn(node, ["--import", TSX, AWL_SOURCE, "run", "--log-dir", dir, "--attempt-id", "cut", "--", node, "-e", script], { stdio: ["ignore", "pipe", "pipe"] });
    child.stdout.once("data", () => child.stdout.destroy());
    let stderr = "";
    child.stderr.on("data", (d: Buffer) => (stderr += d));
    const code = await new Promise<number | null>((resolve) => child.once("close", resolve));
    expect(stderr).toBe("");
    expect(code).toBe(0);
    const out = events(dir).filter((e) => e.event_type === "agent_output").map((e) => (e.data as { output: string }).output).join("\n");
    expect(out).toContain("last line");
    expect(out.split("\n").filter((l) => l.startsWith("x"))).toHaveLength(2000);
    expect(end(dir)).toMatchObject({ completion_status: "success", exit_code: 0 });
  });

  it("another command whose reader is gone ends quietly", async () => {
    const child = spawn(node, ["--import", TSX, AWL_SOURCE, "emit", "--help"], { stdio: ["ignore", "pipe", "pipe"] });
    child.stdout.destroy(); // closed before awl writes its help
    let stderr = "";
    child.stderr.on("data", (d: Buffer) => (stderr += d));
    const code = await new Promise<number | null>((resolve) => child.once("close", resolve));
    expect(stderr).toBe("");
    expect(code).toBe(0);
  });
});
