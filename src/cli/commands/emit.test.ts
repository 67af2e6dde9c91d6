import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runCli } from "../../../test/helpers/io.js";
import { useTmpDir } from "../../../test/helpers/tmp.js";
import { mergeMetricsRecords, type MetricsRecord } from "../../schema/index.js";
import { logPaths } from "../../store/paths.js";
import { FakeSecrets } from "../../store/redact-corpus.js";

const tmp = useTmpDir();

function streamOf(dir: string) {
  return readFileSync(logPaths(dir).stream, "utf8").trim().split("\n").map((l) => JSON.parse(l));
}

describe("awl emit", () => {
  it("writes an event from flags, --field, --data JSON, @file and stdin", async () => {
    const cwd = tmp();
    const dir = join(cwd, "logs");
    writeFileSync(join(cwd, "payload.json"), JSON.stringify({ tool_name: "Read", tool_params: { file_path: "a.ts" } }));
    const base = ["--log-dir", dir, "--attempt-id", "ve-1"];
    const runs = [
      ["emit", "session_start", ...base, "--task-title", "Add auth", "--executor", "CODEX", "--field", "prompt_type=initial", "--field", "prompt=do it"],
      ["emit", "tool_call", ...base, "--data", '{"tool_name":"Bash","tool_params":{"command":"npm test"}}'],
      ["emit", "tool_call", ...base, "--data", "@payload.json"],
      ["emit", "tool_result", ...base, "--data", "-"],
      ["emit", "session_end", ...base, "--field", "completion_status=success", "--field", "total_tokens=1200"],
    ];
    for (const argv of runs) {
      const r = await runCli(argv, { cwd, stdin: '{"tool_name":"Read","result":"success"}' });
      expect(r.stderr).toBe("");
      expect(r.code).toBe(0);
    }
    const events = streamOf(dir);
    expect(events.map((e) => [e.event_type, e.sequence_num])).toEqual([
      ["session_start", 0],
      ["tool_call", 1],
      ["tool_call", 2],
      ["tool_result", 3],
      ["session_end", 4],
    ]);
    expect(events[0]).toMatchObject({ task_title: "Add auth", executor: "CODEX", source: "emit", data: { prompt_type: "initial", prompt: "do it" } });
    expect(events[2].data.tool_params).toEqual({ file_path: "a.ts" });
    expect(events[4].data).toEqual({ completion_status: "success", total_tokens: 1200 });
  });

  it("fingerprints an error event that comes without one", async () => {
    const cwd = tmp();
    const r = await runCli(["emit", "error", "--log-dir", cwd, "--attempt-id", "a", "--field", "error_message=fatal: not a git repository (or any of the parent directories): .git", "--json"], { cwd });
    expect(r.code).toBe(0);
    const event = JSON.parse(r.stdout);
    expect(event.data).toMatchObject({ error_fingerprint: "git_not_repo", error_category: "git" });
    expect(readFileSync(logPaths(cwd).errors, "utf8")).toContain("git_not_repo");
  });

  it.each([
    [["emit", "nonsense", "--attempt-id", "a"], /^awl: unknown event type "nonsense"/],
    [["emit", "tool_call", "--attempt-id", "a", "--data", "{bad"], /^awl: --data: invalid JSON from the command line/],
    [["emit", "tool_call", "--attempt-id", "a", "--data", "[1]"], /^awl: --data: expected a JSON object/],
    [["emit", "tool_call", "--attempt-id", "a", "--data", "@missing.json"], /^awl: --data @missing\.json: cannot read .*ENOENT/],
    [["emit", "tool_call", "--attempt-id", "a"], /^awl: invalid event: data\.tool_name: /],
    [["emit", "tool_call", "--attempt-id", "", "--field", "tool_name=x"], /^awl: --attempt-id must not be empty/],
    [["emit", "tool_call", "--field", "tool_name=x"], /^awl: required option '--attempt-id <id>' not specified/],
    [["emit", "session_end", "--attempt-id", "a", "--field", "completion_status=completed"], /^awl: invalid event: data\.completion_status: /],
    [["emit", "agent_output", "--attempt-id", "a", "--field", "output=x", "--timestamp", "yesterday"], /^awl: invalid event: timestamp: /],
    [["emit", "agent_output", "--attempt-id", "a", "--field", "noequals"], /^awl: --field "noequals": expected key=value/],
  ])("refuses %j with one line and exit code 2", async (argv, message) => {
    const cwd = tmp();
    const r = await runCli([...argv, "--log-dir", cwd], { cwd });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stderr.trim().split("\n")[0]).toMatch(message);
    expect(readdirSync(cwd)).toEqual([]);
  });

  it("writes no key of a real-looking payload to any file", async () => {
    const cwd = tmp();
    // generated at run time (no key-shaped literal in the source), shaped like real ones
    const f = new FakeSecrets(11);
    const secrets = [
      `sk-ant-api03-${f.b64url(93)}AA`,
      `ghp_${f.alnum(36)}`,
      `AKIA${f.upper32(16)}`,
      `xoxb-${f.digits(12)}-${f.digits(12)}-${f.alnum(24)}`,
    ];
    const payload = {
      tool_name: "Bash",
      tool_params: { command: `curl -H "Authorization: Bearer ${secrets[1]}" https://api.github.com`, env: `ANTHROPIC_API_KEY=${secrets[0]}` },
      aws: secrets[2],
      slack: secrets[3],
    };
    const r = await runCli(["emit", "tool_call", "--log-dir", cwd, "--attempt-id", "leak", "--data", JSON.stringify(payload)], { cwd });
    expect(r.code).toBe(0);
    // A secret as a field's name, not its value.
    const key = `ghp_${f.alnum(36)}`;
    secrets.push(key);
    expect((await runCli(["emit", "tool_call", "--log-dir", cwd, "--attempt-id", "leak", "--field", "tool_name=x", "--field", `${key}=1`], { cwd })).code).toBe(0);
    const all = walk(cwd).map((f) => readFileSync(f, "utf8")).join("\n");
    expect(all).toContain("REDACTED");
    for (const s of secrets) expect(all).not.toContain(s);
  });

  it("does nothing, successfully, when logging is disabled", async () => {
    const cwd = tmp();
    const r = await runCli(["emit", "agent_output", "--log-dir", join(cwd, "logs"), "--attempt-id", "a", "--field", "output=x"], {
      cwd,
      env: { AGENT_WORK_LOGGING_ENABLED: "false" },
    });
    expect(r.code).toBe(0);
    expect(readdirSync(cwd)).toEqual([]);
  });
});

describe("awl outcome", () => {
  it("appends outcome records that merge field by field with the session's own", async () => {
    const cwd = tmp();
    const dir = join(cwd, "logs");
    await runCli(["emit", "session_start", "--log-dir", dir, "--attempt-id", "ve-7", "--task-id", "t-7", "--executor", "CLAUDE", "--model", "opus"], { cwd });
    const r1 = await runCli(["outcome", "--log-dir", dir, "--attempt-id", "ve-7", "--status", "manual_review", "--pr-number", "601", "--test-passed", "false"], { cwd });
    const r2 = await runCli(["outcome", "--log-dir", dir, "--attempt-id", "ve-7", "--status", "completed", "--pr-merged", "--test-passed", "true"], { cwd });
    expect([r1.code, r2.code, r1.stderr + r2.stderr]).toEqual([0, 0, ""]);
    const records = readFileSync(logPaths(dir).metrics, "utf8").trim().split("\n").map((l) => JSON.parse(l) as MetricsRecord);
    expect(records).toHaveLength(2);
    expect(records[0]).toMatchObject({ attempt_id: "ve-7", task_id: "t-7", executor: "CLAUDE", model: "opus" });
    expect(mergeMetricsRecords(records)?.outcome).toEqual({ status: "completed", pr_created: true, pr_number: 601, pr_merged: true, test_passed: true });
  });

  it.each([
    [["--attempt-id", "a"], /^awl: nothing to record/],
    [["--attempt-id", "a", "--status", "success"], /^awl: option '--status <status>' argument 'success' is invalid/],
    [["--attempt-id", "a", "--pr-number", "x"], /^awl: --pr-number "x": expected a whole number >= 1/],
    [["--attempt-id", "a", "--pr-merged", "maybe"], /^awl: --pr-merged "maybe": expected true or false/],
  ])("refuses %j", async (argv, message) => {
    const cwd = tmp();
    const r = await runCli(["outcome", "--log-dir", cwd, ...argv], { cwd });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
  });

  it("a log directory that is a file: one line that names the error once", async () => {
    const file = join(tmp(), "not-a-dir");
    writeFileSync(file, "");
    const r = await runCli(["emit", "agent_output", "--log-dir", file, "--attempt-id", "a", "--data", '{"output":"x"}'], { cwd: tmp() });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^awl: ENOTDIR: not a directory, mkdir '.*'\n$/);
  });
});

function walk(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((d) => (d.isDirectory() ? walk(join(dir, d.name)) : [join(dir, d.name)]));
}
