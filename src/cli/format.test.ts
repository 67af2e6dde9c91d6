import { describe, expect, it } from "vitest";
import { cellText, table } from "./format.js";

describe("table", () => {
  it("pads columns to their widest cell, ANSI codes not counted", () => {
    expect(table(["A", "BB"], [["xxx", "\u001b[31my\u001b[39m"], ["z", ""]]).split("\n")).toEqual([
      "A    BB",
      "---  --",
      "xxx  \u001b[31my\u001b[39m",
      "z",
    ]);
  });

  it("lays out 200 000 rows (awl sql over a large result; a spread of the widths overflowed the stack)", () => {
    const rows = Array.from({ length: 200_000 }, (_, i) => [String(i)]);
    const lines = table(["n"], rows).split("\n");
    expect(lines).toHaveLength(200_002);
    expect(lines[1]).toBe("------");
    expect(lines.at(-1)).toBe("199999");
  });

  it.each([
    { text: "plain", shown: "plain" },
    { text: "two\nlines\r\nand\ttab", shown: "two lines  and tab" },
    { text: "clear \u001b[2Jscreen\u0007", shown: "clear [2Jscreen" },
    { text: "\u001b[31mred\u001b[39m kept", shown: "\u001b[31mred\u001b[39m kept" },
  ])("puts a cell on one line, without control characters but awl's colours: $text", ({ text, shown }) => {
    expect(cellText(text)).toBe(shown);
    expect(table(["x"], [[text]]).split("\n")).toHaveLength(3);
  });
});
