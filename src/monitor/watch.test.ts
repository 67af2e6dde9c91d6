import { spawn } from "node:child_process";
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { importPaths } from "../capture/import.js";
import { loadConfig } from "../config/index.js";
import type { Alert } from "../schema/index.js";
import { TSX } from "../../test/helpers/awl.js";
import { syntheticLines } from "../../test/helpers/synthetic.js";
import { useTmpDir } from "../../test/helpers/tmp.js";
import { readAlertRecords } from "./alerts-log.js";
import { watch } from "./watch.js";

const tmp = useTmpDir("awl-watch-");
const FIXTURES = join(import.meta.dirname, "..", "..", "test", "fixtures", "real");
const WRITER = join(import.meta.dirname, "..", "..", "test", "e2e", "workers", "stream-writer.ts");

const configFor = (logDir: string) => loadConfig({ flags: { logDir }, env: {}, cwd: logDir });
/** What an alert says, without the wall-clock time its line was written. */
const gist = (a: Alert) => {
  const { timestamp: _t, ...rest } = a;
  return rest;
};

async function replay(logDir: string, extra: Partial<Parameters<typeof watch>[0]> = {}) {
  const alerts: Alert[] = [];
  const summary = await watch({ config: configFor(logDir), replay: true, once: true, onAlert: (a) => void alerts.push(a), ...extra });
  return { alerts, summary };
}

describe("real transcripts (test/fixtures/real, from ../shared/fixtures/real)", () => {
  // Each file alone is a whole transcript; stdout + session together is one session.
  const cases: [string, string[], [string, string | undefined][]][] = [
    ["claude/error_loop", ["session"], [["error_loop", "git_remote_not_found"]]],
    ["claude/error_loop", ["stdout"], [["error_loop", "git_remote_not_found"]]],
    ["claude/error_loop", ["stdout", "session"], [["error_loop", "git_remote_not_found"]]],
    ["codex/error_loop", ["session"], [["error_loop", "git_remote_not_found"]]],
    ["codex/error_loop", ["stdout"], [["error_loop", "git_remote_not_found"]]],
    ["gemini/error_loop", ["session"], [["error_loop", "git_remote_not_found"]]],
    ["gemini/error_loop", ["stdout", "session"], [["error_loop", "git_remote_not_found"]]],
    ["claude/success", ["stdout", "session"], []],
    ["claude_partial/success", ["stdout", "session"], []],
    ["codex/success", ["stdout", "session"], []],
    ["gemini/success", ["stdout", "session"], []],
    ["claude/api_error", ["stdout", "session"], [["provider_errors", "provider_overloaded"]]],
    ["codex/api_error", ["stdout"], [["provider_errors", "provider_overloaded"]]],
    // Gemini CLI reports its failing provider once, at the end: not a repeated failure.
    ["gemini/api_error", ["stdout", "session"], []],
  ];
  it.each(cases)("%s (%j)", async (name, parts, expected) => {
    const logDir = tmp();
    const config = configFor(logDir);
    await importPaths({ paths: parts.map((p) => join(FIXTURES, `${name}.${p}.jsonl`)), config });
    const { alerts } = await replay(logDir);
    expect(alerts.map((a) => [a.type, a.error_fingerprint])).toEqual(expected);
    const onDisk = await readAlertRecords(logDir);
    expect(onDisk.records.map((r) => r.alert_id)).toEqual(alerts.map((a) => a.alert_id));
  });
});

function writeInput(dir: string, events: number): string {
  const file = join(dir, "input.jsonl");
  writeFileSync(file, `${[...syntheticLines({ events, concurrent: 12, stepMs: 20, startMs: Date.now() })].join("\n")}\n`);
  return file;
}

function runWriter(logDir: string, input: string, perSec: number, rotateEvery: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", TSX, WRITER, logDir, input, String(perSec), String(rotateEvery)], { stdio: ["ignore", "pipe", "inherit"] });
    child.once("error", reject);
    child.once("close", (code) => (code === 0 ? resolve() : reject(new Error(`writer exited ${code}`))));
  });
}

describe("live equals replay", () => {
  it("the same events written live by another process, across rotations and gzip, give the replay's alerts", async () => {
    const logDir = tmp();
    mkdirSync(logDir, { recursive: true });
    const N = 4000;
    const input = writeInput(tmp(), N);
    writeFileSync(join(logDir, "agent-work-stream.jsonl"), "");
    const controller = new AbortController();
    const live: Alert[] = [];
    let writerDone = false;
    const watching = watch({
      config: configFor(logDir),
      signal: controller.signal,
      onAlert: (a) => void live.push(a),
      onCaughtUp: (s) => {
        if (writerDone && s.events >= N) controller.abort();
      },
    });
    await runWriter(logDir, input, 4000, 900);
    writerDone = true;
    // Fails with the counts rather than a timeout if the watcher never catches up.
    const giveUp = setTimeout(() => controller.abort(), 20_000);
    const liveSummary = await watching;
    clearTimeout(giveUp);
    expect(liveSummary).toMatchObject({ events: N, skipped: { invalid_json: 0, invalid_schema: 0 } });
    expect(readdirSync(join(logDir, "archive")).filter((f) => f.endsWith(".gz")).length).toBeGreaterThan(0);

    const { alerts, summary } = await replay(logDir, { dryRun: true });
    expect(summary.events).toBe(N);
    expect(alerts.length).toBeGreaterThan(10);
    expect(new Set(alerts.map((a) => a.type))).toEqual(new Set(["error_loop", "tool_loop", "provider_errors", "failed_session_high_errors"]));
    expect(live.map(gist)).toEqual(alerts.map(gist));
    const ids = (await readAlertRecords(logDir)).records.map((r) => r.alert_id);
    expect(ids).toEqual(alerts.map((a) => a.alert_id));
  }, 60_000);
});

describe("resume", () => {
  it("a restart continues where the last run stopped: nothing repeated, nothing missed", async () => {
    const logDir = tmp();
    mkdirSync(logDir, { recursive: true });
    const lines = [...syntheticLines({ events: 3000, concurrent: 8 })];
    const stream = join(logDir, "agent-work-stream.jsonl");
    writeFileSync(stream, `${lines.slice(0, 1000).join("\n")}\n`);
    const first = await watch({ config: configFor(logDir), replay: true, once: true });
    writeFileSync(stream, `${lines.join("\n")}\n${lines[0]!.slice(0, 40)}`); // more lines and a partial one
    const second = await watch({ config: configFor(logDir), once: true });
    expect(second.resumed).toBe("saved");
    expect(first.events + second.events).toBe(3000);
    const { alerts } = await replay(logDir, { dryRun: true });
    const ids = (await readAlertRecords(logDir)).records.map((r) => r.alert_id);
    expect(ids).toEqual(alerts.map((a) => a.alert_id));
    expect(new Set(ids).size).toBe(ids.length);
  });

  it("killed mid-write of an alert after the last checkpoint: the restart rewrites that alert on a line of its own, every alert once", async () => {
    const logDir = tmp();
    const lines = [...syntheticLines({ events: 3000, concurrent: 8 })];
    const stream = join(logDir, "agent-work-stream.jsonl");
    writeFileSync(stream, `${lines.slice(0, 1000).join("\n")}\n`);
    await watch({ config: configFor(logDir), replay: true, once: true });
    const statePath = join(logDir, ".state", "watch.json");
    const checkpoint = readFileSync(statePath, "utf8");
    const before = readFileSync(join(logDir, "agent-alerts.jsonl"), "utf8");
    writeFileSync(stream, `${lines.join("\n")}\n`);
    await watch({ config: configFor(logDir), once: true });
    const after = readFileSync(join(logDir, "agent-alerts.jsonl"), "utf8");
    expect(after.length).toBeGreaterThan(before.length);
    // The crash: the watcher wrote the first alert past its checkpoint halfway, then died.
    writeFileSync(join(logDir, "agent-alerts.jsonl"), after.slice(0, before.length + 60));
    writeFileSync(statePath, checkpoint);
    const restarted = await watch({ config: configFor(logDir), once: true });
    expect(restarted.resumed).toBe("saved");
    const { alerts } = await replay(logDir, { dryRun: true });
    const { records, stats } = await readAlertRecords(logDir);
    expect(records.map((r) => r.alert_id)).toEqual(alerts.map((a) => a.alert_id));
    expect(stats.skipped.invalid_json).toBe(1);
  });

  it("after a truncation in place it reads the new content from the start, and a rotation while stopped from the archive", async () => {
    const logDir = tmp();
    const stream = join(logDir, "agent-work-stream.jsonl");
    mkdirSync(join(logDir, "archive"), { recursive: true });
    const lines = [...syntheticLines({ events: 900, concurrent: 5 })];
    writeFileSync(stream, `${lines.slice(0, 300).join("\n")}\n`);
    expect((await watch({ config: configFor(logDir), replay: true, once: true })).events).toBe(300);
    // Rotated while stopped: the rest of the old file went to the archive, a new file started.
    writeFileSync(stream, `${lines.slice(0, 400).join("\n")}\n`, { flag: "w" }); // same inode, more lines
    const { renameSync } = await import("node:fs");
    renameSync(stream, join(logDir, "archive", "agent-work-stream.2026-11-25T06-00-00-000Z.jsonl"));
    writeFileSync(stream, `${lines.slice(400, 500).join("\n")}\n`);
    expect((await watch({ config: configFor(logDir), once: true })).events).toBe(200);
    // Truncated in place and refilled past the old offset: a byte offset is not kept across it.
    writeFileSync(stream, `${lines.slice(500, 900).join("\n")}\n`, { flag: "w" });
    const third = await watch({ config: configFor(logDir), once: true });
    expect(third.events).toBe(400);
  });

  it("counts lines without an attempt_id and invalid lines, never alerting on them", async () => {
    const logDir = tmp();
    const bad = JSON.stringify({ timestamp: "2026-11-25T06:00:00Z", event_type: "error", data: { error_message: "x", error_fingerprint: "x" }, sequence_num: 0, elapsed_ms: 0 });
    writeFileSync(join(logDir, "agent-work-stream.jsonl"), `${Array(20).fill(bad).join("\n")}\nnot json\n{"attempt_id":"a","event_type":"nope"}\n`);
    const { alerts, summary } = await replay(logDir);
    expect(alerts).toEqual([]);
    expect(summary).toMatchObject({ events: 0, withoutAttempt: 20, skipped: { invalid_json: 1, invalid_schema: 1 } });
    expect(readFileSync(join(logDir, ".state", "watch.json"), "utf8")).toContain('"position"');
  });
});

describe("stuck on the wall clock", () => {
  it("fires while following with no event arriving at all", async () => {
    const logDir = tmp();
    const t0 = Date.parse("2026-11-25T06:00:00.000Z");
    const ev = (seq: number, type: string, data: object, at: number) =>
      JSON.stringify({ schema_version: 1, timestamp: new Date(at).toISOString(), attempt_id: "quiet", event_type: type, data, elapsed_ms: at - t0, sequence_num: seq });
    writeFileSync(join(logDir, "agent-work-stream.jsonl"), `${ev(0, "session_start", {}, t0)}\n${ev(1, "agent_output", { output: "thinking" }, t0 + 1000)}\n`);
    let clock = t0 + 2000;
    const controller = new AbortController();
    const live: Alert[] = [];
    const config = { ...configFor(logDir), analyzer: { ...configFor(logDir).analyzer, pollIntervalMs: 10 } };
    const watching = watch({
      config,
      replay: true,
      signal: controller.signal,
      now: () => clock,
      onAlert: (a) => {
        live.push(a);
        controller.abort();
      },
      onCaughtUp: () => {
        clock += 60_000; // a minute of silence per poll
      },
    });
    await watching;
    expect(live.map((a) => [a.type, a.attempt_id, a.trigger_sequence_num])).toEqual([["stuck", "quiet", 1]]);
    expect(clock - t0).toBeGreaterThanOrEqual(15 * 60_000);
  });
});

describe("truncation in place while following", () => {
  it("a file truncated and refilled past the old offset is read from its start: nothing lost, nothing repeated", async () => {
    const logDir = tmp();
    const stream = join(logDir, "agent-work-stream.jsonl");
    const lines = [...syntheticLines({ events: 700, concurrent: 4, startMs: Date.now() })];
    writeFileSync(stream, "");
    const controller = new AbortController();
    let phase = 0;
    const summary = await watch({
      config: { ...configFor(logDir), analyzer: { ...configFor(logDir).analyzer, pollIntervalMs: 10 } },
      signal: controller.signal,
      onCaughtUp: (s) => {
        if (phase === 0) {
          phase = 1;
          writeFileSync(stream, `${lines.slice(0, 200).join("\n")}\n`, { flag: "a" });
        } else if (phase === 1 && s.events === 200) {
          phase = 2;
          // The seed's `> file`, then more than before: the old offset lies inside the new content.
          writeFileSync(stream, `${lines.slice(200, 700).join("\n")}\n`, { flag: "w" });
        } else if (phase === 2 && s.events >= 700) {
          controller.abort();
        }
      },
    });
    expect(summary.events).toBe(700);
  });
});

describe("one watcher per log directory", () => {
  it("refuses a second watcher while one runs, and takes over the claim of a dead one", async () => {
    const logDir = tmp();
    writeFileSync(join(logDir, "agent-work-stream.jsonl"), "");
    const controller = new AbortController();
    let started!: () => void;
    const running = new Promise<void>((r) => (started = r));
    const first = watch({ config: configFor(logDir), signal: controller.signal, onCaughtUp: () => started() });
    await running;
    await expect(watch({ config: configFor(logDir), once: true })).rejects.toThrow(/another awl watch \(pid \d+/);
    expect((await watch({ config: configFor(logDir), once: true, dryRun: true })).events).toBe(0);
    controller.abort();
    await first;
    // A claim left by a killed watcher (a pid that is not running) does not block.
    const { hostname } = await import("node:os");
    writeFileSync(join(logDir, ".state", "watch.pid"), `999999999 ${hostname()}`);
    expect((await watch({ config: configFor(logDir), once: true })).resumed).toBe("saved");
  });
});
