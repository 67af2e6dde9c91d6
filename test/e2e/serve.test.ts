import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { awl } from "../helpers/awl.js";
import { recorder } from "../helpers/server-history.js";
import { useTmpDir } from "../helpers/tmp.js";

const ROOT = join(import.meta.dirname, "..", "..");
const tmp = useTmpDir("awl-serve-cli-");

/** Starts a command that prints `awl serve --json`'s one line, and resolves with it. */
function startServe(cmd: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ child: ChildProcess; info: { url: string; token_required: boolean }; stderr: () => string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, ...env } });
    let out = "";
    let err = "";
    child.stderr!.on("data", (d: Buffer) => {
      err += d.toString();
    });
    child.stdout!.on("data", (d: Buffer) => {
      out += d.toString();
      const nl = out.indexOf("\n");
      if (nl !== -1) resolve({ child, info: JSON.parse(out.slice(0, nl)), stderr: () => err });
    });
    child.once("exit", (code) => reject(new Error(`exited ${code}: ${err}`)));
  });
}

function stop(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => {
    child.removeAllListeners("exit");
    child.once("exit", (code) => resolve(code));
    child.kill("SIGTERM");
  });
}

describe("awl serve from the built package", () => {
  // `npm run build`'s two steps into a scratch copy inside the repository (so node_modules resolve).
  let build: string;
  beforeAll(() => {
    mkdirSync(join(ROOT, ".cache"), { recursive: true });
    build = mkdtempSync(join(ROOT, ".cache", "build-test-"));
    copyFileSync(join(ROOT, "package.json"), join(build, "package.json"));
    const tsc = spawnSync(process.execPath, [join(ROOT, "node_modules", "typescript", "bin", "tsc"), "-p", join(ROOT, "tsconfig.build.json"), "--outDir", join(build, "dist")], { encoding: "utf8" });
    expect(tsc.status, tsc.stdout + tsc.stderr).toBe(0);
    const copy = spawnSync(process.execPath, [join(ROOT, "scripts", "copy-assets.mjs"), join(build, "dist")], { encoding: "utf8" });
    expect(copy.status, copy.stderr).toBe(0);
  }, 120_000);
  afterAll(() => {
    if (build) rmSync(build, { recursive: true, force: true });
  });

  it("serves the dashboard, its assets and the API, and stops on SIGTERM", async () => {
    const dir = tmp();
    const rec = recorder(dir, "built-1");
    rec.start({ prompt: "hello" });
    rec.close();
    const { child, info } = await startServe(process.execPath, [join(build, "dist", "cli", "bin.js"), "serve", "--log-dir", dir, "--port", "0", "--json"]);
    try {
      expect(info.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      const page = await fetch(`${info.url}/`);
      expect(page.status).toBe(200);
      expect(await page.text()).toContain('<script src="/assets/app.js"');
      for (const a of ["app.js", "app.css", "chart.umd.min.js"]) expect((await fetch(`${info.url}/assets/${a}`)).status, a).toBe(200);
      const sessions = (await (await fetch(`${info.url}/api/sessions`)).json()) as { sessions: { attempt_id: string }[] };
      expect(sessions.sessions.map((s) => s.attempt_id)).toEqual(["built-1"]);
    } finally {
      expect(await stop(child)).toBe(0);
    }
  });
});

describe("awl serve's address and token rules", () => {
  it("refuses a non-loopback address without a token, in one line", async () => {
    const r = await awl(["serve", "--log-dir", tmp(), "--host", "0.0.0.0", "--port", "0"], { env: { ...process.env, AWL_SERVE_TOKEN: "" } });
    expect(r.code).toBe(2);
    const err = r.stderr.toString();
    expect(err).toMatch(/^awl: refusing to listen on 0\.0\.0\.0 without a token: pass --token or set AWL_SERVE_TOKEN/);
    expect(err.trim().split("\n")).toHaveLength(1);
  });

  it("binds elsewhere with AWL_SERVE_TOKEN, requires it, and never prints it", async () => {
    const token = "env-token-0123456789";
    const { child, info, stderr } = await startServe(process.execPath, ["--import", import.meta.resolve("tsx"), join(ROOT, "src", "cli", "bin.ts"), "serve", "--log-dir", tmp(), "--host", "0.0.0.0", "--port", "0", "--json"], {
      AWL_SERVE_TOKEN: token,
    });
    try {
      expect(info.token_required).toBe(true);
      const port = new URL(info.url).port;
      expect((await fetch(`http://127.0.0.1:${port}/api/health`)).status).toBe(401);
      expect((await fetch(`http://127.0.0.1:${port}/api/health`, { headers: { Authorization: `Bearer ${token}` } })).status).toBe(200);
      expect(JSON.stringify(info)).not.toContain(token);
    } finally {
      await stop(child);
    }
    expect(stderr()).not.toContain(token);
  });
});
