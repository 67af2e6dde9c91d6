import { appendFileSync, existsSync, readdirSync, readFileSync, renameSync, statSync, utimesSync, writeFileSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { useTmpDir } from "../../test/helpers/tmp.js";
import { type AwlEvent, ValidationError } from "../schema/index.js";
import { FileLock } from "./lock.js";
import { attemptFileName, logPaths } from "./paths.js";
import { acceptEvent, forEachEvent } from "./reader.js";
import { FakeSecrets } from "./redact-corpus.js";
import { LogWriter } from "./writer.js";

const tmp = useTmpDir();

function lines(path: string): AwlEvent[] {
  return readFileSync(path, "utf8")
    .split("\n")
    .filter(Boolean)
    .map((l) => JSON.parse(l) as AwlEvent);
}

const T0 = Date.parse("2026-11-25T10:00:00.000Z");
const at = (ms: number) => new Date(T0 + ms).toISOString();

describe("LogWriter", () => {
  it("fans each event out to the stream, the session file and (errors) the error log", () => {
    const dir = tmp();
    const w = new LogWriter({ logDir: dir });
    w.append([
      { attempt_id: "a1", event_type: "session_start", timestamp: at(0), task_title: "Add auth", data: { prompt: "go", prompt_type: "initial" } },
      { attempt_id: "a1", event_type: "tool_call", timestamp: at(1500), data: { tool_name: "Bash", tool_params: { command: "ls" }, tool_call_id: "c1" } },
      { attempt_id: "a1", event_type: "error", timestamp: at(2000), data: { error_message: "fatal: not a git repository" } },
      { attempt_id: "a1", event_type: "session_end", timestamp: at(9000), data: { completion_status: "success" } },
    ]);
    w.close();
    const p = logPaths(dir);
    const stream = lines(p.stream);
    expect(stream.map((e) => e.sequence_num)).toEqual([0, 1, 2, 3]);
    expect(stream.map((e) => e.elapsed_ms)).toEqual([0, 1500, 2000, 9000]);
    expect(stream.every((e) => e.schema_version === 1)).toBe(true);
    expect(lines(join(p.sessions, "a1.jsonl"))).toEqual(stream);
    expect(lines(p.errors).map((e) => e.event_type)).toEqual(["error"]);
    // schema_version leads every line: readers rely on it to salvage a line glued to a torn one.
    expect(readFileSync(p.stream, "utf8").split("\n")[0]).toMatch(/^\{"schema_version":1,"timestamp":/);
  });

  it("keeps only the most recently used session files open, and numbers every attempt on without gaps", () => {
    const dir = tmp();
    const w = new LogWriter({ logDir: dir, maxOpenFiles: 3 });
    const openFds = () => readdirSync("/proc/self/fd").length;
    const before = openFds();
    // Round robin over ten attempts, three times: every attempt is let go and picked up again.
    for (let round = 0; round < 3; round++) {
      for (let a = 0; a < 10; a++) {
        w.append({ attempt_id: `a${a}`, event_type: "agent_output", data: { output: `round ${round}` } });
        w.releaseLocks();
        expect(openFds() - before).toBeLessThanOrEqual(3 + 2); // three session files, the stream, the error log's slot
      }
    }
    w.close();
    for (let a = 0; a < 10; a++) expect(lines(join(logPaths(dir).sessions, `a${a}.jsonl`)).map((e) => e.sequence_num)).toEqual([0, 1, 2]);
    expect(openFds()).toBe(before);
  });

  it("creates files 0600 and directories 0700", () => {
    const dir = join(tmp(), "logs");
    const w = new LogWriter({ logDir: dir });
    w.append({ attempt_id: "a", event_type: "error", data: { error_message: "boom" } });
    w.appendMetrics({ attempt_id: "a", metrics: { errors: 1 } });
    w.close();
    const p = logPaths(dir);
    for (const d of [dir, p.sessions, p.state, p.attemptState]) expect(statSync(d).mode & 0o777).toBe(0o700);
    for (const f of [p.stream, p.errors, p.metrics, join(p.sessions, "a.jsonl")]) {
      expect(statSync(f).mode & 0o777).toBe(0o600);
    }
    // The lock is gone once released, and no per-attempt state file is made (the session file's last line says where it ends).
    expect(readdirSync(p.attemptState)).toEqual([]);
  });

  it("uses the injected clock for events without a timestamp and normalizes others to UTC", () => {
    const dir = tmp();
    const w = new LogWriter({ logDir: dir, now: () => T0 });
    const [a, b] = w.append([
      { attempt_id: "a", event_type: "agent_output", data: { output: "hi" } },
      { attempt_id: "a", event_type: "agent_output", timestamp: "2026-11-25T12:00:01.250+02:00", data: { output: "x" } },
    ]);
    w.close();
    expect(a?.timestamp).toBe("2026-11-25T10:00:00.000Z");
    expect(b?.timestamp).toBe("2026-11-25T10:00:01.250Z");
    expect(b?.elapsed_ms).toBe(1250);
  });

  it("validates the whole batch before writing any of it", () => {
    const dir = tmp();
    const w = new LogWriter({ logDir: dir });
    const bad = () =>
      w.append([
        { attempt_id: "a", event_type: "agent_output", data: { output: "fine" } },
        // @ts-expect-error: tool_name is required
        { attempt_id: "a", event_type: "tool_call", data: { tool_params: {} } },
      ]);
    expect(bad).toThrow(ValidationError);
    expect(bad).toThrow(/data\.tool_name/);
    w.close();
    expect(existsSync(logPaths(dir).stream)).toBe(false);
  });

  it("refuses a batch with an event too deep to serialize before writing any of it (an agent's deeply nested JSON)", () => {
    const dir = tmp();
    const w = new LogWriter({ logDir: dir });
    let raw: unknown = 1;
    for (let i = 0; i < 20_000; i++) raw = { a: raw };
    const deep = () =>
      w.append([
        { attempt_id: "a", event_type: "agent_output", data: { output: "fine" } },
        { attempt_id: "a", event_type: "agent_output", data: { output: "deep", raw } },
      ]);
    expect(deep).toThrow(/^invalid event: data: nested deeper than/);
    const [next] = w.append({ attempt_id: "a", event_type: "agent_output", data: { output: "after" } });
    w.close();
    expect(next?.sequence_num).toBe(0);
    expect(lines(logPaths(dir).stream).map((e) => (e.data as { output: string }).output)).toEqual(["after"]);
  });

  it("keeps the original attempt id in the event whatever its file name", () => {
    const dir = tmp();
    const w = new LogWriter({ logDir: dir });
    const id = "../../etc/evil id";
    w.append({ attempt_id: id, event_type: "agent_output", data: { output: "x" } });
    w.close();
    const files = readdirSync(logPaths(dir).sessions);
    expect(files).toEqual([`${attemptFileName(id)}.jsonl`]);
    expect(lines(join(logPaths(dir).sessions, files[0]!))[0]?.attempt_id).toBe(id);
    expect(existsSync(join(dir, "..", "etc"))).toBe(false);
  });

  it("is a no-op when logging is disabled", () => {
    const dir = join(tmp(), "logs");
    const w = new LogWriter({ logDir: dir, enabled: false });
    expect(w.append({ attempt_id: "a", event_type: "agent_output", data: { output: "x" } })).toEqual([]);
    expect(w.appendMetrics({ attempt_id: "a" })).toBeUndefined();
    w.close();
    expect(existsSync(dir)).toBe(false);
  });

  it("redacts secrets before they reach any file", () => {
    const dir = tmp();
    // generated at run time (no key-shaped literal in the source), shaped like a real one
    const key = `sk-ant-api03-${new FakeSecrets(3).b64url(93)}AA`;
    const w = new LogWriter({ logDir: dir });
    const [e] = w.append({
      attempt_id: "a",
      event_type: "error",
      data: { error_message: `401 invalid x-api-key ${key}`, stack_trace: `curl -H "x-api-key: ${key}"` },
    });
    w.appendMetrics({ attempt_id: "a", outcome: { status: "failed" }, note: key } as never);
    w.close();
    expect(JSON.stringify(e)).not.toContain(key);
    for (const f of walk(dir)) expect(readFileSync(f, "utf8")).not.toContain(key.slice(13, 40));
  });

  it("gives gap-free sequence numbers when two writers share an attempt", () => {
    const dir = tmp();
    const a = new LogWriter({ logDir: dir, leaseMs: 0 });
    const b = new LogWriter({ logDir: dir, leaseMs: 0 });
    for (let i = 0; i < 50; i++) {
      (i % 3 ? a : b).append({ attempt_id: "shared", event_type: "agent_output", data: { output: String(i) } });
      // hand the lock over, as the end of an event-loop turn does
      a.releaseLocks();
      b.releaseLocks();
    }
    a.close();
    b.close();
    expect(lines(logPaths(dir).stream).map((e) => e.sequence_num)).toEqual([...Array(50).keys()]);
  });

  it("continues the sequence after a torn last line and starts on a fresh line", async () => {
    const dir = tmp();
    const p = logPaths(dir);
    const w1 = new LogWriter({ logDir: dir });
    w1.append([0, 1, 2].map((i) => ({ attempt_id: "a", event_type: "agent_output" as const, data: { output: String(i) } })));
    w1.close();
    // what a writer killed mid-write leaves behind
    const torn = '{"schema_version":1,"timestamp":"2026-11-25T10:00:00.000Z","attempt_id":"a","event_t';
    appendFileSync(join(p.sessions, "a.jsonl"), torn);
    appendFileSync(p.stream, torn);
    const w2 = new LogWriter({ logDir: dir });
    w2.append({ attempt_id: "a", event_type: "agent_output", data: { output: "after" } });
    w2.close();
    const seen: AwlEvent[] = [];
    const stats = await forEachEvent(p.stream, (e) => seen.push(e));
    expect(seen.map((e) => e.sequence_num)).toEqual([0, 1, 2, 3]);
    expect(stats.skipped.invalid_json).toBe(1);
    const session: AwlEvent[] = [];
    await forEachEvent(join(p.sessions, "a.jsonl"), (e) => session.push(e));
    expect(session.map((e) => e.sequence_num)).toEqual([0, 1, 2, 3]);
  });

  it("takes the next sequence number and the start from the session file, not from a state file", () => {
    const dir = tmp();
    const p = logPaths(dir);
    const w1 = new LogWriter({ logDir: dir });
    w1.append({ attempt_id: "a", event_type: "session_start", timestamp: at(0), data: {} });
    w1.append({ attempt_id: "a", event_type: "agent_output", timestamp: at(10), data: { output: "x" } });
    w1.close();
    writeFileSync(join(p.attemptState, "a.json"), "garbage");
    const w2 = new LogWriter({ logDir: dir });
    const [e] = w2.append({ attempt_id: "a", event_type: "agent_output", timestamp: at(5000), data: { output: "y" } });
    w2.close();
    expect(e?.sequence_num).toBe(2);
    expect(e?.elapsed_ms).toBe(5000);
  });

  it("breaks a lock left by a dead process", () => {
    const dir = tmp();
    const p = logPaths(dir);
    const w = new LogWriter({ logDir: dir, lock: { timeoutMs: 2000 } });
    w.append({ attempt_id: "a", event_type: "agent_output", data: { output: "1" } });
    w.releaseLocks();
    // a lock file whose holder (pid 2^22+1, beyond pid_max) does not exist
    writeFileSync(join(p.attemptState, "a.lock"), `4194305 ${hostname()} ${Date.now()} deadbeef`);
    const [e] = w.append({ attempt_id: "a", event_type: "agent_output", data: { output: "2" } });
    w.close();
    expect(e?.sequence_num).toBe(1);
    expect(existsSync(join(p.attemptState, "a.lock"))).toBe(false);
  });

  it("reopens the stream after it is renamed away (rotation)", () => {
    const dir = tmp();
    const p = logPaths(dir);
    const w = new LogWriter({ logDir: dir });
    w.append({ attempt_id: "a", event_type: "agent_output", data: { output: "before" } });
    w.releaseLocks();
    renameSync(p.stream, `${p.stream}.1`);
    w.append({ attempt_id: "a", event_type: "agent_output", data: { output: "after" } });
    w.close();
    expect(lines(`${p.stream}.1`).map((e) => (e.data as { output: string }).output)).toEqual(["before"]);
    expect(lines(p.stream).map((e) => (e.data as { output: string }).output)).toEqual(["after"]);
  });

  it("writes a batch across attempts in order, each attempt gap-free, errors also to the error log", () => {
    const dir = tmp();
    const w = new LogWriter({ logDir: dir });
    const batch = Array.from({ length: 30 }, (_, i) =>
      i % 5 === 4
        ? { attempt_id: `a${i % 3}`, event_type: "error" as const, data: { error_message: `e${i}` } }
        : { attempt_id: `a${i % 3}`, event_type: "agent_output" as const, data: { output: `o${i}` } },
    );
    const written = w.append(batch);
    w.close();
    const p = logPaths(dir);
    const stream = lines(p.stream);
    expect(stream).toEqual(written);
    expect(stream.map((e) => e.attempt_id)).toEqual(batch.map((e) => e.attempt_id));
    for (const a of ["a0", "a1", "a2"]) {
      expect(lines(join(p.sessions, `${a}.jsonl`)).map((e) => e.sequence_num)).toEqual([...Array(10).keys()]);
    }
    expect(lines(p.errors).map((e) => (e.data as { error_message: string }).error_message)).toEqual(["e4", "e9", "e14", "e19", "e24", "e29"]);
  });

  it("keeps a producer's own fields and leads every line with schema_version and timestamp", () => {
    const dir = tmp();
    const w = new LogWriter({ logDir: dir });
    w.append({ attempt_id: "a", event_type: "agent_output", timestamp: at(5), elapsed_ms: 999, sequence_num: 42, tags: ["x"], data: { output: "o", extra: { n: 1 } } } as never);
    w.close();
    const text = readFileSync(logPaths(dir).stream, "utf8");
    expect(text).toBe(
      `{"schema_version":1,"timestamp":"${at(5)}","attempt_id":"a","tags":["x"],"event_type":"agent_output","data":{"output":"o","extra":{"n":1}},"elapsed_ms":0,"sequence_num":0}\n`,
    );
  });

  it("writes events that the reader accepts", () => {
    const dir = tmp();
    const w = new LogWriter({ logDir: dir });
    const written = w.append({ attempt_id: "a", event_type: "tool_result", data: { result: "error", tool_call_id: "c", duration_ms: 12, exit_code: 128 } });
    w.close();
    expect(acceptEvent(lines(logPaths(dir).stream)[0])).toEqual(written[0]);
  });
});

describe("FileLock", () => {
  it("excludes a second holder until released", () => {
    const dir = tmp();
    const a = new FileLock(join(dir, "x.lock"));
    const b = new FileLock(join(dir, "x.lock"), { timeoutMs: 50 });
    expect(a.tryAcquire()).toBe(true);
    expect(b.tryAcquire()).toBe(false);
    expect(() => b.acquire()).toThrow(/could not lock/);
    a.release();
    expect(b.tryAcquire()).toBe(true);
    b.release();
  });

  it("respects a lock file still being written, and breaks one left empty long ago", () => {
    const path = join(tmp(), "x.lock");
    writeFileSync(path, ""); // created, its holder not yet written
    const lock = new FileLock(path, { staleMs: 10_000 });
    expect(lock.tryAcquire()).toBe(false);
    expect(readFileSync(path, "utf8")).toBe("");
    const old = new Date(Date.now() - 60_000);
    utimesSync(path, old, old);
    expect(lock.tryAcquire()).toBe(true);
    expect(readFileSync(path, "utf8")).toMatch(new RegExp(`^${process.pid} ${hostname()} `));
    lock.release();
    expect(existsSync(path)).toBe(false);
  });
});

function walk(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((d) =>
    d.isDirectory() ? walk(join(dir, d.name)) : [join(dir, d.name)],
  );
}
