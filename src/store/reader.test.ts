import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { useTmpDir } from "../../test/helpers/tmp.js";
import type { AwlEvent } from "../schema/index.js";
import { acceptEvent, describeSkips, forEachEvent, readLastLines, readRecords } from "./reader.js";

const tmp = useTmpDir();

function ev(seq: number, extra: Partial<AwlEvent> = {}): string {
  return JSON.stringify({
    schema_version: 1,
    timestamp: "2026-11-25T10:00:00.000Z",
    attempt_id: "a",
    event_type: "agent_output",
    data: { output: `line ${seq}` },
    elapsed_ms: 0,
    sequence_num: seq,
    ...extra,
  });
}

async function readAll(path: string, opts: Parameters<typeof forEachEvent>[2] = {}) {
  const seen: number[] = [];
  const stats = await forEachEvent(path, (e) => seen.push(e.sequence_num), opts);
  return { seen, stats };
}

describe("readRecords", () => {
  it.each([
    ["plain", (s: string) => Buffer.from(s), "x.jsonl"],
    ["gzip", (s: string) => gzipSync(s), "x.jsonl.gz"],
    ["gzip without the extension", (s: string) => gzipSync(s), "x.jsonl.1"],
    ["two concatenated gzip members", (s: string) => Buffer.concat([gzipSync(s.slice(0, s.indexOf("\n") + 1)), gzipSync(s.slice(s.indexOf("\n") + 1))]), "y.jsonl.gz"],
  ])("reads %s files", async (_label, encode, name) => {
    const path = join(tmp(), name);
    writeFileSync(path, encode(`${ev(0)}\n${ev(1)}\n${ev(2)}\n`));
    const { seen, stats } = await readAll(path);
    expect(seen).toEqual([0, 1, 2]);
    expect(stats.records).toBe(3);
  });

  it("skips and counts torn, invalid and off-schema lines without stopping", async () => {
    const path = join(tmp(), "x.jsonl");
    const offSchema = ev(9, { event_type: "tool_call", data: { tool_params: 1 } as never });
    writeFileSync(path, [ev(0), "not json", "", offSchema, ev(1), '{"schema_version":1,"times'].join("\n"));
    const { seen, stats } = await readAll(path);
    expect(seen).toEqual([0, 1]);
    expect(stats.skipped).toEqual({ invalid_json: 1, invalid_schema: 1, oversized: 0, torn_final: 1 });
    expect(describeSkips(stats)).toBe(`${path}: skipped 1 invalid json, 1 invalid schema, 1 torn final lines`);
  });

  it("salvages a whole line glued onto a torn one", async () => {
    const path = join(tmp(), "x.jsonl");
    writeFileSync(path, `${ev(0)}\n{"schema_version":1,"timestamp":"2026-11-2${ev(1)}\n${ev(2)}\n`);
    const { seen, stats } = await readAll(path);
    expect(seen).toEqual([0, 1, 2]);
    expect(stats.salvaged).toBe(1);
    expect(stats.skipped.invalid_json).toBe(1);
  });

  it("skips a line longer than the limit without holding it, and goes on", async () => {
    const path = join(tmp(), "x.jsonl");
    const huge = ev(1, { data: { output: "y".repeat(200_000) } as never });
    writeFileSync(path, `${ev(0)}\n${huge}\n${ev(2)}\n`);
    const { seen, stats } = await readAll(path, { maxLineBytes: 10_000 });
    expect(seen).toEqual([0, 2]);
    expect(stats.skipped.oversized).toBe(1);
  });

  it("skips a single 50 MB line with the default limit and keeps memory bounded", async () => {
    const path = join(tmp(), "big.jsonl");
    const big = ev(1, { data: { output: "z".repeat(50 * 1024 * 1024) } as never });
    writeFileSync(path, `${ev(0)}\n${big}\n${ev(2)}\n`);
    const before = process.memoryUsage().arrayBuffers;
    let peak = 0;
    const seen: number[] = [];
    for await (const batch of readRecords(path, { accept: acceptEvent })) {
      peak = Math.max(peak, process.memoryUsage().arrayBuffers - before);
      for (const e of batch) seen.push(e.sequence_num);
    }
    expect(seen).toEqual([0, 2]);
    expect(peak).toBeLessThan(40 * 1024 * 1024);
  });

  it("names a log that is a directory in its error (Node's EISDIR names no file)", async () => {
    const dir = join(tmp(), "agent-alerts.jsonl");
    mkdirSync(dir);
    await expect(readAll(dir)).rejects.toThrow(`${dir} is a directory, not a log file`);
  });

  it("parses a final line without newline when told the file is finished", async () => {
    const path = join(tmp(), "x.jsonl");
    writeFileSync(path, `${ev(0)}\n${ev(1)}`);
    expect((await readAll(path)).seen).toEqual([0]);
    expect((await readAll(path, { finalLine: "parse" })).seen).toEqual([0, 1]);
  });

  it("starts at a byte offset and reports where complete lines end", async () => {
    const path = join(tmp(), "x.jsonl");
    const first = `${ev(0)}\n`;
    writeFileSync(path, `${first}${ev(1)}\n${ev(2)}`);
    const { seen, stats } = await readAll(path, { start: Buffer.byteLength(first) });
    expect(seen).toEqual([1]);
    expect(stats.endOffset).toBe(Buffer.byteLength(`${first}${ev(1)}\n`));
  });

  it("counts a truncated gzip archive as one torn line and keeps what it read", async () => {
    const path = join(tmp(), "x.jsonl.gz");
    const gz = gzipSync(Array.from({ length: 2000 }, (_, i) => ev(i)).join("\n") + "\n");
    writeFileSync(path, gz.subarray(0, Math.floor(gz.length * 0.6)));
    const { seen, stats } = await readAll(path);
    expect(seen.length).toBeGreaterThan(100);
    expect(seen).toEqual([...Array(seen.length).keys()]);
    expect(stats.skipped.torn_final).toBe(1);
  });
});

describe("readLastLines", () => {
  it("returns the last n complete lines and the offset after them", async () => {
    const path = join(tmp(), "x.jsonl");
    const body = Array.from({ length: 5000 }, (_, i) => ev(i)).join("\n") + "\n";
    writeFileSync(path, `${body}{"partial`);
    const r = await readLastLines(path, 3);
    expect(r.lines.map((l) => JSON.parse(l).sequence_num)).toEqual([4997, 4998, 4999]);
    expect(r.endOffset).toBe(Buffer.byteLength(body));
    expect((await readLastLines(path, 0)).lines).toEqual([]);
  });
});
