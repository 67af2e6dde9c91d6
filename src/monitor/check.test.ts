import { chmodSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { useTmpDir } from "../../test/helpers/tmp.js";
import { redactUrl, resolveCommand } from "./check.js";

const tmp = useTmpDir("awl-check-");

describe("redactUrl", () => {
  it.each([
    ["https://hooks.example.com/awl", "https://hooks.example.com/awl"],
    ["https://user:pw@hooks.example.com/a?token=x#f", "https://hooks.example.com/a (credentials/query hidden)"],
    ["http://127.0.0.1:8080/h?k=SECRET", "http://127.0.0.1:8080/h (credentials/query hidden)"],
    ["not a url", "<invalid URL>"],
  ])("%s → %s", (url, shown) => expect(redactUrl(url)).toBe(shown));
});

describe("resolveCommand", () => {
  it("finds a name on PATH in order, a relative path against cwd, and says why not otherwise", () => {
    const dir = tmp();
    for (const d of ["a", "b"]) mkdirSync(join(dir, d));
    writeFileSync(join(dir, "a", "tool"), "plain file, not executable");
    writeFileSync(join(dir, "b", "tool"), "#!/bin/sh\n");
    chmodSync(join(dir, "b", "tool"), 0o755);
    mkdirSync(join(dir, "a", "dironly"));
    const env = { PATH: `${join(dir, "a")}:${join(dir, "b")}` };
    expect(resolveCommand("tool", env, dir)).toEqual({ path: join(dir, "b", "tool") }); // a/tool is skipped: not executable
    expect(resolveCommand("./b/tool", {}, dir)).toEqual({ path: join(dir, "b", "tool") });
    expect(resolveCommand("./a/tool", {}, dir)).toEqual({ problem: "./a/tool is not an executable file" });
    expect(resolveCommand("./a/dironly", {}, dir)).toEqual({ problem: "./a/dironly is not an executable file" });
    expect(resolveCommand("/nope/x", env, dir)).toEqual({ problem: "/nope/x does not exist" });
    expect(resolveCommand("dironly", env, dir)).toEqual({ problem: "dironly is not found on PATH" });
    expect(resolveCommand("tool", {}, dir)).toEqual({ problem: "tool is not found on PATH" });
  });
});
