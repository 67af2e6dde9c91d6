import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { eventInputSchema } from "./event.js";
import { MAX_DEPTH, nestsDeeperThan, parseEventInput, ValidationError } from "./validate.js";
import { EVENT_TYPES } from "./vocabulary.js";

// parseEventInput takes a cached, picked-down variant on its hot path; it must agree with the
// full schema on every value: the same output (key order included) and the same refusals.
const envelope = fc.record(
  {
    attempt_id: fc.oneof(fc.string(), fc.constant("")),
    session_id: fc.oneof(fc.string(), fc.constant(null)),
    task_title: fc.string(),
    executor: fc.oneof(fc.string(), fc.integer()),
    commits_ahead: fc.oneof(fc.nat(), fc.integer({ min: -3, max: -1 })),
    tags: fc.array(fc.string(), { maxLength: 2 }),
    timestamp: fc.oneof(fc.constant("2026-11-25T10:00:00.000Z"), fc.constant("yesterday")),
    unknown_field: fc.string(),
    event_type: fc.constantFrom(...EVENT_TYPES, "nonsense"),
    data: fc.oneof(
      fc.record({ output: fc.string(), tool_name: fc.string(), result: fc.constantFrom("success", "error", "ok"), error_message: fc.string(), completion_status: fc.constantFrom("success", "completed") }, { requiredKeys: [] }),
      fc.constant(null),
    ),
  },
  { requiredKeys: [] },
);

function outcome(f: () => unknown): { ok: true; value: string } | { ok: false; message: string } {
  try {
    return { ok: true, value: JSON.stringify(f()) };
  } catch (err) {
    return { ok: false, message: (err as Error).message };
  }
}

describe("parseEventInput", () => {
  it("agrees with the full schema on any value", () => {
    fc.assert(
      fc.property(envelope, (value) => {
        const fast = outcome(() => parseEventInput(value));
        const full = outcome(() => {
          const r = eventInputSchema.safeParse(value);
          if (!r.success) throw new ValidationError("event", r.error.issues);
          return r.data;
        });
        expect(fast).toEqual(full);
      }),
      { numRuns: 2000 },
    );
  });

  it("names the field and the reason on one line", () => {
    expect(() => parseEventInput({ attempt_id: "a", event_type: "tool_call", data: {} })).toThrow(/^invalid event: data\.tool_name: .*/);
    expect(() => parseEventInput({ event_type: "agent_output", data: { output: "x" } })).toThrow(/attempt_id/);
    expect(() => parseEventInput("nope")).toThrow(ValidationError);
  });
});

/** Objects (or arrays, alternately) `depth` deep. */
function nested(depth: number): unknown {
  let v: unknown = "leaf";
  for (let i = 0; i < depth; i++) v = i % 2 ? [v] : { a: v };
  return v;
}

describe("nesting depth", () => {
  it.each([
    { value: "text", limit: 0, deeper: false },
    { value: {}, limit: 1, deeper: false },
    { value: {}, limit: 0, deeper: true },
    { value: nested(10), limit: 10, deeper: false },
    { value: nested(11), limit: 10, deeper: true },
    { value: { wide: Array.from({ length: 10_000 }, (_, i) => ({ i })) }, limit: 2, deeper: true },
    { value: { wide: Array.from({ length: 10_000 }, (_, i) => ({ i })) }, limit: 3, deeper: false },
    { value: nested(100_000), limit: MAX_DEPTH, deeper: true },
  ])("limit $limit: deeper $deeper", ({ value, limit, deeper }) => {
    expect(nestsDeeperThan(value, limit)).toBe(deeper);
  });

  it("refuses an event whose data nests deeper than JSON.stringify could go, with one line", () => {
    const ok = { attempt_id: "a", event_type: "agent_output" as const, data: { output: "x", raw: nested(MAX_DEPTH - 1) } };
    expect(() => parseEventInput(ok)).not.toThrow();
    const deep = { ...ok, data: { output: "x", raw: nested(20_000) } };
    expect(() => JSON.stringify(deep)).toThrow(RangeError); // what the writer would have met
    expect(() => parseEventInput(deep)).toThrow(/^invalid event: data: nested deeper than 512 levels$/);
  });
});
