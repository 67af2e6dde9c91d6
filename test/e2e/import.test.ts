import { appendFileSync, copyFileSync, mkdirSync, readFileSync, utimesSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { AwlEvent } from "../../src/schema/index.js";
import { logPaths } from "../../src/store/paths.js";
import { awl } from "../helpers/awl.js";
import { useTmpDir } from "../helpers/tmp.js";

const tmp = useTmpDir();
const FIX = join(import.meta.dirname, "..", "fixtures", "real");

function events(dir: string): AwlEvent[] {
  return readFileSync(logPaths(dir).stream, "utf8").trim().split("\n").map((l) => JSON.parse(l));
}

function keysOf(evs: AwlEvent[]): string[] {
  return evs.map((e) => (e.data as { record_id?: string }).record_id ?? "").filter(Boolean);
}

// Copies of real Gemini CLI 0.61.0 transcripts (test/fixtures/real/gemini/SOURCES.md).
describe("awl import", () => {
  it("records a session file as one attempt, and importing it again adds nothing", async () => {
    const dir = tmp();
    const src = tmp();
    copyFileSync(join(FIX, "gemini", "error_loop.session.jsonl"), join(src, "session.jsonl"));
    const first = await awl(["import", "--log-dir", dir, "--json", src]);
    expect(first.stderr.toString()).toBe("");
    const s1 = JSON.parse(first.stdout.toString());
    expect(s1).toMatchObject({ files: 1, sessions: 1, unchanged: 0 });
    expect(s1.events).toBeGreaterThan(5);
    const before = events(dir);
    expect(new Set(before.map((e) => e.attempt_id)).size).toBe(1);
    expect(before[0]!.attempt_id).toMatch(/^gemini-/);
    expect(before.filter((e) => e.event_type === "session_end")).toHaveLength(1);

    const again = JSON.parse((await awl(["import", "--log-dir", dir, "--json", src])).stdout.toString());
    expect(again).toMatchObject({ files: 0, unchanged: 1, events: 0, sessions: 0 });
    expect(events(dir)).toHaveLength(before.length);

    // Touched but unchanged in content: read again, and every event is recognised as recorded.
    appendFileSync(join(src, "session.jsonl"), "");
    writeFileSync(join(src, "session.jsonl"), readFileSync(join(FIX, "gemini", "error_loop.session.jsonl")));
    const touched = JSON.parse((await awl(["import", "--log-dir", dir, "--json", src])).stdout.toString());
    expect(touched.events).toBe(0);
    expect(events(dir)).toHaveLength(before.length);
  });

  it("merges a session's stdout stream and its session file into one session without duplicates", async () => {
    const dir = tmp();
    const src = tmp();
    copyFileSync(join(FIX, "gemini", "error_loop.session.jsonl"), join(src, "a-session.jsonl"));
    copyFileSync(join(FIX, "gemini", "error_loop.stdout.jsonl"), join(src, "b-stdout.jsonl"));
    const r = JSON.parse((await awl(["import", "--log-dir", dir, "--json", src])).stdout.toString());
    expect(r).toMatchObject({ files: 2, sessions: 1 });
    const evs = events(dir);
    expect(new Set(evs.map((e) => e.attempt_id)).size).toBe(1);
    const keys = keysOf(evs);
    expect(new Set(keys).size).toBe(keys.length);
    const calls = evs.filter((e) => e.event_type === "tool_call").map((e) => (e.data as { tool_call_id: string }).tool_call_id);
    expect(new Set(calls).size).toBe(calls.length);
    expect(evs.filter((e) => e.event_type === "session_end")).toHaveLength(1);
    // The session file leaves out the router model's tokens; the stream's result counts them
    // (35 252 in the transcript's result.stats): a later metrics record carries the agent's total.
    const metrics = readFileSync(logPaths(dir).metrics, "utf8").trim().split("\n").map((l) => JSON.parse(l));
    expect(metrics.map((m) => m.metrics.total_tokens)).toEqual([34438, 35252]);
  });

  it("merges Codex's stream and session file, whose call ids differ, without repeating a failure", async () => {
    // Codex's `exec --json` names calls `item_N`, its session file `call_…`: the five failing
    // `git push` calls of the loop must stay five, whichever file comes first.
    for (const order of [["stdout", "session"], ["session", "stdout"]]) {
      const dir = tmp();
      await awl(["import", "--log-dir", dir, "--json", ...order.map((f) => join(FIX, "codex", `error_loop.${f}.jsonl`))]);
      const errors = events(dir).filter((e) => e.event_type === "error");
      expect(errors.map((e) => (e.data as { error_fingerprint: string }).error_fingerprint)).toEqual(Array(5).fill("git_remote_not_found"));
    }
  });

  it("dates a stream that names no time (Codex exec --json) by the file's last write, not 1970", async () => {
    const dir = tmp();
    const src = tmp();
    const file = join(src, "codex-run.jsonl");
    copyFileSync(join(FIX, "codex", "success.stdout.jsonl"), file);
    const at = new Date("2026-11-20T08:30:00.000Z");
    utimesSync(file, at, at);
    await awl(["import", "--log-dir", dir, "--json", file]);
    const times = new Set(events(dir).map((e) => e.timestamp));
    expect([...times]).toEqual([at.toISOString()]);
  });

  it("reports unreadable, binary and foreign files and half-written last lines, and goes on (on two threads)", async () => {
    const dir = tmp();
    const src = tmp();
    mkdirSync(join(src, "nested"));
    copyFileSync(join(FIX, "gemini", "success.stdout.jsonl"), join(src, "nested", "ok.jsonl"));
    writeFileSync(join(src, "junk.jsonl"), Buffer.from([0x00, 0x01, 0x02, 0xff]));
    writeFileSync(join(src, "foreign.jsonl"), '{"hello":"world"}\n');
    writeFileSync(join(src, "torn.jsonl"), `${readFileSync(join(FIX, "gemini", "success.stdout.jsonl"), "utf8").trimEnd()}\n{"type":"mess`);
    const r = await awl(["import", "--jobs", "2", "--log-dir", dir, src, join(src, "missing.jsonl")]);
    expect(r.code).toBe(0);
    const out = r.stdout.toString();
    expect(out).toMatch(/^imported 1 new session, \d+ events from 4 files/);
    expect(out).toContain("skipped 1 line: torn last line");
    expect(out).toContain(`skipped ${join(src, "junk.jsonl")}: binary, not an agent log`);
    expect(out).toContain(`skipped ${join(src, "foreign.jsonl")}: not a Claude Code, Codex or Gemini CLI log`);
    expect(out).toContain(`skipped ${join(src, "missing.jsonl")}: ENOENT`);
  });

  it("reads a stream from stdin", async () => {
    const dir = tmp();
    const { spawn } = await import("node:child_process");
    const child = spawn(process.execPath, ["--import", "tsx", join(import.meta.dirname, "..", "..", "src", "cli", "bin.ts"), "import", "--log-dir", dir, "--json", "-"], {
      stdio: ["pipe", "pipe", "inherit"],
    });
    let out = "";
    child.stdout.on("data", (d) => (out += d));
    child.stdin.end(readFileSync(join(FIX, "gemini", "success.stdout.jsonl")));
    await new Promise((r) => child.on("close", r));
    expect(JSON.parse(out)).toMatchObject({ sessions: 1 });
    expect(events(dir).some((e) => e.event_type === "tool_call")).toBe(true);
  });
});
