// Appends the lines of a file to a log directory's stream, one O_APPEND write per line, as
// awl's writers do, at a given pace, optionally rotating the stream every `rotateEvery` lines
// the way `awl rotate` does (rename into archive/, keep writing to the old descriptor for a
// short lease, then the new file; gzip every other archive). Prints "done" at the end.
import { mkdirSync, readFileSync, renameSync, unlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { gzipSync } from "node:zlib";
import { closeQuietly, openAppend, writeAll } from "../../../src/store/fs.js";

const [logDir, input, perSecText = "0", rotateText = "0", leaseText = "50"] = process.argv.slice(2);
const perSec = Number(perSecText);
const rotateEvery = Number(rotateText);
const leaseMs = Number(leaseText);
const stream = join(logDir!, "agent-work-stream.jsonl");
const archive = join(logDir!, "archive");
const lines = readFileSync(input!, "utf8").split("\n").filter(Boolean);
let fd = openAppend(stream);
let rotations = 0;
const started = performance.now();
for (let i = 0; i < lines.length; i++) {
  writeAll(fd, `${lines[i]}\n`);
  if (rotateEvery > 0 && (i + 1) % rotateEvery === 0 && i + 1 < lines.length) {
    mkdirSync(archive, { recursive: true, mode: 0o700 });
    const stamp = new Date(Date.UTC(2026, 10, 25, 6, 0, 0, rotations)).toISOString().replace(/[:.]/g, "-");
    const target = join(archive, `agent-work-stream.${stamp}.jsonl`);
    renameSync(stream, target);
    // The lease: a few more lines still land in the renamed file.
    const until = performance.now() + leaseMs;
    while (performance.now() < until && i + 1 < lines.length && (i + 1) % rotateEvery < 3) {
      i++;
      writeAll(fd, `${lines[i]}\n`);
    }
    closeQuietly(fd);
    fd = openAppend(stream);
    if (rotations % 2 === 1) {
      writeFileSync(`${target}.gz.tmp`, gzipSync(readFileSync(target)));
      renameSync(`${target}.gz.tmp`, `${target}.gz`);
      unlinkSync(target);
    }
    rotations++;
  }
  if (perSec > 0) {
    const due = started + ((i + 1) * 1000) / perSec;
    const wait = due - performance.now();
    if (wait > 1) await sleep(wait);
  }
}
closeQuietly(fd);
process.stdout.write("done\n");
