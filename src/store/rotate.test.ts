import { existsSync, mkdirSync, readdirSync, readFileSync, utimesSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { runCli } from "../../test/helpers/io.js";
import { useTmpDir } from "../../test/helpers/tmp.js";
import { type AwlConfig, loadConfig } from "../config/index.js";
import { type MetricsRecord, mergeMetricsRecords } from "../schema/index.js";
import { logPaths, sessionFile } from "./paths.js";
import { acceptMetrics, forEachEvent, readRecords } from "./reader.js";
import { applyRetention } from "./retention.js";
import { archiveName, historyFiles, rotateLogs, rotationDue, utcStamp } from "./rotate.js";
import { LogWriter } from "./writer.js";

const tmp = useTmpDir();
const NOW = Date.parse("2026-11-25T12:00:00.000Z");

function configIn(dir: string, over: (c: AwlConfig) => void = () => undefined): AwlConfig {
  const c = loadConfig({ env: { AGENT_WORK_LOG_DIR: dir }, cwd: dir });
  c.rotation.gzipGraceMs = 0;
  over(c);
  return c;
}

async function readHistory(dir: string, stem: string): Promise<{ key: string; seq: number }[]> {
  const out: { key: string; seq: number }[] = [];
  for (const f of historyFiles(logPaths(dir), stem)) await forEachEvent(f.path, (e) => out.push({ key: `${e.attempt_id}#${e.sequence_num}`, seq: e.sequence_num }));
  return out;
}

function write(w: LogWriter, n: number, attempt = "a1", ts?: string) {
  for (let i = 0; i < n; i++)
    w.append(
      i % 3 === 0
        ? { attempt_id: attempt, event_type: "error", timestamp: ts, data: { error_message: `e${i}` } }
        : { attempt_id: attempt, event_type: "tool_call", timestamp: ts, data: { tool_name: "Bash" } },
    );
}

describe("rotationDue", () => {
  it.each([
    ["empty file: never", 0, undefined, false, undefined],
    ["small and young: no", 100, "2026-11-25T11:00:00.000Z", false, undefined],
    ["forced", 100, "2026-11-25T11:00:00.000Z", true, "forced"],
    ["first line older than maxAgeHours (24)", 100, "2026-11-24T11:59:59.000Z", false, "age"],
    ["exactly the age", 100, "2026-11-24T12:00:00.000Z", false, "age"],
    ["at the size limit (1 MB)", 1024 * 1024, "2026-11-25T11:00:00.000Z", false, "size"],
  ] as const)("%s", (_name, size, firstTs, force, expected) => {
    const dir = tmp();
    const file = join(dir, "x.jsonl");
    if (size > 0) {
      const first = `${JSON.stringify({ timestamp: firstTs })}\n`;
      writeFileSync(file, first + "y".repeat(Math.max(0, size - first.length - 1)) + (size > first.length ? "\n" : ""));
    }
    const c = configIn(dir, (c) => (c.rotation.maxSizeMb = 1));
    expect(rotationDue(file, c, NOW, force)).toBe(expected);
  });
});

describe("rotateLogs", () => {
  it("renames, compresses after the grace, and the history reads every event once, in order; the writer reopens", async () => {
    const dir = tmp();
    const c = configIn(dir);
    const w = new LogWriter({ logDir: dir, leaseMs: 0 });
    write(w, 30);
    const r1 = await rotateLogs(c, { force: true, now: NOW });
    expect(r1.rotated.map((r) => r.log)).toEqual(["stream", "errors"]); // no alerts file yet
    expect(r1.compressed.map((x) => x.to.endsWith(".jsonl.gz"))).toEqual([true, true]);
    write(w, 30);
    const r2 = await rotateLogs(c, { force: true, now: NOW }); // same millisecond: -1
    expect(r2.rotated[0]!.to).toMatch(/agent-work-stream\.2026-11-25T12-00-00-000Z-1\.jsonl$/);
    write(w, 30);
    w.close();
    const events = await readHistory(dir, "agent-work-stream");
    expect(events.map((e) => e.seq)).toEqual([...Array(90).keys()]);
    const errors = await readHistory(dir, "agent-errors");
    expect(errors.map((e) => e.seq)).toEqual([...Array(90).keys()].filter((i) => i % 3 === 0));
    const files = historyFiles(logPaths(dir), "agent-work-stream").map((f) => f.path.slice(dir.length + 1));
    expect(files).toEqual([
      "archive/agent-work-stream.2026-11-25T12-00-00-000Z.jsonl.gz",
      "archive/agent-work-stream.2026-11-25T12-00-00-000Z-1.jsonl.gz",
      "agent-work-stream.jsonl",
    ]);
  });

  it("leaves a file that was written within the grace period plain, and compresses it on a later call", async () => {
    const dir = tmp();
    const c = configIn(dir, (c) => (c.rotation.gzipGraceMs = 60_000));
    const w = new LogWriter({ logDir: dir });
    write(w, 5);
    w.close();
    const r = await rotateLogs(c, { force: true, now: NOW });
    expect(r.compressed).toEqual([]);
    expect(r.waiting).toHaveLength(2);
    for (const f of r.waiting) utimesSync(f, new Date(Date.now() - 120_000), new Date(Date.now() - 120_000));
    const later = await rotateLogs(c, { now: NOW });
    expect(later.compressed).toHaveLength(2);
    expect(await readHistory(dir, "agent-work-stream")).toHaveLength(5);
  });

  it("reads the plain file, not the .gz, while both exist; ignores temp files", async () => {
    const dir = tmp();
    const p = logPaths(dir);
    mkdirSync(p.archive, { recursive: true });
    const line = (seq: number) => `${JSON.stringify({ schema_version: 1, timestamp: "2026-11-25T10:00:00.000Z", attempt_id: "a", event_type: "tool_call", data: { tool_name: "Bash" }, sequence_num: seq, elapsed_ms: 0 })}\n`;
    const plain = join(p.archive, "agent-work-stream.2026-11-20T00-00-00-000Z.jsonl");
    writeFileSync(plain, line(0) + line(1));
    writeFileSync(`${plain}.gz`, gzipSync(line(0))); // the compression step, caught between its renames
    writeFileSync(`${plain}.gz.123.tmp`, "garbage");
    writeFileSync(join(p.archive, "agent-work-stream.2026-11-19T00-00-00-000Z.jsonl.gz"), gzipSync(line(5)));
    const files = historyFiles(p, "agent-work-stream");
    expect(files.map((f) => f.path)).toEqual([join(p.archive, "agent-work-stream.2026-11-19T00-00-00-000Z.jsonl.gz"), plain]);
    expect((await readHistory(dir, "agent-work-stream")).map((e) => e.seq)).toEqual([5, 0, 1]);
  });

  it("names never collide and sort by date", () => {
    const dir = tmp();
    const p = logPaths(dir);
    mkdirSync(p.archive, { recursive: true });
    expect(utcStamp(NOW)).toBe("2026-11-25T12-00-00-000Z");
    const a = archiveName(p, "agent-errors", NOW);
    writeFileSync(`${a}.gz`, "");
    const b = archiveName(p, "agent-errors", NOW);
    expect(b).toMatch(/-000Z-1\.jsonl$/);
  });

  it("dry run changes nothing", async () => {
    const dir = tmp();
    const w = new LogWriter({ logDir: dir });
    write(w, 3);
    w.close();
    const r = await rotateLogs(configIn(dir), { force: true, now: NOW, dryRun: true });
    expect(r.rotated).toHaveLength(2);
    expect(existsSync(join(dir, "archive"))).toBe(false);
  });

  it("metrics: closed months go to monthly archives in file order, so the merge sees what it saw before", async () => {
    const dir = tmp();
    const w = new LogWriter({ logDir: dir });
    const rec = (attempt: string, ts: string, extra: object) => w.appendMetrics({ attempt_id: attempt, timestamp: ts, ...extra } as never);
    rec("a", "2026-10-30T10:00:00.000Z", { completion_status: "success", duration_ms: 1000 });
    rec("b", "2026-10-31T10:00:00.000Z", { completion_status: "failed" });
    rec("a", "2026-11-02T10:00:00.000Z", { outcome: { status: "completed", pr_merged: true } });
    const before = await mergedMetrics(dir);
    const c = configIn(dir);
    const r = await rotateLogs(c, { now: NOW });
    expect(r.metrics.map((m) => [m.month, m.lines])).toEqual([
      ["2026-10", 2],
      ["2026-11", 1],
    ]);
    expect(existsSync(logPaths(dir).metrics)).toBe(false);
    rec("b", "2026-11-20T10:00:00.000Z", { outcome: { status: "failed" } });
    w.close();
    expect(readdirSync(join(dir, "archive")).sort()).toEqual(["agent-metrics.2026-10.jsonl.gz", "agent-metrics.2026-11.jsonl.gz"]);
    const after = await mergedMetrics(dir);
    expect(after.get("a")).toEqual(before.get("a"));
    expect(after.get("b")!.outcome).toEqual({ status: "failed" });
    // Next month: November closes too; its archive gets a second gzip member, read in order.
    await rotateLogs(c, { now: Date.parse("2026-12-02T00:00:00Z") });
    expect(await mergedMetrics(dir)).toEqual(after);
  });
});

async function mergedMetrics(dir: string): Promise<Map<string, MetricsRecord>> {
  const by = new Map<string, MetricsRecord[]>();
  for (const f of historyFiles(logPaths(dir), "agent-metrics"))
    for await (const batch of readRecords(f.path, { accept: acceptMetrics })) for (const m of batch) by.set(m.attempt_id, [...(by.get(m.attempt_id) ?? []), m]);
  return new Map([...by].map(([k, v]) => [k, mergeMetricsRecords(v)!]));
}

describe("applyRetention", () => {
  it("deletes archives past each log's days, keeps metrics, and the rest", () => {
    const dir = tmp();
    const p = logPaths(dir);
    mkdirSync(p.archive, { recursive: true });
    const names = [
      "agent-work-stream.2026-10-25T11-59-59-000Z.jsonl.gz", // 31 days: deleted (30)
      "agent-work-stream.2026-10-26T12-00-00-000Z.jsonl.gz", // 30 days: kept
      "agent-errors.2026-10-01T00-00-00-000Z.jsonl.gz", // 55 days: kept (90)
      "agent-errors.2026-08-01T00-00-00-000Z.jsonl", // 116 days: deleted
      "agent-alerts.2025-11-01T00-00-00-000Z.jsonl.gz", // > 365 days: deleted
      "agent-alerts.2026-01-01T00-00-00-000Z.jsonl.gz", // kept
      "agent-metrics.2024-01.jsonl.gz", // forever
    ];
    for (const n of names) writeFileSync(join(p.archive, n), "");
    const r = applyRetention(configIn(dir), { now: NOW });
    expect(r.deleted.map((d) => d.path.slice(p.archive.length + 1)).sort()).toEqual([names[4], names[3], names[0]].sort());
    expect(readdirSync(p.archive).sort()).toEqual([names[1], names[2], names[5], names[6]].sort());
  });

  it("archives idle session files beyond the newest N; a resumed attempt continues its sequence", async () => {
    const dir = tmp();
    const c = configIn(dir, (c) => {
      c.retention.sessions = 2;
      c.retention.sessionIdleHours = 1;
    });
    const w = new LogWriter({ logDir: dir });
    for (const a of ["s1", "s2", "s3", "s4"]) write(w, 3, a);
    w.close();
    const p = logPaths(dir);
    // s1, s2 idle for two hours; s3, s4 newer
    for (const [i, a] of ["s1", "s2", "s3", "s4"].entries()) {
      const t = new Date(NOW - (4 - i) * 3_600_000 * (i < 2 ? 2 : 0.1));
      utimesSync(sessionFile(p, a), t, t);
    }
    const r = applyRetention(c, { now: NOW });
    expect(r.sessionsArchived.map((s) => s.from.slice(p.sessions.length + 1)).sort()).toEqual(["s1.jsonl", "s2.jsonl"]);
    expect(readdirSync(join(p.archive, "agent-sessions")).sort()).toEqual(["s1.jsonl.gz", "s2.jsonl.gz"]);
    const archived: number[] = [];
    await forEachEvent(join(p.archive, "agent-sessions", "s1.jsonl.gz"), (e) => archived.push(e.sequence_num));
    expect(archived).toEqual([0, 1, 2]);
    const w2 = new LogWriter({ logDir: dir });
    write(w2, 2, "s1");
    w2.close();
    const resumed: number[] = [];
    await forEachEvent(sessionFile(p, "s1"), (e) => resumed.push(e.sequence_num));
    expect(resumed).toEqual([3, 4]);
    // Archived again, resumed again: the sequence and the attempt's start carry over each time.
    const idle = new Date(NOW - 3 * 3_600_000);
    utimesSync(sessionFile(p, "s1"), idle, idle);
    expect(applyRetention(c, { now: NOW }).sessionsArchived.map((s) => s.to.slice(p.archive.length + 1))).toEqual(["agent-sessions/s1.jsonl.1.gz"]);
    const w3 = new LogWriter({ logDir: dir });
    const [again] = w3.append({ attempt_id: "s1", event_type: "tool_call", timestamp: new Date(NOW).toISOString(), data: { tool_name: "Bash" } });
    w3.close();
    expect(again?.sequence_num).toBe(5);
    const first: number[] = [];
    await forEachEvent(join(p.archive, "agent-sessions", "s1.jsonl.gz"), (e) => first.push(Date.parse(e.timestamp) - e.elapsed_ms));
    expect(Date.parse(again?.timestamp ?? "") - (again?.elapsed_ms ?? 0)).toBe(first[0]);
  });
});

describe("awl rotate", () => {
  it("--force --json rotates and reports; --dry-run says so and changes nothing", async () => {
    const dir = tmp();
    const w = new LogWriter({ logDir: dir });
    write(w, 4);
    w.close();
    const env = { AGENT_WORK_LOG_DIR: dir };
    const dry = await runCli(["rotate", "--force", "--dry-run"], { env, cwd: dir });
    expect(dry.code).toBe(0);
    expect(dry.stdout).toContain("dry run: nothing was changed");
    expect(existsSync(join(dir, "archive"))).toBe(false);
    const none = await runCli(["rotate"], { env, cwd: dir });
    expect(none.stdout).toContain("nothing to rotate");
    const r = await runCli(["rotate", "--force", "--json"], { env: { ...env }, cwd: dir });
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.rotated.map((x: { log: string }) => x.log)).toEqual(["stream", "errors"]);
    expect(out.compressed).toHaveLength(2);
    expect(readFileSync(out.compressed[0].to).subarray(0, 2)).toEqual(Buffer.from([0x1f, 0x8b]));
  });
});

describe("rotatedSince (the rotation journal)", () => {
  it("lists the files rotated after a follower's file, up to the one now live, plain or compressed", async () => {
    const dir = tmp();
    const p = logPaths(dir);
    const c = configIn(dir, (c) => (c.rotation.gzipGraceMs = 60_000));
    const { statSync: stat, appendFileSync } = await import("node:fs");
    const { rotatedSince } = await import("./rotate.js");
    const inos: number[] = [];
    for (let i = 0; i < 4; i++) {
      appendFileSync(p.stream, `{"n":${i}}\n`);
      inos.push(stat(p.stream).ino);
      await rotateLogs(c, { force: true, now: NOW + i });
    }
    appendFileSync(p.stream, '{"n":4}\n');
    const live = stat(p.stream).ino;
    const after0 = rotatedSince(p.rotations, p.archive, p.stream, inos[0]!, live)!;
    expect(after0.map((f) => f.slice(p.archive.length + 1))).toEqual([
      "agent-work-stream.2026-11-25T12-00-00-001Z.jsonl",
      "agent-work-stream.2026-11-25T12-00-00-002Z.jsonl",
      "agent-work-stream.2026-11-25T12-00-00-003Z.jsonl",
    ]);
    // Compressed meanwhile: the .gz is named instead.
    const { compressFile } = await import("./rotate.js");
    compressFile(after0[0]!);
    expect(rotatedSince(p.rotations, p.archive, p.stream, inos[0]!, live)![0]).toMatch(/001Z\.jsonl\.gz$/);
    expect(rotatedSince(p.rotations, p.archive, p.stream, inos[3]!, live)).toEqual([]);
    expect(rotatedSince(p.rotations, p.archive, p.stream, 999_999_999, live)).toBeUndefined();
  });
});
