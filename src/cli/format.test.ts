import { describe, expect, it } from "vitest";
import { table } from "./format.js";

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
});
