import { describe, expect, it } from "vitest";
import { LineCutter } from "./lines.js";

/** Feeds `text` to a cutter `size` bytes at a time; what it handed over, with offsets. */
function cut(text: string | Buffer, size: number, max?: number) {
  const bytes = typeof text === "string" ? Buffer.from(text) : text;
  const cutter = new LineCutter(0, max);
  const lines: [string, number][] = [];
  // One buffer reused for every read, as the file readers do: the cutter must copy what it keeps.
  const buf = Buffer.alloc(size);
  for (let at = 0; at < bytes.length; at += size) {
    const n = bytes.copy(buf, 0, at, at + size);
    cutter.push(buf.subarray(0, n), (line, end) => {
      lines.push([line, end]);
    });
  }
  return { lines, offset: cutter.offset, pending: cutter.pending, rest: cutter.rest(), oversized: cutter.oversized };
}

describe("LineCutter", () => {
  const multibyte = "café\nnaïve 🚀 launch\n→→→\nplain\n";
  it.each([1, 2, 3, 5, 7, 64])("keeps characters cut by a read whole (reads of %i bytes)", (size) => {
    const r = cut(multibyte, size);
    expect(r.lines.map(([l]) => l)).toEqual(["café", "naïve 🚀 launch", "→→→", "plain"]);
    // Every offset is just past a newline, in bytes.
    const bytes = Buffer.from(multibyte);
    for (const [, end] of r.lines) expect(bytes[end - 1]).toBe(0x0a);
    expect(r.offset).toBe(bytes.length);
  });

  it.each([
    { name: "a partial last line waits for its newline", text: "a\nb\npart", lines: ["a", "b"], offset: 4, pending: 4, rest: "part" },
    { name: "CRLF line ends lose their \\r", text: "a\r\nb\r\n", lines: ["a", "b"], offset: 6, pending: 0, rest: undefined },
    { name: "a \\r inside a line is kept", text: "a\rb\n", lines: ["a\rb"], offset: 4, pending: 0, rest: undefined },
    { name: "blank lines are lines (callers skip them)", text: "\n\na\n", lines: ["", "", "a"], offset: 4, pending: 0, rest: undefined },
    { name: "nothing", text: "", lines: [], offset: 0, pending: 0, rest: undefined },
  ])("$name", ({ text, lines, offset, pending, rest }) => {
    for (const size of [1, 3, 100]) {
      const r = cut(text, size);
      expect(r.lines.map(([l]) => l)).toEqual(lines);
      expect({ offset: r.offset, pending: r.pending, rest: r.rest }).toEqual({ offset, pending, rest });
    }
  });

  it("skips a line over the limit without holding it, counts it once, and goes on after it", () => {
    for (const size of [1, 4, 7, 1000]) {
      const r = cut("ok\n0123456789abcdef\nnext\n", size, 8);
      expect(r.lines).toEqual([
        ["ok", 3],
        ["next", 25],
      ]);
      expect(r.oversized).toBe(1);
    }
    // Still unfinished at the end: counted, and no partial line is offered.
    const open = cut("ok\n0123456789abcdef", 4, 8);
    expect({ oversized: open.oversized, rest: open.rest, offset: open.offset, pending: open.pending }).toEqual({ oversized: 1, rest: undefined, offset: 3, pending: 16 });
  });

  it("a line exactly at the limit is kept", () => {
    expect(cut("12345678\n", 3, 8).lines).toEqual([["12345678", 9]]);
  });

  it("stops where the caller says, and resumes from its offset", () => {
    const cutter = new LineCutter(100);
    const seen: string[] = [];
    const whole = cutter.push(Buffer.from("a\nb\nc\n"), (line) => {
      seen.push(line);
      return line !== "b";
    });
    expect(whole).toBe(false);
    expect(seen).toEqual(["a", "b"]);
    expect(cutter.offset).toBe(104);
    cutter.reset(0);
    expect({ offset: cutter.offset, pending: cutter.pending, rest: cutter.rest() }).toEqual({ offset: 0, pending: 0, rest: undefined });
  });

  it("decodes invalid UTF-8 as replacement characters, line by line", () => {
    const r = cut(Buffer.from([0x61, 0xff, 0x0a, 0xe2, 0x82, 0x0a, 0x62, 0x0a]), 1);
    expect(r.lines.map(([l]) => l)).toEqual(["a\ufffd", "\ufffd", "b"]);
  });
});
