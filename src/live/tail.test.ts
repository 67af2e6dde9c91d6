import { appendFileSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
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
