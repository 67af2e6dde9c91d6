// The analyzer over history: events/s through all detectors on 1 M synthetic events (interleaved
// sessions, some looping), (a) the engine alone on parsed events and (b) the whole
// `awl watch --replay --once` path from the file (read, JSON.parse, validate, detect), against a
// bare read + JSON.parse of the same file in the same run. Peak RSS must follow the open sessions,
// not the events: the engine's state is measured after 100 k and after 1 M events.
import { closeSync, mkdtempSync, openSync, rmSync, writeSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DEFAULTS } from "../src/config/schema.js";
import { loadConfig } from "../src/config/index.js";
import { createAnalyzer } from "../src/monitor/analyzer.js";
import { watch } from "../src/monitor/watch.js";
import type { AwlEvent } from "../src/schema/index.js";
import { syntheticLines } from "../test/helpers/synthetic.js";
import { report } from "./report.js";

const N = Number(process.env.BENCH_REPLAY_EVENTS ?? 1_000_000);
const dir = mkdtempSync(join(tmpdir(), "awl-bench-replay-"));
const file = join(dir, "agent-work-stream.jsonl");
const fd = openSync(file, "w");
let chunk = "";
for (const line of syntheticLines({ events: N, concurrent: 200, seed: 3 })) {
  chunk += `${line}\n`;
  if (chunk.length > 8 << 20) {
    writeSync(fd, chunk);
    chunk = "";
  }
}
writeSync(fd, chunk);
closeSync(fd);

// (b) The whole watch path from the file, first, so its peak RSS is its own.
let t = performance.now();
const summary = await watch({ config: loadConfig({ flags: { logDir: dir }, env: {}, cwd: dir }), replay: true, once: true, dryRun: true });
const watchMs = performance.now() - t;
// Peak RSS of the process so far: file generation (8 MB chunks) and the whole watch path over N events.
const watchPeakMb = Math.round(process.resourceUsage().maxRSS / 1024);

// Baseline: read and JSON.parse every line.
t = performance.now();
const text = await readFile(file, "utf8");
const events: AwlEvent[] = [];
for (const line of text.split("\n")) if (line) events.push(JSON.parse(line) as AwlEvent);
const parseMs = performance.now() - t;

// (a) The engine alone.
const analyzer = createAnalyzer({ config: DEFAULTS.analyzer });
let alerts = 0;
let stateAt100k = 0;
t = performance.now();
for (let i = 0; i < events.length; i++) {
  alerts += analyzer.feed(events[i]!).length;
  if (i === 100_000) stateAt100k = JSON.stringify(analyzer.snapshot()).length;
}
const engineMs = performance.now() - t;
const stateAtEnd = JSON.stringify(analyzer.snapshot()).length;
events.length = 0;

rmSync(dir, { recursive: true, force: true });

const rate = (ms: number) => Math.round(N / (ms / 1000));
report("replay: all detectors over history", [
  { metric: "events", value: N },
  { metric: "alerts raised", value: alerts },
  { metric: "engine events/s (parsed events)", value: rate(engineMs), target: ">= 200,000" },
  { metric: "watch --replay events/s (read+parse+validate+detect)", value: rate(watchMs), target: ">= 200,000" },
  { metric: "baseline read+JSON.parse events/s", value: rate(parseMs) },
  { metric: "ratio watch / baseline throughput", value: (rate(watchMs) / rate(parseMs)).toFixed(2) },
  { metric: "watch path events / alerts", value: `${summary.events} / ${summary.alerts}` },
  { metric: "engine state bytes after 100 k events", value: stateAt100k },
  { metric: "engine state bytes at the end", value: stateAtEnd },
  { metric: "peak RSS MB of the watch path over all events", value: watchPeakMb, target: "flat in N" },
]);
