// Writer process for the detection-latency bench: appends `bg` background events/s of ordinary
// work to the stream (one O_APPEND write per line) and, every `everyMs`, completes an error loop
// in a fresh attempt (its 4th identical error). For each completing line it prints
// "<attempt> <wall ms when write(2) returned>" on stdout.
import { join } from "node:path";
import { openAppend, writeAll } from "../src/store/fs.js";
import { syntheticLines } from "../test/helpers/synthetic.js";

const [logDir, bgText, loopsText, everyText] = process.argv.slice(2);
const bg = Number(bgText);
const loops = Number(loopsText);
const everyMs = Number(everyText);
const fd = openAppend(join(logDir!, "agent-work-stream.jsonl"));
const wall = () => performance.timeOrigin + performance.now();
const background = syntheticLines({ events: 10_000_000, concurrent: 200, seed: 9, startMs: Date.now(), stepMs: 0 });
const line = (attempt: string, seq: number, type: string, data: unknown) =>
  `${JSON.stringify({ schema_version: 1, timestamp: new Date().toISOString(), attempt_id: attempt, executor: "CLAUDE", event_type: type, data, elapsed_ms: 0, sequence_num: seq })}\n`;
const err = { error_message: "fatal: 'origin' does not appear to be a git repository", error_fingerprint: "git_remote_not_found", error_category: "git", error_source: "tool" };
const start = wall();
let bgWritten = 0;
let out = "";
for (let k = 0; k < loops; k++) {
  const attempt = `loop-${k}`;
  writeAll(fd, line(attempt, 0, "session_start", {}) + line(attempt, 1, "error", err) + line(attempt, 2, "error", err) + line(attempt, 3, "error", err));
  // Background events up to now, one write each.
  const due = ((wall() - start) / 1000) * bg;
  while (bgWritten < due) {
    writeAll(fd, `${background.next().value}\n`);
    bgWritten++;
  }
  const last = line(attempt, 4, "error", err);
  writeAll(fd, last);
  out += `${attempt} ${wall()}\n`;
  if (out.length > 4096) {
    process.stdout.write(out);
    out = "";
  }
  const next = start + (k + 1) * everyMs;
  while (wall() < next) {
    const d = ((wall() - start) / 1000) * bg;
    while (bgWritten < d) {
      writeAll(fd, `${background.next().value}\n`);
      bgWritten++;
    }
    await new Promise((r) => setTimeout(r, 1));
  }
}
process.stdout.write(`${out}done ${bgWritten} ${(wall() - start) / 1000}\n`);
