import { appendFileSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { useTmpDir } from "../../test/helpers/tmp.js";
import { ValidationError } from "../schema/index.js";
import { logPaths } from "../store/paths.js";
import { appendActionRecords, readAlertRecords } from "./alerts-log.js";

const tmp = useTmpDir();

describe("appendActionRecords", () => {
  it("appends validated action records as whole lines, redacting what they carry", () => {
    const paths = logPaths(tmp());
    const out = appendActionRecords(
      paths,
      [
        { alert_id: "a1", attempt_id: "ve-1", action: "notify", status: "ok", detail: "telegram message 3" },
        { alert_id: "a1", attempt_id: "ve-1", action: "hook", status: "failed", exit_code: 2, error: "leaked ghp_R7x2Kq9LmZ4vW1nB8cT5yH3jD6fG0sA2pQeX" },
      ],
      () => Date.parse("2026-11-25T10:00:00Z"),
    );
    expect(out).toHaveLength(2);
    const lines = readFileSync(paths.alerts, "utf8").split("\n");
    expect(lines.pop()).toBe("");
    expect(lines.map((l) => JSON.parse(l).record_type)).toEqual(["action", "action"]);
    expect(JSON.parse(lines[0]!)).toMatchObject({ timestamp: "2026-11-25T10:00:00.000Z", schema_version: 1, action: "notify", status: "ok" });
    expect(lines[1]).not.toContain("ghp_R7x2");
    expect(lines[1]).toContain("[REDACTED");
  });

  it("refuses a record outside the vocabulary and writes nothing of the batch", () => {
    const paths = logPaths(tmp());
    const bad = () =>
      appendActionRecords(paths, [
        { alert_id: "a", attempt_id: "b", action: "notify", status: "ok" },
        { alert_id: "a", attempt_id: "b", action: "email" as never, status: "ok" },
      ]);
    expect(bad).toThrow(ValidationError);
    expect(() => readFileSync(paths.alerts)).toThrow(/ENOENT/);
    expect(appendActionRecords(paths, [])).toEqual([]);
  });
});

describe("appendAlertRecords after a writer died mid-line", () => {
  it("starts on a line of its own: the torn bytes are skipped by readers, the new record is whole", async () => {
    const paths = logPaths(tmp());
    appendActionRecords(paths, [{ alert_id: "a1", attempt_id: "ve-1", action: "notify", status: "ok" }]);
    const whole = readFileSync(paths.alerts, "utf8");
    // A kill -9 in the middle of the next write: half a record, no newline.
    appendFileSync(paths.alerts, whole.slice(0, 40));
    appendActionRecords(paths, [{ alert_id: "a2", attempt_id: "ve-1", action: "notify", status: "ok" }]);
    const { records, stats } = await readAlertRecords(paths);
    expect(records.map((r) => r.alert_id)).toEqual(["a1", "a2"]);
    expect(stats.skipped.invalid_json).toBe(1);
    expect(readFileSync(paths.alerts, "utf8").split("\n")[1]).toBe(whole.slice(0, 40));
  });
});
