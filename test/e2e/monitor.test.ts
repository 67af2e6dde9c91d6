import { type ChildProcess, spawn } from "node:child_process";
import { appendFileSync, chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { MonitorStatus } from "../../src/monitor/service.js";
import type { AlertActionRecord } from "../../src/schema/alert.js";
import { logPaths } from "../../src/store/paths.js";
import { AWL_SOURCE, TSX } from "../helpers/awl.js";
import { type FakeBotApi, startFakeBotApi } from "../helpers/fake-bot-api.js";
import { runCli } from "../helpers/io.js";
import { useTmpDir } from "../helpers/tmp.js";

const tmp = useTmpDir("awl-monitor-");
const TOKEN = "4711:monitor-e2e";
const children: ChildProcess[] = [];
let api: FakeBotApi | undefined;
afterEach(async () => {
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
  await api?.close();
  api = undefined;
});

/** The real `awl monitor` in its own process, configured from the environment as a user would. */
function startMonitor(dir: string, apiBase: string) {
  const child = spawn(process.execPath, ["--import", TSX, AWL_SOURCE, "monitor", "--json", "--log-dir", dir], {
    cwd: dir,
    env: {
      PATH: process.env.PATH,
      AWL_TELEGRAM_BOT_TOKEN: TOKEN,
      AWL_TELEGRAM_CHAT_ID: "-1001",
      AWL_TELEGRAM_API_BASE: apiBase,
      AGENT_ERROR_LOOP_THRESHOLD: "3",
      AGENT_WORK_ANALYZER_POLL_INTERVAL_MS: "200",
      AGENT_ANALYTICS_WEEKLY_REPORT: "false",
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  children.push(child);
  let stderr = "";
  let stdout = "";
  child.stderr!.on("data", (d: Buffer) => (stderr += d));
  child.stdout!.on("data", (d: Buffer) => (stdout += d));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once("exit", (code, signal) => resolve({ code, signal })));
  return { child, exited, stderr: () => stderr, statuses: () => stdout.split("\n").filter(Boolean).map((l) => JSON.parse(l) as MonitorStatus) };
}

/** The analyzer is tailing once it has checkpointed its position (it starts at the stream's end). */
async function analyzerReady(dir: string) {
  await expect.poll(() => existsSync(join(dir, ".state", "watch.json")), { timeout: 20_000, interval: 50 }).toBe(true);
}

let seq = 0;
/** Appends a session start and three errors of one fingerprint (an error loop at threshold 3), as an agent's recorder would. */
function errorLoop(dir: string, attempt: string, task: string) {
  const now = Date.now();
  const base = { schema_version: 1, attempt_id: attempt, session_id: `sess-${attempt}`, task_id: task, executor: "claude", model: "sonnet", source: "emit" };
  const line = (event_type: string, ms: number, data: Record<string, unknown>) =>
    JSON.stringify({ ...base, timestamp: new Date(now + ms).toISOString(), event_type, data, elapsed_ms: ms, sequence_num: seq++ });
  const lines = [line("session_start", 0, { prompt: `do ${task}`, prompt_type: "initial" })];
  for (let i = 1; i <= 3; i++) lines.push(line("error", i, { error_message: "git push rejected", error_fingerprint: "git_push_rejected", error_category: "git", error_source: "tool" }));
  appendFileSync(logPaths(dir).stream, `${lines.join("\n")}\n`);
}

function actionRecords(dir: string): AlertActionRecord[] {
  const file = logPaths(dir).alerts;
  if (!existsSync(file)) return [];
  return readFileSync(file, "utf8")
    .split("\n")
    .filter(Boolean)
    .map((l) => JSON.parse(l))
    .filter((r) => r.record_type === "action");
}

const messagesAbout = (task: string) => api!.messages().filter((t) => t.includes(task));

describe("awl monitor (spawned)", () => {
  it("an error loop appended by another process reaches the Bot API as exactly one message; SIGTERM exits 0 promptly with the state saved", { timeout: 60_000 }, async () => {
    const dir = tmp();
    api = await startFakeBotApi({ token: TOKEN });
    const m = startMonitor(dir, api.url);
    await analyzerReady(dir);
    errorLoop(dir, "att-A", "task-A");
    await api.waitFor(1);
    // A second loop afterwards: once its message is in, anything the first could still cause has had its chance.
    errorLoop(dir, "att-B", "task-B");
    await api.waitFor(2);
    const t0 = Date.now();
    m.child.kill("SIGTERM");
    const exit = await m.exited;
    expect(exit, m.stderr()).toEqual({ code: 0, signal: null });
    expect(Date.now() - t0).toBeLessThan(5000);
    expect(messagesAbout("task-A")).toHaveLength(1);
    expect(messagesAbout("task-B")).toHaveLength(1);
    expect(api.received).toHaveLength(2);
    expect(api.received[0]!.body).toMatchObject({ chat_id: "-1001", parse_mode: "HTML" });
    expect(messagesAbout("task-A")[0]).toContain("error_loop");
    // State saved for the next start; the instance claim released.
    for (const f of ["watch.json", "actions.json", "schedule.json"]) expect(existsSync(join(dir, ".state", f)), f).toBe(true);
    expect(existsSync(join(dir, ".state", "monitor.pid"))).toBe(false);
    expect(actionRecords(dir).filter((r) => r.status === "ok").map((r) => r.action)).toEqual(["notify", "notify"]);
    // --json: a status record at start and one at the end, counting what happened.
    const st = m.statuses();
    expect(st[0]).toMatchObject({ type: "status", state: "running", analyzer: "on", channels: ["telegram"], next_report: null });
    expect(st.at(-1)).toMatchObject({ type: "status", state: "stopped", alerts: 2, notifications: { sent: 2, pending: 0, failed: 0 }, last_error: null });
    expect(st.at(-1)!.events).toBe(8); // two sessions: a start and three errors each
    expect(m.stderr()).toBe("");
  });

  it("killed with kill -9 between the alert and the send: after a restart the message is sent exactly once", { timeout: 60_000 }, async () => {
    const dir = tmp();
    // A port with nothing listening yet: the first monitor queues the notification and cannot deliver it.
    const probe = await startFakeBotApi();
    const port = Number(new URL(probe.url).port);
    await probe.close();
    const apiBase = `http://127.0.0.1:${port}`;

    const first = startMonitor(dir, apiBase);
    await analyzerReady(dir);
    errorLoop(dir, "att-K", "task-K");
    const pending = join(dir, ".state", "outbox", "pending");
    await expect.poll(() => (existsSync(pending) ? readdirSync(pending).length : 0), { timeout: 20_000, interval: 50 }).toBe(1);
    first.child.kill("SIGKILL");
    expect((await first.exited).signal).toBe("SIGKILL");

    api = await startFakeBotApi({ token: TOKEN, port });
    const second = startMonitor(dir, apiBase);
    await api.waitFor(1);
    await analyzerReady(dir);
    errorLoop(dir, "att-L", "task-L"); // proves the restarted monitor is live; its message comes after any repeat of K's
    await expect.poll(() => messagesAbout("task-L").length, { timeout: 20_000, interval: 50 }).toBe(1);
    second.child.kill("SIGTERM");
    expect((await second.exited).code, second.stderr()).toBe(0);
    expect(messagesAbout("task-K")).toHaveLength(1);
    expect(actionRecords(dir).filter((r) => r.status === "ok")).toHaveLength(2);
  });

  it("a second monitor on the same log directory refuses to start (two would send every alert twice)", { timeout: 30_000 }, async () => {
    const dir = tmp();
    api = await startFakeBotApi({ token: TOKEN });
    const first = startMonitor(dir, api.url);
    await analyzerReady(dir);
    const second = startMonitor(dir, api.url);
    const exit = await second.exited;
    expect(exit.code).toBe(1);
    expect(second.stderr()).toMatch(/^awl: another awl monitor \(pid \d+ on .+\) is watching this log directory; stop it first\n$/);
    first.child.kill("SIGTERM");
    expect((await first.exited).code).toBe(0);
  });
});

describe("awl monitor on a terminal (in-process)", () => {
  it("prints a readable status line at start and at the end, and a stop line naming the signal", { timeout: 30_000 }, async () => {
    const dir = tmp();
    const ctl = new AbortController();
    const r = await runCli(["monitor", "--log-dir", dir], {
      env: { AGENT_ANALYTICS_WEEKLY_REPORT: "true" },
      cwd: dir,
      tty: true,
      signal: ctl.signal,
      onStdout: (out) => {
        if (out.includes("running")) ctl.abort("SIGTERM");
      },
    });
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split("\n");
    expect(lines[0]).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d running · analyzer on \(0 events\) · 0 alerts · notifications 0 sent, 0 pending, 0 failed · next report \d{4}-\d\d-\d\d \d\d:00 · last rotation none yet$/);
    expect(lines.at(-1)).toMatch(/ stopped · /);
    expect(r.stderr).toMatch(/^awl: monitor: watching .+ \(stop with Ctrl-C\)\nawl: monitor: stopped \(SIGTERM\): .+ stopped · /);
  });
});

describe("awl monitor --check", () => {
  it("a complete configuration: exit 0, what would run, never the token or secret", async () => {
    const dir = tmp();
    const bin = join(dir, "bin");
    mkdirSync(bin);
    writeFileSync(join(bin, "page-me"), "#!/bin/sh\nexit 0\n");
    chmodSync(join(bin, "page-me"), 0o755);
    writeFileSync(join(dir, "awl.config.json"), JSON.stringify({ hooks: { onAlert: { command: ["page-me", "--urgent"] } }, notify: { routes: [{ channel: "telegram", minSeverity: "error" }, { channel: "webhook" }] } }));
    const env = { PATH: `${bin}:/usr/bin:/bin`, AGENT_WORK_LOG_DIR: join(dir, "logs"), AWL_TELEGRAM_BOT_TOKEN: "123:SECRET-TOKEN", AWL_TELEGRAM_CHAT_ID: "-100", AWL_WEBHOOK_URL: "https://hooks.example.com/awl?key=QUERYSECRET", AWL_WEBHOOK_SECRET: "HMACSECRET" };
    const r = await runCli(["monitor", "--check"], { env, cwd: dir });
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("configuration ok");
    expect(r.stdout).toMatch(/telegram\s+chat -100, token set/);
    expect(r.stdout).toMatch(/webhook\s+https:\/\/hooks\.example\.com\/awl \(credentials\/query hidden\), signed/);
    expect(r.stdout).toMatch(/routes\s+telegram ← error\+; webhook ← warning\+; cooldown 30 min/);
    expect(r.stdout).toContain(`on_alert runs ${join(bin, "page-me")} (1 argument)`);
    expect(r.stdout).toMatch(/weekly report\s+Sunday 09:00 local, next \d{4}-/);
    for (const secret of ["SECRET-TOKEN", "QUERYSECRET", "HMACSECRET"]) expect(r.stdout + r.stderr).not.toContain(secret);
    const j = await runCli(["monitor", "--check", "--json"], { env, cwd: dir });
    expect(JSON.parse(j.stdout)).toMatchObject({ ok: true, problems: [] });
  });

  it.each([
    ["half a Telegram setup", { AWL_TELEGRAM_BOT_TOKEN: "1:tok" }, {}, "Telegram: the bot token is set but no chat id (AWL_TELEGRAM_CHAT_ID)"],
    ["a chat id without a token", { AWL_TELEGRAM_CHAT_ID: "5" }, {}, "Telegram: the chat id is set but no bot token (AWL_TELEGRAM_BOT_TOKEN)"],
    ["a webhook secret without a URL", { AWL_WEBHOOK_SECRET: "s" }, {}, "webhook: a secret is set but no URL (AWL_WEBHOOK_URL)"],
    ["a webhook URL that is not HTTP", {}, { notify: { webhook: { url: "ftp://files.example.com/drop" } } }, "webhook: the URL must be http:// or https:// (got ftp://files.example.com/drop)"],
    ["a route to a channel that is not configured", {}, { notify: { routes: [{ channel: "webhook" }] } }, "notify.routes: a route to webhook, which is not configured"],
    ["a hook that is not on PATH", {}, { hooks: { onAlert: { command: ["no-such-pager-xyz"] } } }, "hooks.onAlert: no-such-pager-xyz is not found on PATH"],
    ["a hook that is not executable", {}, { hooks: { onAlert: { command: ["./notes.txt"] } } }, "hooks.onAlert: ./notes.txt is not an executable file"],
    ["a stuck check coarser than the threshold", { AGENT_STUCK_MINUTES: "1", AGENT_WORK_ANALYZER_POLL_INTERVAL_MS: "120000" }, {}, "analyzer.pollIntervalMs (120000 ms) is longer than AGENT_STUCK_MINUTES (1 min): stuck sessions would be seen late"],
  ])("%s: exit 2 with one line naming it", async (_name, envOver, file, problem) => {
    const dir = tmp();
    writeFileSync(join(dir, "notes.txt"), "not a program");
    writeFileSync(join(dir, "awl.config.json"), JSON.stringify(file));
    const r = await runCli(["monitor", "--check"], { env: { PATH: "/usr/bin:/bin", AGENT_WORK_LOG_DIR: join(dir, "logs"), ...envOver }, cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`awl: check: ${problem}\n`);
    expect(r.stderr + r.stdout).not.toContain("1:tok");
  });

  it("an empty notify.routes is shown as sending no alert (it sends none), not as the default", async () => {
    const dir = tmp();
    writeFileSync(join(dir, "awl.config.json"), JSON.stringify({ notify: { webhook: { url: "http://127.0.0.1:9/hook" }, routes: [] } }));
    const r = await runCli(["monitor", "--check", "--json"], { env: { PATH: "/usr/bin:/bin", AGENT_WORK_LOG_DIR: join(dir, "logs") }, cwd: dir });
    expect(r.code).toBe(0);
    const plan = (JSON.parse(r.stdout) as { plan: { part: string; detail: string }[] }).plan;
    expect(plan.find((p) => p.part === "routes")?.detail).toMatch(/^none: no alert is sent \(notify\.routes is empty\);/);
  });

  it("a log file that is a directory exits 2 naming it (awl watch and the monitor could not read it)", async () => {
    const dir = tmp();
    mkdirSync(join(dir, "logs", "agent-alerts.jsonl"), { recursive: true });
    const r = await runCli(["monitor", "--check"], { env: { PATH: "/usr/bin:/bin", AGENT_WORK_LOG_DIR: join(dir, "logs") }, cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`awl: check: ${join(dir, "logs", "agent-alerts.jsonl")} is not a file\n`);
  });

  it("a log directory that cannot be written, and a config that does not load, exit 2", async () => {
    const dir = tmp();
    writeFileSync(join(dir, "file"), "");
    const r = await runCli(["monitor", "--check"], { env: { AGENT_WORK_LOG_DIR: join(dir, "file", "logs") }, cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^awl: check: log directory .*file\/logs is not writable \(ENOTDIR\)\n$/);
    const bad = await runCli(["monitor", "--check"], { env: { AWL_NOTIFY_MAX_AGE_MINUTES: "soon" }, cwd: dir });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^awl: AWL_NOTIFY_MAX_AGE_MINUTES="soon" \(environment\): expected a whole number >= 0\n$/);
  });
});
