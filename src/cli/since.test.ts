import { describe, expect, it } from "vitest";
import { parseSince } from "./since.js";

const NOW = Date.parse("2026-11-25T12:00:00Z");

describe("parseSince", () => {
  it.each([
    ["30m", "2026-11-25T11:30:00.000Z"],
    ["7d", "2026-11-18T12:00:00.000Z"],
    ["2026-11-20", "2026-11-20T00:00:00.000Z"],
    ["2024-02-29T06:00:00Z", "2024-02-29T06:00:00.000Z"],
  ])("%s is %s", (value, iso) => {
    expect(parseSince("--since", value, NOW).toISOString()).toBe(iso);
  });

  it.each([
    // Date.parse takes these for 2 and 3 March: a typo would filter a different range, silently.
    ["2026-02-30", /expected an ISO date/],
    ["2026-04-31T00:00:00Z", /expected an ISO date/],
    ["2026-13-45", /expected an ISO date/],
    // An invalid Date: every alert compared with it false, so "no alerts" whatever the log held.
    ["99999999999d", /^--since "99999999999d": too far back$/],
  ])("refuses %s with one line", (value, message) => {
    expect(() => parseSince("--since", value, NOW)).toThrow(message);
  });
});
