import { readFileSync, statSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { useTmpDir } from "../../../test/helpers/tmp.js";
import { DEMO_SESSIONS, latestTime, shiftLine, stageTranscripts } from "./transcripts.js";

const tmp = useTmpDir("awl-demo-stage-");
const H = 3_600_000;

describe("shiftLine", () => {
  it.each([
    ["an ISO time anywhere", '{"a":{"timestamp":"2026-11-24T21:00:00.000Z"}}', '{"a":{"timestamp":"2026-11-24T22:00:00.000Z"}}'],
    ["times in arrays, offsets normalized to UTC", '{"t":["2026-11-24T21:00:00+01:00"]}', '{"t":["2026-11-24T21:00:00.000Z"]}'],
    ["epoch seconds under …_at", '{"completed_at":1795554233}', '{"completed_at":1795557833}'],
    ["epoch milliseconds under …_at_ms", '{"completed_at_ms":1795554204147}', '{"completed_at_ms":1795557804147}'],
    ["text that only looks like a date stays", '{"text":"on 2026-11-24T21:00:00Z we pushed","n":1795554233}', '{"text":"on 2026-11-24T21:00:00Z we pushed","n":1795554233}'],
    ["a line that is not JSON stays", "not json 2026-11-24T21:00:00Z", "not json 2026-11-24T21:00:00Z"],
  ])("%s", (_, line, want) => {
    expect(shiftLine(line, H)).toBe(want);
  });

  it("latestTime finds the last time named, or none", () => {
    expect(latestTime(['{"a":"2026-11-24T21:00:00Z"}', "junk", '{"b":{"c":"2026-11-24T23:00:00.5Z"}}'])).toBe(Date.parse("2026-11-24T23:00:00.500Z"));
    expect(latestTime(['{"a":1}'])).toBeUndefined();
  });
});

describe("stageTranscripts", () => {
  it("writes shifted copies whose sessions end when planned, each dated by its session's new end", () => {
    const dir = tmp();
    const now = Date.parse("2027-03-01T12:00:00Z");
    const files = stageTranscripts(dir, now);
    expect(files).toHaveLength(DEMO_SESSIONS.length * 2);
    for (const [i, s] of DEMO_SESSIONS.entries()) {
      const pair = files.slice(2 * i, 2 * i + 2);
      const end = latestTime(pair.flatMap((f) => readFileSync(f, "utf8").split("\n")));
      expect(end, `${s.agent}/${s.scenario}`).toBe(now - s.endsAgoMs);
      for (const f of pair) expect(statSync(f).mtimeMs).toBe(now - s.endsAgoMs);
    }
    // The last session ends a minute before now; the first within three days.
    expect(Math.min(...DEMO_SESSIONS.map((s) => s.endsAgoMs))).toBe(60_000);
    expect(Math.max(...DEMO_SESSIONS.map((s) => s.endsAgoMs))).toBeLessThan(72 * H);
  });

  it("names the missing file when the bundle is incomplete", () => {
    expect(() => stageTranscripts(tmp(), Date.now(), tmp())).toThrow(/bundled transcript claude\/success\.session\.jsonl is missing .*reinstall awl/);
  });
});
