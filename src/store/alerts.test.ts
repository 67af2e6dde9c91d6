import { describe, expect, it } from "vitest";
import { makeAlert } from "../../test/helpers/alerts.js";
import type { AlertActionRecord } from "../schema/index.js";
import { collectAlerts } from "./alerts.js";

const act = (alert_id: string, timestamp: string, action: AlertActionRecord["action"] = "notify"): AlertActionRecord =>
  ({ record_type: "action", timestamp, alert_id, attempt_id: "ve-1", action, status: "ok" }) as AlertActionRecord;

describe("collectAlerts", () => {
  it("keeps an alert's first line, joins its actions wherever they are, in time order, and drops actions of no alert", () => {
    const a = makeAlert({ alert_id: "al-a", message: "first" });
    const b = makeAlert({ alert_id: "al-b" });
    const out = collectAlerts([
      act("al-a", "2026-11-25T10:05:00.000Z", "intervene"),
      a,
      b,
      act("al-a", "2026-11-25T10:04:30.000Z"),
      { ...a, message: "second line" },
      act("al-zz", "2026-11-25T10:06:00.000Z"),
    ]);
    expect(out.map((x) => [x.alert_id, x.message])).toEqual([
      ["al-a", "first"],
      ["al-b", b.message],
    ]);
    expect(out[0]!.actions.map((x) => x.action)).toEqual(["notify", "intervene"]);
    expect(out[1]!.actions).toEqual([]);
  });
});
