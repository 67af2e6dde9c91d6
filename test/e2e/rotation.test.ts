import { spawn } from "node:child_process";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config/index.js";
import { follow } from "../../src/store/follow.js";
import { logPaths } from "../../src/store/paths.js";
import { forEachEvent } from "../../src/store/reader.js";
import { historyFiles, rotateLogs } from "../../src/store/rotate.js";
import { useTmpDir } from "../helpers/tmp.js";

const tmp = useTmpDir();
const WORKER = join(import.meta.dirname, "workers", "append-for.ts");
/** How long the writers write while rotations run (the proof: 10 s). AWL_ROTATION_LOAD_MS shortens it. */
const DURATION_MS = Number(process.env.AWL_ROTATION_LOAD_MS ?? 10_000);
const WRITERS = 8;
const ROTATE_EVERY_MS = 100;

function writer(dir: string, id: number): Promise<{ shared: number; own: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", WORKER, dir, String(id), String(DURATION_MS), id % 2 ? "10" : "1"], { stdio: ["ignore", "pipe", "inherit"] });
    let out = "";
    child.stdout.on("data", (d) => (out += d));
    child.on("exit", (code) => (code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`writer ${id} exited ${code}`))));
  });
}

describe("rotation under load", () => {
  it(`${WRITERS} writer processes at full speed, a rotation every ${ROTATE_EVERY_MS} ms: live + archives hold every event once, and a follower saw each once`, { timeout: DURATION_MS * 6 + 60_000 }, async () => {
    const dir = tmp();
    const config = loadConfig({ env: { AGENT_WORK_LOG_DIR: dir }, cwd: dir });
    const paths = logPaths(dir);

    // The follower: from the start of the stream, through every rotation.
    const seen = new Map<string, number>();
    const controller = new AbortController();
    const following = follow(paths.stream, {
      start: 0,
      pollMs: 200,
      signal: controller.signal,
      rotation: { journal: paths.rotations, archiveDir: paths.archive },
      onLines: (lines) => {
        for (const line of lines) {
          if (!line) continue;
          const e = JSON.parse(line) as { attempt_id: string; sequence_num: number };
          const key = `${e.attempt_id}#${e.sequence_num}`;
          seen.set(key, (seen.get(key) ?? 0) + 1);
        }
      },
    });

    const writers = Array.from({ length: WRITERS }, (_, i) => writer(dir, i));
    let done = false;
    let rotations = 0;
    const allDone = Promise.all(writers).finally(() => {
      done = true;
    });
    while (!done) {
      const r = await rotateLogs(config, { force: true });
      if (r.rotated.length) rotations++;
      await new Promise((resolve) => setTimeout(resolve, ROTATE_EVERY_MS));
    }
    const counts = await allDone;
    // Compress what is left once the last writes are quiet.
    await rotateLogs(config, { force: true, waitForCompression: true });

    const shared = counts.reduce((n, c) => n + c.shared, 0);
    const total = counts.reduce((n, c) => n + c.shared + c.own, 0);
    const expected = new Set<string>();
    for (let s = 0; s < shared; s++) expected.add(`shared#${s}`);
    counts.forEach((c, i) => {
      for (let s = 0; s < c.own; s++) expected.add(`own-${i}#${s}`);
    });
    expect(expected.size).toBe(total);
    expect(rotations).toBeGreaterThan(DURATION_MS / ROTATE_EVERY_MS / 4);

    // Live files and archives, read as one history: every event exactly once.
    const files = historyFiles(paths, "agent-work-stream");
    expect(files.filter((f) => f.compressed).length).toBeGreaterThan(0);
    const stored = new Map<string, number>();
    let skipped = 0;
    for (const f of files) {
      const stats = await forEachEvent(f.path, (e) => {
        const key = `${e.attempt_id}#${e.sequence_num}`;
        stored.set(key, (stored.get(key) ?? 0) + 1);
      });
      skipped += stats.skipped.invalid_json + stats.skipped.invalid_schema + stats.skipped.torn_final;
    }
    expect(skipped).toBe(0);
    expect([...stored.values()].filter((n) => n !== 1)).toEqual([]);
    expect(stored.size).toBe(total);
    expect([...expected].filter((k) => !stored.has(k))).toEqual([]);

    // The error log too.
    let errors = 0;
    for (const f of historyFiles(paths, "agent-errors")) errors += (await forEachEvent(f.path, () => undefined)).records;
    expect(errors).toBeGreaterThan(0);

    // The follower: each event exactly once.
    const deadline = Date.now() + 30_000;
    while (seen.size < total && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    controller.abort();
    await following;
    if (seen.size !== total) {
      const missing = [...expected].filter((k) => !seen.has(k));
      console.log(`follower missed ${missing.length}: ${missing.slice(0, 10).join(", ")}`);
      const where = new Map<string, string>();
      for (const f of files) await forEachEvent(f.path, (e) => where.set(`${e.attempt_id}#${e.sequence_num}`, f.path.slice(dir.length + 1)));
      const files2 = new Map<string, number>();
      for (const k of missing) files2.set(where.get(k) ?? "?", (files2.get(where.get(k) ?? "?") ?? 0) + 1);
      console.log([...files2].map(([f, n]) => `${f}: ${n}`).join("\n"));
      const { readFileSync } = await import("node:fs");
      console.log(readFileSync(paths.rotations, "utf8").split("\n").slice(0, 5).join("\n"));
    }
    expect(seen.size).toBe(total);
    expect([...seen.values()].filter((n) => n !== 1)).toEqual([]);
    expect([...expected].filter((k) => !seen.has(k))).toEqual([]);
    console.log(`rotation under load: ${total} events by ${WRITERS} writers in ${DURATION_MS} ms, ${rotations} rotations, ${files.length} history files`);
  });
});
