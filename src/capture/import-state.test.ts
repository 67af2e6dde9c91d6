import { appendFileSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { useTmpDir } from "../../test/helpers/tmp.js";
import { compactJournals, fileKey, ImportJournal, readFileStates, readResume } from "./import-state.js";

const tmp = useTmpDir();
const state = (size: number) => ({ size, mtimeMs: 1000 + size, head: `h${size}`, headBytes: 4096 });

describe("the import journals", () => {
  it("give each file's latest state and resume, and pass over a torn line", () => {
    const dir = tmp();
    const j = new ImportJournal(dir);
    j.record("/a.jsonl", state(1), JSON.stringify({ offset: 1 }));
    j.record("/b.jsonl", state(2), undefined);
    j.record("/a.jsonl", state(3), JSON.stringify({ offset: 3 }));
    j.close();
    appendFileSync(join(dir, "files.jsonl"), '{"path":"/c.jsonl","si');
    const states = readFileStates(dir);
    expect([...states.keys()]).toEqual(["/a.jsonl", "/b.jsonl"]);
    expect(states.get("/a.jsonl")).toMatchObject(state(3));
    expect(states.get("/b.jsonl")).toEqual(state(2));
    expect(readResume(dir, "/a.jsonl", states.get("/a.jsonl"))).toEqual({ offset: 3 });
    expect(readResume(dir, "/b.jsonl", states.get("/b.jsonl"))).toBeUndefined();
    // An offset whose line names another file (another process appended at once) is no resume.
    expect(readResume(dir, "/b.jsonl", states.get("/a.jsonl"))).toBeUndefined();
  });

  it("an empty state folder is no state at all", () => {
    expect(readFileStates(join(tmp(), "missing")).size).toBe(0);
    expect(readResume(join(tmp(), "missing"), "/a.jsonl", { ...state(1), resume: [0, 10] })).toBeUndefined();
  });

  it("are compacted to their latest lines once most lines are superseded", () => {
    const dir = tmp();
    const j = new ImportJournal(dir);
    const big = JSON.stringify({ pad: "x".repeat(20_000) });
    for (let round = 0; round < 500; round++) for (const f of ["/a.jsonl", "/b.jsonl", "/c.jsonl"]) j.record(f, state(round), f === "/c.jsonl" && round === 499 ? undefined : big);
    j.close();
    const before = readFileSync(join(dir, "files.jsonl"), "utf8").trim().split("\n").length;
    expect(before).toBe(1500);
    compactJournals(dir);
    const lines = readFileSync(join(dir, "files.jsonl"), "utf8").trim().split("\n");
    expect(lines).toHaveLength(3);
    expect(readFileStates(dir).get("/b.jsonl")).toMatchObject(state(499));
    // 30 MB of resume lines, two of them live (/c.jsonl is no longer resumable).
    const resume = readFileSync(join(dir, "resume.jsonl"), "utf8").trim().split("\n");
    expect(resume.map((l) => l.slice(0, l.indexOf(" ")))).toEqual([fileKey("/a.jsonl"), fileKey("/b.jsonl")]);
    expect(statSync(join(dir, "resume.jsonl")).size).toBeLessThan(100_000);
    const after = readFileStates(dir);
    expect(readResume(dir, "/a.jsonl", after.get("/a.jsonl"))).toEqual(JSON.parse(big));
    expect(readResume(dir, "/b.jsonl", after.get("/b.jsonl"))).toEqual(JSON.parse(big));
    expect(after.get("/c.jsonl")?.resume).toBeUndefined();
  });

  it("are left alone while most lines are live", () => {
    const dir = tmp();
    const j = new ImportJournal(dir);
    for (let i = 0; i < 50; i++) j.record(`/f${i}.jsonl`, state(i), undefined);
    j.record("/f1.jsonl", state(99), undefined);
    j.close();
    compactJournals(dir);
    expect(readFileSync(join(dir, "files.jsonl"), "utf8").trim().split("\n")).toHaveLength(51);
  });
});
