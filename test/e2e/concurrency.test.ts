import { type ChildProcess, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { AwlEvent } from "../../src/schema/index.js";
import { logPaths, sessionFile } from "../../src/store/paths.js";
import { forEachEvent } from "../../src/store/reader.js";
import { LogWriter } from "../../src/store/writer.js";
import { useTmpDir } from "../helpers/tmp.js";

const tmp = useTmpDir();
const WORKER = join(import.meta.dirname, "workers", "append.ts");

function startWorker(logDir: string, id: number, count: number, yieldEvery = 500, group = 1): ChildProcess {
  return spawn(process.execPath, ["--import", "tsx", WORKER, logDir, String(id), String(count), String(yieldEvery), String(group)], {
    stdio: ["ignore", "pipe", "inherit"],
  });
}

function exited(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => child.on("exit", (code) => resolve(code)));
}

function firstLine(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => child.stdout!.once("data", () => resolve()));
}

async function readEvents(path: string) {
  const events: AwlEvent[] = [];
  const stats = await forEachEvent(path, (e) => events.push(e));
  return { events, stats };
}

function bySeq(events: AwlEvent[], attempt: string): number[] {
  return events.filter((e) => e.attempt_id === attempt).map((e) => e.sequence_num);
}

describe("many writer processes", () => {
  it("8 processes × 25 000 events, shared and own attempts: every line parses, none lost, sequences exactly 0..N-1", async () => {
    const dir = tmp();
    const N = 25_000;
    // Half the writers append one event per call, half in batches of 25 (one write per file).
    const workers = Array.from({ length: 8 }, (_, i) => startWorker(dir, i, N, 500, i % 2 ? 25 : 1));
    const codes = await Promise.all(workers.map(exited));
    expect(codes).toEqual(Array(8).fill(0));

    const p = logPaths(dir);
    const raw = readFileSync(p.stream, "utf8").split("\n");
    expect(raw.pop()).toBe(""); // ends with a newline
    expect(raw.length).toBe(8 * N);
    const { events, stats } = await readEvents(p.stream);
    expect(stats.records).toBe(8 * N);
    expect(stats.skipped).toEqual({ invalid_json: 0, invalid_schema: 0, oversized: 0, torn_final: 0 });

    // Each (worker, i) exactly once.
    const keyOf = (e: AwlEvent) => {
      const d = e.data as { worker?: string; i?: number; tool_params?: { worker: string; i: number } };
      const t = d.tool_params ?? d;
      return `${t.worker}:${t.i}`;
    };
    expect(new Set(events.map(keyOf)).size).toBe(8 * N);

    // Errors also went to the error log, each once.
    const errors = await readEvents(p.errors);
    expect(errors.events.map(keyOf).sort()).toEqual(events.filter((e) => e.event_type === "error").map(keyOf).sort());

    // The stream holds each attempt's events in sequence order, 0..N-1 with no gap or duplicate.
    const shared = bySeq(events, "shared");
    expect(shared).toEqual([...Array(8 * (N / 2)).keys()]);
    for (let i = 0; i < 8; i++) expect(bySeq(events, `own-${i}`)).toEqual([...Array(N / 2).keys()]);

    // The session file agrees with the stream.
    const session = await readEvents(sessionFile(p, "shared"));
    expect(session.events.map((e) => e.sequence_num)).toEqual(shared);
  });

  it("a writer killed with kill -9 mid-stream leaves at most one torn line; the next writer continues the sequence", async () => {
    const dir = tmp();
    const child = startWorker(dir, 0, 0, 50);
    await firstLine(child);
    const p = logPaths(dir);
    // Let it write for a while, then kill it without warning.
    await waitFor(() => safeSize(p.stream) > 500_000);
    child.kill("SIGKILL");
    await exited(child);

    const before = await readEvents(p.stream);
    expect(before.stats.skipped.invalid_json + before.stats.skipped.torn_final).toBeLessThanOrEqual(1);
    const sharedBefore = bySeq(before.events, "shared");
    expect(sharedBefore).toEqual([...Array(sharedBefore.length).keys()]);

    // The dead writer may still hold the attempt's lock: the next writer breaks it and goes on.
    const w = new LogWriter({ logDir: dir, lock: { timeoutMs: 5000 } });
    w.append(Array.from({ length: 10 }, () => ({ attempt_id: "shared", event_type: "agent_output" as const, data: { output: "next" } })));
    w.close();
    // The session file is the attempt's record: gap-free through the crash.
    const session = await readEvents(sessionFile(p, "shared"));
    const total = session.events.length;
    expect(session.events.map((e) => e.sequence_num)).toEqual([...Array(total).keys()]);
    expect(total).toBeGreaterThanOrEqual(sharedBefore.length + 10);
    // The stream has each of them once, in order; a kill between an event's session write and
    // its stream write (two syscalls apart) can leave at most that one event out of the stream.
    const streamSeqs = bySeq((await readEvents(p.stream)).events, "shared");
    expect(streamSeqs.slice(-10)).toEqual([...Array(10).keys()].map((i) => total - 10 + i));
    expect(new Set(streamSeqs).size).toBe(streamSeqs.length);
    expect(streamSeqs.length).toBeGreaterThanOrEqual(total - 1);
  });
});

function safeSize(path: string): number {
  try {
    return readFileSync(path).length;
  } catch {
    return 0;
  }
}

async function waitFor(cond: () => boolean, timeoutMs = 30_000): Promise<void> {
  const start = Date.now();
  while (!cond()) {
    if (Date.now() - start > timeoutMs) throw new Error("timed out waiting for the writer");
    await new Promise((r) => setTimeout(r, 20));
  }
}
