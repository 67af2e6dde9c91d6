import { resolve, sep } from "node:path";
import { describe, expect, it } from "vitest";
import { FakeSecrets } from "./redact-corpus.js";
import { attemptFileName, logPaths, sessionFile } from "./paths.js";

// Every shape of attempt id a user or agent has been seen to send, and the ones an attacker would.
const hostile: [string, string][] = [
  ["parent traversal", "../../x"],
  ["absolute path", "/etc/passwd"],
  ["nested path", "a/b"],
  ["windows path", "C:\\x"],
  ["windows device", "CON"],
  ["windows device with extension", "nul.txt"],
  ["NUL byte", "a\0b"],
  ["10 000 characters", "x".repeat(10_000)],
  ["emoji", "🚀 launch"],
  ["dot", "."],
  ["dot dot", ".."],
  ["hidden file", ".bashrc"],
  ["only separators", "///"],
  ["spaces", "  task 1  "],
  ["newline", "a\nb"],
  ["81 safe characters", "a".repeat(81)],
  ["unicode letters", "tâche-été"],
];

describe("attemptFileName", () => {
  it.each(hostile)("%s: lands inside agent-sessions/ under a plain name", (_label, id) => {
    const name = attemptFileName(id);
    expect(name).toMatch(/^[A-Za-z0-9][A-Za-z0-9._-]*$/);
    expect(name.length).toBeLessThanOrEqual(80 + 1 + 12);
    const paths = logPaths("/logs");
    const file = sessionFile(paths, id);
    expect(resolve(file).startsWith(resolve(paths.sessions) + sep)).toBe(true);
    expect(resolve(file)).toBe(resolve(paths.sessions, `${name}.jsonl`));
  });

  it.each([
    ["ve-a1b2c3-task-slug"],
    ["2c0bd1a4-6b67-4b5e-8d55-1a2b3c4d5e6f"],
    ["Task_42.retry-1"],
    ["a".repeat(80)],
  ])("keeps a safe id as it is: %s", (id) => {
    expect(attemptFileName(id)).toBe(id);
  });

  it("is stable and keeps a readable part", () => {
    expect(attemptFileName("../../x")).toBe(attemptFileName("../../x"));
    expect(attemptFileName("feature/login page")).toMatch(/^feature_login_page-[0-9a-f]{12}$/);
  });

  it("never maps two different ids to one file", () => {
    const ids = [...hostile.map(([, id]) => id), "a_b", "a/b", "a\\b", "a b", "x", "./x", "x/", "CON", "con"];
    const names = new Set(ids.map(attemptFileName));
    expect(names.size).toBe(new Set(ids).size);
  });

  it("keeps a secret in the id out of the file name (the events hold the id redacted)", () => {
    const f = new FakeSecrets(11);
    const token = `ghp_${f.alnum(36)}`;
    for (const id of [token, `run-${token}`]) {
      const name = attemptFileName(id);
      expect(name).not.toContain(token.slice(4, 20));
      expect(name).toMatch(/REDACTED_github-pat-[0-9a-f]{12}$/);
    }
    expect(attemptFileName(token)).not.toBe(attemptFileName(`ghp_${f.alnum(36)}`));
  });

  it("refuses an empty id", () => {
    expect(() => attemptFileName("")).toThrow(/must not be empty/);
  });
});
