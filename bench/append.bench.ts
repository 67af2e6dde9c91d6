// Append throughput of the full write path (validate + sequence + redact + 3-file fan-out)
// against a raw fs.writeSync fan-out of the same lines, measured in the same run.
// Run: npm run bench -- append   (or: npx tsx bench/append.bench.ts)
import { closeSync, mkdirSync, mkdtempSync, openSync, rmSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type EventInput, parseEventInput } from "../src/schema/index.js";
import { mayContainSecret, redactValue } from "../src/store/redact.js";
import { LogWriter } from "../src/store/writer.js";
import { report } from "./report.js";

const N = Number(process.env.BENCH_EVENTS ?? 200_000);
const ATTEMPTS = 20;
const ROUNDS = 3;

function makeEvents(n: number): EventInput[] {
  const out: EventInput[] = [];
  for (let i = 0; i < n; i++) {
    const attempt_id = `ve-${(i % ATTEMPTS).toString(16)}-bench-task`;
    const base = { attempt_id, session_id: "0d8c7e6a-2f1b-4c55-9e1d-7a6b5c4d3e2f", task_id: `task-${i % ATTEMPTS}`, executor: "CODEX", model: "gpt-5-codex" };
    const k = i % 10;
    if (k < 4)
      out.push({ ...base, event_type: "tool_call", data: { tool_name: "Bash", tool_call_id: `call_${i}`, tool_params: { command: `npm test -- --run src/module-${i % 97}.test.ts`, timeout: 120000 } } });
    else if (k < 8)
      out.push({ ...base, event_type: "tool_result", data: { tool_name: "Bash", tool_call_id: `call_${i - 4}`, result: "success", duration_ms: 1234, result_data: `PASS src/module-${i % 97}.test.ts (12 tests) 340ms\nTest Files 1 passed (1)` } });
    else if (k === 8)
      out.push({ ...base, event_type: "agent_output", data: { output: `I updated src/module-${i % 97}.ts to handle the empty case and re-ran the tests; all pass now. Next I will look at the remaining failure in the parser.` } });
    else
      out.push({ ...base, event_type: "error", data: { error_message: `Error: Cannot find module './util-${i % 13}.js' imported from /work/repo/src/index.ts`, error_fingerprint: "tmpl_3f9a1c2b7d4e", error_category: "file_not_found", error_source: "tool" } });
  }
  return out;
}

const BATCH = 50;

function fullPath(events: EventInput[], dir: string, batch: number): number {
  const w = new LogWriter({ logDir: dir, now: () => 1_764_000_000_000 });
  const t0 = process.hrtime.bigint();
  if (batch === 1) for (const e of events) w.append(e);
  else for (let i = 0; i < events.length; i += batch) w.append(events.slice(i, i + batch));
  w.close();
  return Number(process.hrtime.bigint() - t0) / 1e9;
}

// The same lines the writer produced, fanned out by bare writeSync calls (the floor of any
// writer): one line per write, or, batched, the same batch's lines per file in one write.
function rawFanOut(lines: { attempt: string; line: string; error: boolean }[], dir: string, batch: number): number {
  mkdirSync(join(dir, "agent-sessions"), { recursive: true });
  const t0 = process.hrtime.bigint();
  const stream = openSync(join(dir, "agent-work-stream.jsonl"), "a");
  const errors = openSync(join(dir, "agent-errors.jsonl"), "a");
  const sessions = new Map<string, number>();
  for (let i = 0; i < lines.length; i += batch) {
    const perFile = new Map<number, string>();
    const add = (fd: number, line: string) => perFile.set(fd, (perFile.get(fd) ?? "") + line);
    for (const { attempt, line, error } of lines.slice(i, i + batch)) {
      let fd = sessions.get(attempt);
      if (fd === undefined) {
        fd = openSync(join(dir, "agent-sessions", `${attempt}.jsonl`), "a");
        sessions.set(attempt, fd);
      }
      if (batch === 1) {
        writeSync(fd, line);
        writeSync(stream, line);
        if (error) writeSync(errors, line);
      } else {
        add(fd, line);
        add(stream, line);
        if (error) add(errors, line);
      }
    }
    for (const [fd, text] of perFile) writeSync(fd, text);
  }
  for (const fd of [stream, errors, ...sessions.values()]) closeSync(fd);
  return Number(process.hrtime.bigint() - t0) / 1e9;
}

const events = makeEvents(N);
const probeDir = mkdtempSync(join(tmpdir(), "awl-bench-"));
const probe = new LogWriter({ logDir: probeDir, now: () => 1_764_000_000_000 });
const lines = events.map((e) => {
  const [w] = probe.append(e);
  return { attempt: e.attempt_id, line: `${JSON.stringify(w)}\n`, error: e.event_type === "error" };
});
probe.close();
rmSync(probeDir, { recursive: true, force: true });
const bytes = lines.reduce((s, l) => s + l.line.length, 0);

const best = { full: Infinity, raw: Infinity, fullBatch: Infinity, rawBatch: Infinity };
for (let r = 0; r < ROUNDS; r++) {
  for (const which of ["raw", "full", "rawBatch", "fullBatch"] as const) {
    const dir = mkdtempSync(join(tmpdir(), "awl-bench-"));
    const batch = which.endsWith("Batch") ? BATCH : 1;
    const secs = which.startsWith("raw") ? rawFanOut(lines, dir, batch) : fullPath(events, dir, batch);
    best[which] = Math.min(best[which], secs);
    rmSync(dir, { recursive: true, force: true });
  }
}

// What the ratio stands for ("redaction and validation cost at most half"), measured
// directly: the same events through the validator and the redactor alone (the prefilter on
// every serialized line, the full redaction where it fires), against the full path's time.
let checks = Infinity;
for (let r = 0; r < ROUNDS; r++) {
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < events.length; i++) {
    const v = parseEventInput(events[i]);
    if (mayContainSecret(lines[i]!.line)) redactValue(v);
  }
  checks = Math.min(checks, Number(process.hrtime.bigint() - t0) / 1e9);
}

report("append", [
  { metric: "events", value: N },
  { metric: "avg line bytes", value: Math.round(bytes / N) },
  { metric: "one event per call: raw writeSync fan-out events/s", value: Math.round(N / best.raw) },
  { metric: "one event per call: awl full path events/s", value: Math.round(N / best.full), target: ">= 50000" },
  { metric: "one event per call: ratio full/raw", value: +(best.raw / best.full).toFixed(2), target: ">= 0.5" },
  { metric: "validation + redaction alone, share of the full path's time", value: +(checks / best.full).toFixed(2), target: "<= 0.5" },
  { metric: `batches of ${BATCH}: raw fan-out events/s`, value: Math.round(N / best.rawBatch) },
  { metric: `batches of ${BATCH}: awl full path events/s`, value: Math.round(N / best.fullBatch) },
  { metric: `batches of ${BATCH}: ratio full/raw`, value: +(best.rawBatch / best.fullBatch).toFixed(2) },
  { metric: "peak RSS MB (holds the 200k events and lines)", value: Math.round(process.resourceUsage().maxRSS / 1024) },
]);
