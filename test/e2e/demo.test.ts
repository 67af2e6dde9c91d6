import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { demoFiles } from "../../src/cli/demo/transcripts.js";
import { AWL_SOURCE, awl, TSX } from "../helpers/awl.js";
import { useTmpDir } from "../helpers/tmp.js";

const ROOT = join(import.meta.dirname, "..", "..");
const tmp = useTmpDir("awl-demo-e2e-");

interface DemoJson {
  log_dir: string;
  sessions: number;
  events: number;
  executors: { executor: string; sessions: number; succeeded: number; finished: number; tokens: number; cost_usd: number }[];
  alerts: { type: string; executor: string; attempt_id: string; error_fingerprint?: string; recommendation: string; last_seen: string }[];
  top_error: { fingerprint: string; count: number } | null;
  times: { from: string; to: string };
  url: string | null;
}

/** What the bundled transcripts hold: three sessions per CLI, one loop each, two provider-error bursts. */
function expectDemoData(d: DemoJson, started: number) {
  expect(d.sessions).toBe(9);
  expect(d.executors.map((e) => [e.executor, e.sessions, e.succeeded, e.finished])).toEqual([
    ["CLAUDE", 3, 2, 3],
    ["CODEX", 3, 2, 3],
    ["GEMINI", 3, 3, 3],
  ]);
  for (const e of d.executors) {
    expect(e.tokens).toBeGreaterThan(10_000);
    expect(e.cost_usd).toBeGreaterThan(0);
  }
  const loops = d.alerts.filter((a) => a.type === "error_loop");
  expect(loops.map((a) => a.executor).sort()).toEqual(["CLAUDE", "CODEX", "GEMINI"]);
  for (const a of loops) {
    expect(a.error_fingerprint).toBe("git_remote_not_found");
    expect(a.recommendation).toBe("trigger_ai_autofix");
  }
  expect(d.alerts.filter((a) => a.type === "provider_errors").map((a) => a.executor).sort()).toEqual(["CLAUDE", "CODEX"]);
  expect(d.alerts).toHaveLength(5);
  expect(d.top_error?.fingerprint).toBe("provider_overloaded");
  // Shifted to look recent: the last session ends about now, the first within three days.
  const latest = Math.max(...d.alerts.map((a) => Date.parse(a.last_seen)));
  expect(latest).toBeGreaterThan(started - 5 * 60_000);
  expect(latest).toBeLessThanOrEqual(Date.now());
  expect(Date.parse(d.times.from)).toBeGreaterThan(started - 3 * 86_400_000);
}

describe("awl demo", () => {
  it("records the bundled sessions into a fresh directory, replays the analyzer and prints what it found (--no-serve --json)", async () => {
    const logDir = join(tmp(), "demo-logs");
    const started = Date.now();
    const r = await awl(["demo", "--no-serve", "--json", "--log-dir", logDir]);
    expect(r.code, r.stderr.toString()).toBe(0);
    const d = JSON.parse(r.stdout.toString()) as DemoJson;
    expect(d.log_dir).toBe(logDir);
    expect(d.url).toBeNull();
    expectDemoData(d, started);
    // The alerts are on file (the dashboard reads them) and `awl sessions` sees the history.
    const alertLines = readFileSync(join(logDir, "agent-alerts.jsonl"), "utf8").trim().split("\n");
    expect(alertLines).toHaveLength(5);
    const sessions = await awl(["sessions", "--json", "--log-dir", logDir]);
    expect(JSON.parse(sessions.stdout.toString())).toHaveLength(9);
    // `--days 1` sees the recent loops: the shifted times are what analytics filters on.
    const recent = await awl(["analyze", "executors", "--days", "1", "--json", "--log-dir", logDir]);
    expect(recent.code, recent.stderr.toString()).toBe(0);
    const rows = (JSON.parse(recent.stdout.toString()) as { executors: { executor: string; sessions: number }[] }).executors;
    expect(rows.reduce((n, e) => n + e.sessions, 0)).toBe(4);
  }, 60_000);

  it("makes a new temp directory by default and says where, in words", async () => {
    const scratch = tmp();
    const r = await awl(["demo", "--no-serve"], { env: { ...process.env, TMPDIR: scratch, AGENT_WORK_LOG_DIR: join(scratch, "real-logs") } });
    expect(r.code, r.stderr.toString()).toBe(0);
    const out = r.stdout.toString();
    const dir = readdirSync(scratch).filter((n) => n.startsWith("awl-demo-"));
    expect(dir).toHaveLength(1); // the staging copies are gone
    expect(out).toContain(`recorded into ${join(scratch, dir[0]!)}`);
    expect(out).toMatch(/CLAUDE\s+3\s+2\/3/);
    expect(out).toMatch(/error error_loop claude-\S+ \[git_remote_not_found\].*→ trigger_ai_autofix/);
    expect(out).toContain("Top error cluster: provider_overloaded");
    // $AGENT_WORK_LOG_DIR (a user's real logs) is never written.
    expect(existsSync(join(scratch, "real-logs"))).toBe(false);
  }, 60_000);

  it("refuses a log directory that already holds something", async () => {
    const dir = tmp();
    writeFileSync(join(dir, "agent-work-stream.jsonl"), "");
    const r = await awl(["demo", "--no-serve", "--log-dir", dir]);
    expect(r.code).toBe(2);
    expect(r.stderr.toString()).toMatch(/is not empty: the demo writes only into a new or empty directory/);
    expect(readdirSync(dir)).toEqual(["agent-work-stream.jsonl"]);
  });

  it("serves the dashboard API on the demo data until SIGTERM", async () => {
    const logDir = join(tmp(), "served");
    mkdirSync(logDir);
    const child = spawn(process.execPath, ["--import", TSX, AWL_SOURCE, "demo", "--port", "0", "--json", "--log-dir", logDir], { stdio: ["ignore", "pipe", "pipe"] });
    try {
      const d = await firstLine(child);
      expect(d.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
      const health = (await (await fetch(`${d.url}api/health`)).json()) as { status: string; sessions: number; log_dir: string; analytics: string };
      expect(health).toMatchObject({ status: "ok", sessions: 9, log_dir: logDir, analytics: "configured" });
      const sessions = (await (await fetch(`${d.url}api/sessions`)).json()) as { total: number; sessions: { attempt_id: string; alerts: number }[] };
      expect(sessions.total).toBe(9);
      const loop = d.alerts.find((a) => a.type === "error_loop" && a.executor === "CLAUDE")!;
      expect(sessions.sessions.find((s) => s.attempt_id === loop.attempt_id)?.alerts).toBe(1);
      const ex = (await (await fetch(`${d.url}api/analytics/executors`)).json()) as { executors: { executor: string; sessions: number }[] };
      expect(ex.executors.map((e) => [e.executor, e.sessions])).toEqual([
        ["CLAUDE", 3],
        ["CODEX", 3],
        ["GEMINI", 3],
      ]);
      const alerts = (await (await fetch(`${d.url}api/alerts`)).json()) as { alerts: { alert_id: string }[] };
      expect(alerts.alerts).toHaveLength(5);
    } finally {
      const code = await new Promise<number | null>((resolve) => {
        if (child.exitCode !== null) resolve(child.exitCode);
        child.once("exit", (c) => resolve(c));
        child.kill("SIGTERM");
      });
      expect(code).toBe(0);
    }
  }, 60_000);

  it("says where its data is when the port is taken", async () => {
    const { createServer } = await import("node:net");
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, "127.0.0.1", resolve));
    const port = (blocker.address() as { port: number }).port;
    try {
      const logDir = join(tmp(), "busy");
      const r = await awl(["demo", "--port", String(port), "--log-dir", logDir]);
      expect(r.code).toBe(2);
      expect(r.stderr.toString()).toContain(`port ${port} on 127.0.0.1 is in use`);
      expect(r.stderr.toString()).toContain(`the demo's data stays in ${logDir}`);
      expect(existsSync(join(logDir, "agent-alerts.jsonl"))).toBe(true);
    } finally {
      blocker.close();
    }
  }, 60_000);

  it("ships every file it needs in the npm package", () => {
    const r = spawnSync("npm", ["pack", "--dry-run", "--json", "--ignore-scripts"], { cwd: ROOT, encoding: "utf8" });
    expect(r.status, r.stderr).toBe(0);
    const packed = new Set((JSON.parse(r.stdout) as { files: { path: string }[] }[])[0]!.files.map((f) => f.path));
    const needed = [...demoFiles(), "demo/transcripts/SOURCES.md"];
    expect(needed.length).toBe(19);
    expect(needed.filter((f) => !packed.has(f))).toEqual([]);
    for (const f of demoFiles()) expect(existsSync(join(ROOT, f)), f).toBe(true);
  }, 60_000);
});

function firstLine(child: ChildProcess): Promise<DemoJson> {
  return new Promise((resolve, reject) => {
    let out = "";
    let err = "";
    child.stderr!.on("data", (d: Buffer) => {
      err += d.toString();
    });
    child.stdout!.on("data", (d: Buffer) => {
      out += d.toString();
      const nl = out.indexOf("\n");
      if (nl !== -1) resolve(JSON.parse(out.slice(0, nl)) as DemoJson);
    });
    child.once("exit", (code) => reject(new Error(`awl demo exited ${code} before serving: ${err}`)));
  });
}
