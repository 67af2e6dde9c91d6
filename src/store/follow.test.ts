import { appendFileSync, mkdirSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { useTmpDir } from "../../test/helpers/tmp.js";
import { follow, type LinesInfo } from "./follow.js";

const tmp = useTmpDir();

describe("follow across a rotation", () => {
  it("reads the renamed file to its end, then the new one, and late lines written into the renamed file within the grace", async () => {
    const dir = tmp();
    const file = join(dir, "log.jsonl");
    mkdirSync(join(dir, "archive"));
    writeFileSync(file, "a\nb\n");
    const got: { line: string; from: LinesInfo["from"] }[] = [];
    const controller = new AbortController();
    const waitFor = (n: number) => expect.poll(() => got.length, { timeout: 5000, interval: 10 }).toBeGreaterThanOrEqual(n);
    const run = follow(file, {
      start: 0,
      pollMs: 50,
      rotationGraceMs: 2000,
      signal: controller.signal,
      onLines: (lines, _end, info) => {
        for (const line of lines) got.push({ line, from: info.from });
      },
    });
    await waitFor(2);
    const archived = join(dir, "archive", "log.1.jsonl");
    appendFileSync(file, "c\n"); // written just before the rename
    renameSync(file, archived);
    writeFileSync(file, "d\n");
    await waitFor(4);
    appendFileSync(archived, "late\n"); // a writer that has not noticed the rename yet
    await waitFor(5);
    appendFileSync(file, "e\n");
    await waitFor(6);
    controller.abort();
    await run;
    expect(got.map((g) => g.line)).toEqual(["a", "b", "c", "d", "late", "e"]);
    expect(got.find((g) => g.line === "late")!.from).toBe("previous");
    expect(got.find((g) => g.line === "e")!.from).toBe("current");
  });
});

describe("follow, line by line", () => {
  it("keeps a character cut by a read whole, and reports byte offsets exactly", async () => {
    const file = join(tmp(), "log.jsonl");
    // Two-, three- and four-byte characters, read 5 bytes at a time: every kind of cut happens.
    const lines = ["café → ok", "naïve 🚀 launch", "plain", "→→→", "ünïcödé at the end é"];
    writeFileSync(file, `${lines.join("\n")}\n`);
    const got: string[] = [];
    const ends: number[] = [];
    const controller = new AbortController();
    const run = follow(file, {
      start: 0,
      pollMs: 20,
      chunkBytes: 5,
      signal: controller.signal,
      onLines: (ls, end) => {
        got.push(...ls);
        ends.push(end);
      },
    });
    await expect.poll(() => got.length, { timeout: 5000, interval: 10 }).toBe(lines.length);
    controller.abort();
    await run;
    expect(got).toEqual(lines);
    expect(ends.at(-1)).toBe(Buffer.byteLength(`${lines.join("\n")}\n`));
    // Every offset handed over is just past a newline: where a restart would resume.
    const text = Buffer.from(`${lines.join("\n")}\n`);
    for (const end of ends) expect(text[end - 1]).toBe(0x0a);
  });
});
