import { appendFileSync, mkdirSync, readFileSync, renameSync, statSync, unlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { useTmpDir } from "../../test/helpers/tmp.js";
import { type TailPosition, type TailStart, tail } from "./tail.js";

const tmp = useTmpDir("awl-tail-");

/** Reads what is there now (no follow) and returns every line handed over with the position after each batch. */
async function readOnce(dir: string, start: TailStart, over: { chunkBytes?: number; includeArchives?: boolean; onBatch?: (n: number) => void | Promise<void> } = {}) {
  const lines: string[] = [];
  const positions: { pos: TailPosition; count: number }[] = [];
  let last: TailPosition | undefined;
  await tail({
    path: join(dir, "agent-work-stream.jsonl"),
    archiveDir: join(dir, "archive"),
    start,
    includeArchives: over.includeArchives,
    follow: false,
    pollMs: 50,
    leaseMs: 0,
    chunkBytes: over.chunkBytes,
    onLines: async (batch, pos) => {
      lines.push(...batch);
      positions.push({ pos, count: lines.length });
      last = pos;
      await over.onBatch?.(positions.length);
    },
    onIdle: (pos) => {
      last = pos;
    },
  });
  return { lines, positions, last: last! };
}

// Agent output: check marks, emoji (4 bytes, a surrogate pair in JS), CJK, combining accents.
const LINES = Array.from({ length: 40 }, (_, i) => JSON.stringify({ n: i, text: `✓ step ${i} 🎉 完成了 ${"é".repeat(i % 5)} 💥🔥` }));

describe("multi-byte UTF-8 across read boundaries", () => {
  for (const chunkBytes of [1, 2, 3, 5, 7, 13, 64]) {
    it(`hands over intact lines and exact byte offsets with ${chunkBytes}-byte reads`, async () => {
      const dir = tmp();
      const file = join(dir, "agent-work-stream.jsonl");
      const text = `${LINES.join("\n")}\n`;
      writeFileSync(file, text);
      const total = Buffer.byteLength(text);
      const { lines, positions, last } = await readOnce(dir, "start", { chunkBytes });
      expect(lines).toEqual(LINES);
      expect(last.offset).toBe(total);
      // Every saved position, resumed from, yields exactly the rest: byte offsets, never string lengths.
      const bytes = readFileSync(file);
      for (const { pos, count } of positions) {
        expect(bytes.subarray(0, pos.offset).toString("utf8")).toBe(`${LINES.slice(0, count).join("\n")}\n`);
      }
      const mid = positions[Math.floor(positions.length / 2)]!;
      const rest = await readOnce(dir, mid.pos, { chunkBytes });
      expect(rest.lines).toEqual(LINES.slice(mid.count));
      expect(rest.last.offset).toBe(total);
    });
  }

  it("keeps a partial last line ending inside a character as bytes, and resumes before it", async () => {
    const dir = tmp();
    const file = join(dir, "agent-work-stream.jsonl");
    const full = Buffer.from(`${LINES[0]}\n{"text":"half 🎉✓"}\n`);
    // Cut inside the emoji of the second line: its first two bytes only.
    const cut = full.lastIndexOf(Buffer.from("🎉")) + 2;
    writeFileSync(file, full.subarray(0, cut));
    const first = await readOnce(dir, "start", { chunkBytes: 3 });
    expect(first.lines).toEqual([LINES[0]]);
    expect(first.last.offset).toBe(Buffer.byteLength(`${LINES[0]}\n`));
    appendFileSync(file, full.subarray(cut));
    const second = await readOnce(dir, first.last, { chunkBytes: 3 });
    expect(second.lines).toEqual(['{"text":"half 🎉✓"}']);
    expect(second.last.offset).toBe(full.length);
  });

  it("reads archives with small chunks intact too", async () => {
    const dir = tmp();
    mkdirSync(join(dir, "archive"));
    writeFileSync(join(dir, "archive", "agent-work-stream.2026-11-25T10-00-00-000Z.jsonl"), `${LINES.slice(0, 20).join("\n")}\n`);
    writeFileSync(join(dir, "agent-work-stream.jsonl"), `${LINES.slice(20).join("\n")}\n`);
    const { lines } = await readOnce(dir, "start", { chunkBytes: 5, includeArchives: true });
    expect(lines).toEqual(LINES);
  });
});

const ev = (name: string, n: number) => JSON.stringify({ file: name, n, text: `event ${n} of ${name} ✓` });
const stamp = (i: number) => `2026-11-25T10-${String(i).padStart(2, "0")}-00-000Z`;
const archived = (dir: string, i: number) => join(dir, "archive", `agent-work-stream.${stamp(i)}.jsonl`);

/** A history: `archives` archived files and a live file, each holding `per` events. */
function history(dir: string, archives: number, per: number): string[] {
  mkdirSync(join(dir, "archive"), { recursive: true });
  const all: string[] = [];
  for (let a = 0; a <= archives; a++) {
    const name = a < archives ? `a${a}` : "live0";
    const lines = Array.from({ length: per }, (_, n) => ev(name, n));
    all.push(...lines);
    writeFileSync(a < archives ? archived(dir, a) : join(dir, "agent-work-stream.jsonl"), `${lines.join("\n")}\n`);
  }
  return all;
}

/** What `rotateLogs` does: the live file renamed into archive/ under a later stamp, a new live file with more events. */
function rotate(dir: string, archiveIndex: number, newName: string, per: number): string[] {
  renameSync(join(dir, "agent-work-stream.jsonl"), archived(dir, archiveIndex));
  const lines = Array.from({ length: per }, (_, n) => ev(newName, n));
  writeFileSync(join(dir, "agent-work-stream.jsonl"), `${lines.join("\n")}\n`);
  return lines;
}

function gzipArchive(dir: string, i: number): void {
  writeFileSync(`${archived(dir, i)}.gz`, gzipSync(readFileSync(archived(dir, i))));
  unlinkSync(archived(dir, i));
}

describe("rotation while the history is being read", () => {
  it("a replay reads the live file rotated away mid-replay, and the new one, each event once", async () => {
    const dir = tmp();
    const expected = history(dir, 3, 6);
    const { lines } = await readOnce(dir, "start", {
      includeArchives: true,
      chunkBytes: 64,
      onBatch: (n) => {
        if (n === 1) expected.push(...rotate(dir, 10, "live1", 5));
      },
    });
    expect(lines).toEqual(expected);
  });

  it("two rotations and a gzip of a file already read, mid-replay: each event once, in order", async () => {
    const dir = tmp();
    const expected = history(dir, 2, 6);
    let fired = false;
    const { lines } = await readOnce(dir, "start", {
      includeArchives: true,
      chunkBytes: 64,
      onBatch: (n) => {
        if (n === 2) expected.push(...rotate(dir, 10, "live1", 4));
        if (n === 8) {
          fired = true;
          gzipArchive(dir, 0); // read already: not read again as .gz
          expected.push(...rotate(dir, 11, "live2", 3));
          gzipArchive(dir, 10); // not read yet: read from the .gz
        }
      },
    });
    expect(fired).toBe(true);
    expect(lines).toEqual(expected);
  });

  it("a resume from a position in an archived file follows a rotation made while it catches up", async () => {
    const dir = tmp();
    const all = history(dir, 3, 6);
    // A position after the 3rd event of the second archive, as a watcher saved it.
    const first = await readOnce(dir, "start", { includeArchives: true, chunkBytes: 1 << 16 });
    expect(first.lines).toEqual(all);
    const upTo = Buffer.byteLength(`${all.slice(6, 9).join("\n")}\n`);
    const { ino } = statSync(archived(dir, 1));
    const head = readFileSync(archived(dir, 1)).subarray(0, 64).toString("base64");
    const expected = all.slice(9);
    const { lines } = await readOnce(
      dir,
      { ino, offset: upTo, head },
      {
        chunkBytes: 64,
        onBatch: (n) => {
          if (n === 1) expected.push(...rotate(dir, 10, "live1", 5));
        },
      },
    );
    expect(lines).toEqual(expected);
  });

  it("a tail in the live file that sleeps through two rotations reads the file in between", async () => {
    const dir = tmp();
    const expected = history(dir, 1, 6).slice(6); // from the start of the live file, no archives
    const { lines } = await readOnce(dir, "start", {
      chunkBytes: 64,
      onBatch: (n) => {
        if (n === 1) {
          expected.push(...rotate(dir, 10, "live1", 4));
          expected.push(...rotate(dir, 11, "live2", 3));
        }
      },
    });
    expect(lines).toEqual(expected);
  });
});
