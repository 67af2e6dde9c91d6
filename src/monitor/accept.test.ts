import { describe, expect, it } from "vitest";
import { acceptEvent } from "../store/reader.js";
import { syntheticLines } from "../../test/helpers/synthetic.js";
import { acceptForAnalysis } from "./accept.js";

const base = { timestamp: "2026-11-25T06:00:00Z", attempt_id: "a", event_type: "error", data: { error_message: "x" }, elapsed_ms: 0, sequence_num: 0 };

describe("acceptForAnalysis", () => {
  it("accepts what the full schema accepts on well-formed stream lines", () => {
    for (const line of syntheticLines({ events: 2000 })) {
      const v = JSON.parse(line);
      expect(acceptForAnalysis(JSON.parse(line))).toEqual(v);
      expect(acceptEvent(v)).toBeDefined();
    }
  });

  it.each([
    ["no attempt", { ...base, attempt_id: undefined }],
    ["empty attempt", { ...base, attempt_id: "" }],
    ["unknown type", { ...base, event_type: "nope" }],
    ["negative sequence", { ...base, sequence_num: -1 }],
    ["bad time", { ...base, timestamp: "yesterday" }],
    ["data not an object", { ...base, data: "x" }],
    ["error without message", { ...base, data: {} }],
    ["tool_call without tool", { ...base, event_type: "tool_call", data: {} }],
    ["unknown completion status", { ...base, event_type: "session_end", data: { completion_status: "completed" } }],
    ["executor not a string", { ...base, executor: 5 }],
  ])("refuses a line with %s", (_n, v) => {
    expect(acceptForAnalysis(v)).toBeUndefined();
    expect(acceptEvent(v)).toBeUndefined();
  });

  it("drops data fields of the wrong type rather than trusting them", () => {
    const e = acceptForAnalysis({ ...base, data: { error_message: "x", error_fingerprint: 5, error_category: "nonsense", http_status: "529" } });
    expect(e?.data).toEqual({ error_message: "x" });
    const o = acceptForAnalysis({ ...base, event_type: "agent_output", data: { output: "", usage: { input: "1000", output: 5 } } });
    expect(o?.data).toEqual({ output: "", usage: { output: 5 } });
  });
});
