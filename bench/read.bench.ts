// The streaming reader over a large JSONL file (default 1 GiB, BENCH_READ_MB to change): MB/s and
// peak RSS, against a bare baseline (read chunks, split lines, JSON.parse) in the same run. Memory
// must stay bounded by the chunk size, not the file size.
import { closeSync, createReadStream, mkdtempSync, openSync, rmSync, statSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { forEachEvent } from "../src/store/reader.js";
import { report } from "./report.js";

const MB = Number(process.env.BENCH_READ_MB ?? 1024);
const dir = mkdtempSync(join(tmpdir(), "awl-bench-read-"));
const file = join(dir, "agent-work-stream.jsonl");

// Generate: real-shaped lines, one 8 MB write at a time.
const fd = openSync(file, "w");
let written = 0;
let seq = 0;
while (written < MB * 1024 * 1024) {
  let chunk = "";
  while (chunk.length < 8 * 1024 * 1024) {
    chunk += `${JSON.stringify({
      schema_version: 1,
      timestamp: new Date(1_764_000_000_000 + seq * 37).toISOString(),
      attempt_id: `ve-${seq % 50}-task`,
      executor: "CLAUDE",
      model: "claude-opus-4",
      event_type: "tool_result",
      data: { tool_name: "Bash", tool_call_id: `toolu_${seq}`, result: seq % 9 ? "success" : "error", duration_ms: seq % 5000, result_data: `ok ${"x".repeat(seq % 300)}` },
      elapsed_ms: seq * 37,
      sequence_num: seq,
    })}\n`;
    seq++;
  }
  writeSync(fd, chunk);
  written += Buffer.byteLength(chunk);
}
closeSync(fd);
const size = statSync(file).size;

async function baseline(): Promise<number> {
  const t0 = performance.now();
  let carry = "";
  let n = 0;
  for await (const chunk of createReadStream(file, { highWaterMark: 1 << 20, encoding: "utf8" })) {
    const lines = (carry + chunk).split("\n");
    carry = lines.pop() ?? "";
    for (const l of lines) if (JSON.parse(l)) n++;
  }
  if (n !== seq) throw new Error(`baseline read ${n} of ${seq}`);
  return (performance.now() - t0) / 1000;
}

async function awl(): Promise<number> {
  const t0 = performance.now();
  let n = 0;
  await forEachEvent(file, () => n++);
  if (n !== seq) throw new Error(`awl read ${n} of ${seq}`);
  return (performance.now() - t0) / 1000;
}

const rssBefore = process.memoryUsage().rss;
const tBase = await baseline();
const tAwl = await awl();
rmSync(dir, { recursive: true, force: true });
report("read", [
  { metric: "file MB", value: Math.round(size / 1048576) },
  { metric: "events", value: seq },
  { metric: "baseline split+JSON.parse MB/s", value: Math.round(size / 1048576 / tBase) },
  { metric: "awl reader (parse+validate) MB/s", value: Math.round(size / 1048576 / tAwl) },
  { metric: "ratio awl/baseline", value: +(tBase / tAwl).toFixed(2) },
  { metric: "RSS before reading MB", value: Math.round(rssBefore / 1048576) },
  { metric: "peak RSS MB", value: Math.round(process.resourceUsage().maxRSS / 1024), target: "bounded, independent of file size" },
]);
