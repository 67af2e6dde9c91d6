import { describe, expect, it } from "vitest";
import { CallMemory, RecentMap, RecentSet } from "./bounded.js";

describe("RecentSet", () => {
  it.each([
    { cap: 3, add: ["a", "b", "c", "d"], kept: ["b", "c", "d"] },
    { cap: 3, add: ["a", "b", "a", "c", "d"], kept: ["b", "c", "d"] }, // adding again does not make "a" newer
    { cap: 1, add: ["a", "b"], kept: ["b"] },
    { cap: 5, add: ["a", "b"], kept: ["a", "b"] },
  ])("cap $cap, adding $add keeps $kept", ({ cap, add, kept }) => {
    const s = new RecentSet(cap);
    for (const k of add) s.add(k);
    expect(s.toJSON()).toEqual(kept);
    expect(s.size).toBe(kept.length);
    for (const k of add) expect(s.has(k)).toBe(kept.includes(k));
  });

  it("rebuilt from its JSON, it forgets in the same order", () => {
    const a = new RecentSet(3, ["x", "y", "z"]);
    const b = new RecentSet(3, JSON.parse(JSON.stringify(a)) as string[]);
    a.add("w");
    b.add("w");
    expect(b.toJSON()).toEqual(a.toJSON());
    expect(a.toJSON()).toEqual(["y", "z", "w"]);
  });
});

describe("RecentMap", () => {
  it("setting a key again replaces its value where it stands; the oldest goes first", () => {
    const m = new RecentMap<number>(2);
    m.set("a", 1);
    m.set("b", 2);
    m.set("a", 3);
    expect(m.toJSON()).toEqual([
      ["a", 3],
      ["b", 2],
    ]);
    m.set("c", 4);
    expect(m.toJSON()).toEqual([
      ["b", 2],
      ["c", 4],
    ]);
    expect(m.get("a")).toBeUndefined();
    expect(m.delete("b")).toBe(true);
    expect(m.size).toBe(1);
  });
});

describe("CallMemory", () => {
  it("a call waiting for its result is not pushed out by the many answered meanwhile", () => {
    const calls = new CallMemory<string>(4, 2);
    calls.open("task", "Task");
    for (let i = 0; i < 100; i++) {
      calls.open(`c${i}`, "Bash");
      calls.answer(`c${i}`);
    }
    expect(calls.get("task")).toBe("Task");
    expect(calls.get("c99")).toBe("Bash");
    expect(calls.get("c98")).toBe("Bash");
    expect(calls.get("c97")).toBeUndefined();
    expect(calls.toJSON()).toEqual({
      pending: [["task", "Task"]],
      answered: [
        ["c98", "Bash"],
        ["c99", "Bash"],
      ],
    });
  });

  it("a call opened again waits again; answering an unknown id changes nothing", () => {
    const calls = new CallMemory<string>(4, 4);
    calls.open("a", "Read");
    calls.answer("a");
    calls.open("a", "Write");
    expect(calls.toJSON()).toEqual({ pending: [["a", "Write"]], answered: [] });
    calls.answer("nope");
    expect(calls.toJSON()).toEqual({ pending: [["a", "Write"]], answered: [] });
  });

  it("beyond its window, the oldest waiting call is forgotten", () => {
    const calls = new CallMemory<number>(2, 2, { pending: [["a", 1], ["b", 2]], answered: [] });
    calls.open("c", 3);
    expect(calls.pending.toJSON()).toEqual([
      ["b", 2],
      ["c", 3],
    ]);
  });
});
