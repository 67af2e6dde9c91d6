// Detection latency: from the moment another process's write(2) of the event that completes an
// error loop returns, to the moment the alert line is on disk (appendAlertRecords returned), while
// that process writes 5 000 other events/s. Baseline in the same run: a bare fs.watch → read →
// JSON.parse of the same lines (in this process too), measured to the same completing lines.
import { spawn } from "node:child_process";
import { type FSWatcher, mkdtempSync, openSync, readSync, rmSync, watch as fsWatch, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { loadConfig } from "../src/config/index.js";
import { watch } from "../src/monitor/watch.js";
import { percentile, report } from "./report.js";

const LOOPS = Number(process.env.BENCH_LATENCY_ALERTS ?? 1200);
const BG = Number(process.env.BENCH_LATENCY_BG ?? 5000);
const EVERY = 10;
const dir = mkdtempSync(join(tmpdir(), "awl-bench-latency-"));
const stream = join(dir, "agent-work-stream.jsonl");
writeFileSync(stream, "");
const wall = () => performance.timeOrigin + performance.now();

const written = new Map<string, number>();
const alertAt = new Map<string, number>();
const parsedAt = new Map<string, number>();

// Baseline: fs.watch → read the new bytes → JSON.parse each line.
let pos = 0;
let carry = "";
const bfd = openSync(stream, "r");
const buf = Buffer.alloc(1 << 20);
const baseline: FSWatcher = fsWatch(dir, (_e, name) => {
  if (name !== "agent-work-stream.jsonl") return;
  for (;;) {
    const n = readSync(bfd, buf, 0, buf.length, pos);
    if (n <= 0) break;
    pos += n;
    const text = carry + buf.toString("utf8", 0, n);
    const nl = text.lastIndexOf("\n");
    carry = text.slice(nl + 1);
    if (nl === -1) continue;
    for (const l of text.slice(0, nl).split("\n")) {
      const e = JSON.parse(l) as { attempt_id: string; sequence_num: number };
      if (e.sequence_num === 4 && e.attempt_id.startsWith("loop-")) parsedAt.set(e.attempt_id, wall());
    }
  }
});

const controller = new AbortController();
const watching = watch({
  config: loadConfig({ flags: { logDir: dir }, env: {}, cwd: dir }),
  signal: controller.signal,
  checkpointMs: 1000,
  onAlert: (a) => {
    if (a.type === "error_loop" && a.attempt_id.startsWith("loop-")) alertAt.set(a.attempt_id, wall());
  },
});

const child = spawn(process.execPath, ["--import", "tsx", join(import.meta.dirname, "latency-writer.ts"), dir, String(BG), String(LOOPS), String(EVERY)], { stdio: ["ignore", "pipe", "inherit"] });
let bgWritten = 0;
let seconds = 0;
for await (const l of createInterface({ input: child.stdout! })) {
  const [a, b, c] = l.split(" ");
  if (a === "done") {
    bgWritten = Number(b);
    seconds = Number(c);
  } else written.set(a!, Number(b));
}
await new Promise((r) => setTimeout(r, 500));
controller.abort();
await watching;
baseline.close();
rmSync(dir, { recursive: true, force: true });

const lat = (m: Map<string, number>) =>
  [...written]
    .filter(([k]) => m.has(k))
    .map(([k, w]) => m.get(k)! - w)
    .sort((x, y) => x - y);
const awl = lat(alertAt);
const raw = lat(parsedAt);
const f = (x: number) => x.toFixed(2);
report("detect-latency: write of the completing event → alert line on disk", [
  { metric: "alerts measured", value: `${awl.length} of ${written.size}`, target: ">= 1,000" },
  { metric: "background events/s written", value: Math.round(bgWritten / seconds) },
  { metric: "awl watch p50 ms", value: f(percentile(awl, 50)) },
  { metric: "awl watch p99 ms", value: f(percentile(awl, 99)), target: "< 50" },
  { metric: "baseline fs.watch+read+parse p50 ms", value: f(percentile(raw, 50)) },
  { metric: "baseline fs.watch+read+parse p99 ms", value: f(percentile(raw, 99)) },
  { metric: "ratio p99 awl / baseline", value: f(percentile(awl, 99) / Math.max(percentile(raw, 99), 0.01)), target: "<= 3" },
  { metric: "ratio p50 awl / baseline", value: f(percentile(awl, 50) / Math.max(percentile(raw, 50), 0.01)) },
]);
