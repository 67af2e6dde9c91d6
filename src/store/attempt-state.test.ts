import { closeSync, openSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { useTmpDir } from "../../test/helpers/tmp.js";
import { tailState } from "./attempt-state.js";

const tmp = useTmpDir("awl-attempt-state-");

const event = (seq: number, timestamp: string, elapsed: number, pad = "") =>
  `${JSON.stringify({ schema_version: 1, timestamp, attempt_id: "a", event_type: "agent_output", data: { output: pad }, elapsed_ms: elapsed, sequence_num: seq })}\n`;

describe("tailState", () => {
  const long = "x".repeat(300 * 1024); // longer than the first window read back
  it.each([
    { name: "an empty file", text: "", nextSeq: 0, startMs: undefined, torn: false },
    { name: "one event", text: event(0, "2026-11-25T10:00:00.000Z", 0), nextSeq: 1, startMs: Date.parse("2026-11-25T10:00:00.000Z"), torn: false },
    {
      name: "the start is the last event's time less its elapsed_ms (a file continuing an archived one)",
      text: event(7, "2026-11-25T10:00:05.000Z", 5000) + event(8, "2026-11-25T10:00:09.500Z", 9500),
      nextSeq: 9,
      startMs: Date.parse("2026-11-25T10:00:00.000Z"),
      torn: false,
    },
    {
      name: "a torn last line is skipped and reported",
      text: `${event(0, "2026-11-25T10:00:00.000Z", 0)}${event(1, "2026-11-25T10:00:01.000Z", 1000)}{"schema_version":1,"timest`,
      nextSeq: 2,
      startMs: Date.parse("2026-11-25T10:00:00.000Z"),
      torn: true,
    },
    {
      name: "lines that are no event are passed over",
      text: `${event(3, "2026-11-25T10:00:03.000Z", 3000)}not json\n{"foreign":true}\n\n`,
      nextSeq: 4,
      startMs: Date.parse("2026-11-25T10:00:00.000Z"),
      torn: false,
    },
    {
      name: "a last event longer than the first window",
      text: event(0, "2026-11-25T10:00:00.000Z", 0) + event(1, "2026-11-25T10:00:02.000Z", 2000, long),
      nextSeq: 2,
      startMs: Date.parse("2026-11-25T10:00:00.000Z"),
      torn: false,
    },
    {
      name: "the event before a torn line longer than the window",
      text: event(4, "2026-11-25T10:00:04.000Z", 4000) + long,
      nextSeq: 5,
      startMs: Date.parse("2026-11-25T10:00:00.000Z"),
      torn: true,
    },
    { name: "no event at all", text: `junk\n${long}\n`, nextSeq: 0, startMs: undefined, torn: false },
  ])("$name", ({ text, nextSeq, startMs, torn }) => {
    const path = join(tmp(), "a.jsonl");
    writeFileSync(path, text);
    const fd = openSync(path, "r");
    try {
      const size = Buffer.byteLength(text);
      expect(tailState(fd, size, 42)).toEqual({ size, ino: 42, nextSeq, startMs, torn });
    } finally {
      closeSync(fd);
    }
  });
});
