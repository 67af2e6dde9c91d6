import { execFileSync, spawnSync } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { logPaths } from "../../src/store/paths.js";
import { useTmpDir } from "../helpers/tmp.js";

const tmp = useTmpDir();
const ROOT = join(import.meta.dirname, "..", "..");
// Inside the project (.cache/ is ignored by git): the bundle leaves DuckDB, a native addon, to node_modules.
const outDirs: string[] = [];
afterEach(() => {
  for (const d of outDirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
function outDir(): string {
  mkdirSync(join(ROOT, ".cache"), { recursive: true });
  const d = mkdtempSync(join(ROOT, ".cache", "bundle-test-"));
  outDirs.push(d);
  return d;
}

// scripts/bundle.mjs is what `npm run build` runs after tsc; here it bundles the sources (esbuild
// reads TypeScript too) into a scratch directory, and the bundle is run as bin/awl.js would run it.
describe("the bundled CLI (scripts/bundle.mjs)", () => {
  it("runs commands, finds the files that live next to its modules, and says what it was made from", () => {
    const out = outDir();
    execFileSync(process.execPath, [join(ROOT, "scripts", "bundle.mjs"), "--entry", "src/cli/bin.ts", "--outdir", out], { cwd: ROOT, stdio: "pipe" });
    const bin = join(out, "bin.js");
    const cli = (args: string[]) => spawnSync(process.execPath, [bin, ...args], { cwd: tmp(), encoding: "utf8" });

    // package.json, found from main.ts's own place
    const version = cli(["--version"]);
    expect(version.stdout.trim()).toBe((JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { version: string }).version);

    const logs = tmp();
    const run = cli(["run", "--log-dir", logs, "--attempt-id", "bundled", "--", process.execPath, "-e", 'console.log("hi"); console.error("Error: boom")']);
    expect(run.status).toBe(0);
    expect(run.stdout).toBe("hi\n");
    const events = readFileSync(logPaths(logs).stream, "utf8").trim().split("\n").map((l) => JSON.parse(l) as { event_type: string });
    expect(events.map((e) => e.event_type)).toEqual(["session_start", "agent_output", "agent_output", "error", "session_end"]);

    // the demo's transcripts, found from demo/transcripts.ts's own place
    const demo = cli(["demo", "--no-serve", "--log-dir", join(tmp(), "demo")]);
    expect(demo.status).toBe(0);
    expect(demo.stdout).toContain("Top error cluster");

    const inputs = JSON.parse(readFileSync(join(out, "inputs.json"), "utf8")) as string[];
    expect(inputs.map((p) => join(out, p))).toContain(join(ROOT, "src", "capture", "run.ts"));
  });

  it("bin/awl.js runs the bundle only while no file it was made from is newer", () => {
    const root = tmp();
    for (const d of ["bin", "dist/cli", "dist/bundle"]) mkdirSync(join(root, d), { recursive: true });
    writeFileSync(join(root, "package.json"), '{ "type": "module" }');
    copyFileSync(join(ROOT, "bin", "awl.js"), join(root, "bin", "awl.js"));
    writeFileSync(join(root, "dist", "cli", "bin.js"), 'console.log("unbundled");');
    writeFileSync(join(root, "dist", "bundle", "bin.js"), 'console.log("bundled");');
    const which = () => spawnSync(process.execPath, [join(root, "bin", "awl.js")], { encoding: "utf8" }).stdout.trim();
    const at = (path: string, seconds: number) => utimesSync(join(root, path), seconds, seconds);

    expect(which()).toBe("unbundled"); // no inputs.json: not a finished bundle
    writeFileSync(join(root, "dist", "bundle", "inputs.json"), '["../cli/bin.js"]');
    at("dist/cli/bin.js", 1000);
    at("dist/bundle/bin.js", 2000);
    expect(which()).toBe("bundled");
    at("dist/cli/bin.js", 1000);
    at("dist/bundle/bin.js", 1000); // `npm pack` gives every file one time
    expect(which()).toBe("bundled");
    at("dist/cli/bin.js", 3000); // rebuilt by tsc alone since
    expect(which()).toBe("unbundled");
    writeFileSync(join(root, "dist", "bundle", "inputs.json"), '["../cli/bin.js", "../cli/gone.js"]');
    at("dist/cli/bin.js", 1000);
    expect(which()).toBe("unbundled");
  });
});
