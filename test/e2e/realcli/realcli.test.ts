// The pinned real agent CLI (Codex, devDependency @openai/codex) run by the harness against the
// project's mock model inside a loopback-only network namespace. Nothing here is skipped: a
// machine that cannot run it fails these tests with the reason.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { probeNetns, REPO_ROOT, runInSandbox, type SandboxOptions, type SandboxResult } from "./harness.js";

const PINNED = "0.169.0";

const results: SandboxResult[] = [];
afterEach((ctx) => {
  for (const r of results.splice(0)) {
    // a failed test keeps its scratch folder (CLI home, work repo, mock log) for a look
    if (ctx.task.result?.state === "fail") console.error(`kept ${r.scratch}`);
    else r.cleanup();
  }
});

async function run(opts: Omit<SandboxOptions, "cli">): Promise<SandboxResult> {
  const r = await runInSandbox({ cli: "codex", timeoutMs: 45_000, ...opts });
  results.push(r);
  return r;
}

type Line = Record<string, unknown> & { type: string; item?: Record<string, unknown> };

function lines(buf: Buffer): Line[] {
  const text = buf.toString("utf8");
  expect(text.endsWith("\n")).toBe(true);
  return text
    .slice(0, -1)
    .split("\n")
    .map((l) => JSON.parse(l) as Line);
}

const completed = (ls: Line[], type: string): Record<string, unknown>[] => ls.filter((l) => l.type === "item.completed" && l.item?.["type"] === type).map((l) => l.item ?? {});

function expectCodexRun(r: SandboxResult): Line[] {
  const ls = lines(r.stdout);
  expect(ls[0]?.type).toBe("thread.started");
  expect(ls[1]?.type).toBe("turn.started");
  expect(r.stderr.toString()).toBe("Reading additional input from stdin...\n");
  expect(r.timedOut).toBe(false);
  expect(r.interfaces).toEqual(["lo"]);
  // the session file is the rollout named after the thread, with the pinned version in its first line
  expect(r.sessionFiles).toHaveLength(1);
  const session = r.sessionFiles[0] ?? "";
  expect(session.startsWith(join(r.home, ".codex", "sessions"))).toBe(true);
  expect(session).toContain(String(ls[0]?.["thread_id"]));
  const meta = JSON.parse(readFileSync(session, "utf8").split("\n")[0] ?? "") as { type: string; payload: Record<string, unknown> };
  expect(meta.type).toBe("session_meta");
  expect(meta.payload).toMatchObject({ cli_version: PINNED, originator: "codex_exec", model_provider: "mock", cwd: r.workdir });
  return ls;
}

describe("Codex CLI against the mock model, in a loopback-only namespace", () => {
  it("is pinned exactly in package.json", () => {
    const pkg = JSON.parse(readFileSync(join(REPO_ROOT, "package.json"), "utf8")) as { devDependencies: Record<string, string> };
    expect(pkg.devDependencies["@openai/codex"]).toBe(PINNED);
  });

  it("success: runs the script's commands, edits, and exits 0", async () => {
    const r = await run({ scenario: "success" });
    expect(r.exitCode).toBe(0);
    const ls = expectCodexRun(r);
    expect(ls.at(-1)?.type).toBe("turn.completed");
    const cmds = completed(ls, "command_execution");
    expect(cmds.map((c) => [c["command"], c["exit_code"], c["status"]])).toEqual([
      ["/bin/bash -lc 'ls -la'", 0, "completed"],
      ["/bin/bash -lc 'cat calc.py'", 0, "completed"],
      ["/bin/bash -lc 'python3 hello.py'", 0, "completed"],
    ]);
    expect(cmds[2]?.["aggregated_output"]).toBe("Hello from the mock model, 2 + 3 = 5\n");
    expect(completed(ls, "file_change").map((c) => (c["changes"] as { kind: string }[])[0]?.kind)).toEqual(["update", "add"]);
    expect(completed(ls, "agent_message").at(-1)?.["text"]).toMatch(/^Done: /);
    expect(readFileSync(join(r.workdir, "calc.py"), "utf8")).toContain('"""Return the sum of a and b."""');
    expect(existsSync(join(r.workdir, "hello.py"))).toBe(true);
    expect(r.mockRequests.map((q) => [q.kind, q.turn, q.status])).toEqual([0, 1, 2, 3, 4, 5].map((t) => ["main", t, 200]));
    expect(r.durationMs).toBeLessThan(20_000);
  });

  it("error_loop: five failed git pushes, then the final text, exit 0", async () => {
    const r = await run({ scenario: "error_loop" });
    expect(r.exitCode).toBe(0);
    const ls = expectCodexRun(r);
    expect(ls.at(-1)?.type).toBe("turn.completed");
    const cmds = completed(ls, "command_execution");
    expect(cmds).toHaveLength(5);
    for (const c of cmds) expect(c).toMatchObject({ command: "/bin/bash -lc 'git push origin HEAD'", exit_code: 128, status: "failed" });
    expect(String(cmds[0]?.["aggregated_output"])).toMatch(/'origin' does not appear to be a git repository/);
    expect(completed(ls, "agent_message").at(-1)?.["text"]).toMatch(/Giving up\.$/);
    expect(r.mockRequests).toHaveLength(6);
    expect(r.durationMs).toBeLessThan(20_000);
  });

  it("api_error: one retry notice, then turn.failed and exit 1 within seconds", async () => {
    const r = await run({ scenario: "api_error" });
    expect(r.exitCode).toBe(1);
    const ls = expectCodexRun(r);
    const tail = ls.slice(-3);
    expect(tail.map((l) => l.type)).toEqual(["error", "error", "turn.failed"]);
    expect(tail[0]?.["message"]).toMatch(/^Reconnecting\.\.\. 1\/1 /);
    expect(completed(ls, "command_execution").map((c) => c["command"])).toEqual(["/bin/bash -lc ls"]);
    // turn 0, then the failing turn 1 once plus one stream retry (maxRetries 1)
    expect(r.mockRequests.map((q) => [q.turn, q.status])).toEqual([
      [0, 200],
      [1, 500],
      [1, 500],
    ]);
    const session = readFileSync(r.sessionFiles[0] ?? "", "utf8");
    expect(session).toContain('"type":"task_complete"');
    expect(r.durationMs).toBeLessThan(15_000);
  });

  it("the CLI's own shell sees no network but loopback", async () => {
    const r = await run({ scenario: { prompt: "Which network interfaces are there?", turns: [{ tool: "shell", args: { command: "cat /proc/net/dev" } }, { text: "Only lo." }] } });
    expect(r.exitCode).toBe(0);
    const ls = expectCodexRun(r);
    const out = String(completed(ls, "command_execution")[0]?.["aggregated_output"]);
    const ifs = out
      .split("\n")
      .slice(2)
      .map((l) => l.split(":")[0]?.trim())
      .filter(Boolean);
    expect(ifs).toEqual(["lo"]);
  });

  it("a wrapper command runs in front of the CLI with the same environment, output passing through", async () => {
    // stands in for `awl run -- codex ...`: spawn the rest of argv, pass stdio through, keep the exit code
    const wrapper = [
      "process.stderr.write('wrapper: ' + process.argv.slice(2, 4).join(' ') + ' HOME=' + process.env.HOME + '\\n');",
      "const c = require('node:child_process').spawn(process.argv[1], process.argv.slice(2), { stdio: 'inherit' });",
      "c.on('exit', (code) => process.exit(code ?? 1));",
    ].join("");
    const r = await run({ scenario: "api_error", command: [process.execPath, "-e", wrapper, "--"] });
    expect(r.exitCode).toBe(1);
    expect(r.argv.slice(0, 4)).toEqual([process.execPath, "-e", wrapper, "--"]);
    expect(r.stderr.toString().split("\n")[0]).toBe(`wrapper: exec --json HOME=${r.home}`);
    expect(lines(r.stdout).map((l) => l.type)).toContain("turn.failed");
  });

  it("kills the CLI's process group when the run times out", async () => {
    const r = await run({ scenario: "success", timeoutMs: 1 });
    expect(r.timedOut).toBe(true);
    expect(r.exitCode === 0).toBe(false);
  });

  it("refuses to run at all without a network namespace", () => {
    expect(() => probeNetns("/nonexistent/unshare")).toThrow(/`unshare -n` is not permitted here/);
  });
});
