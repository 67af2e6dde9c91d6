import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { makeAlert } from "../../../test/helpers/alerts.js";
import { useTmpDir } from "../../../test/helpers/tmp.js";
import { hookEnv, runAlertHook } from "./hook.js";

const tmp = useTmpDir();

// A hook that records its argv, the AWL_* environment and its stdin as JSON.
const RECORDER = `
const fs = require("node:fs");
let input = "";
process.stdin.on("data", (d) => (input += d));
process.stdin.on("end", () => {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => k.startsWith("AWL_") || k.includes("TELEGRAM") || k.includes("WEBHOOK")));
  fs.writeFileSync(process.argv[2], JSON.stringify({ argv: process.argv.slice(3), env, stdin: input }));
  console.log("recorded");
});
`;

describe("runAlertHook", () => {
  // biome-ignore lint/suspicious/noTemplateCurlyInString: a shell expansion attempt, on purpose
  const injections = ["$(touch pwned)", "; rm -rf ~", "`touch pwned2`", "a && touch pwned3", "'\"; touch pwned4; echo \"", "\n touch pwned5 \n", "${IFS}touch${IFS}pwned6"];

  it.each(injections)("passes %j verbatim in env, stdin and argv, and no shell ever runs it", async (evil) => {
    const dir = tmp();
    const script = join(dir, "rec.cjs");
    writeFileSync(script, RECORDER);
    const out = join(dir, "out.json");
    const alert = makeAlert({ message: evil, task_id: evil, attempt_id: evil, tool_name: evil });
    const r = await runAlertHook({ command: [process.execPath, script, out, evil] }, alert, { cwd: dir, env: { PATH: process.env.PATH, HOME: dir } });
    expect(r).toMatchObject({ exitCode: 0, timedOut: false, stdout: "recorded\n" });
    const got = JSON.parse(readFileSync(out, "utf8"));
    expect(got.argv).toEqual([evil]);
    expect(got.env.AWL_MESSAGE).toBe(evil);
    expect(got.env.AWL_TASK_ID).toBe(evil);
    expect(got.env.AWL_ATTEMPT_ID).toBe(evil);
    expect(got.env.AWL_ALERT_TYPE).toBe("error_loop");
    expect(JSON.parse(got.stdin)).toEqual(alert);
    // nothing was created: only the script and its record are in the directory
    expect(readdirSync(dir).sort()).toEqual(["out.json", "rec.cjs"]);
  });

  it("a shell named as the program still gets the values only as data", async () => {
    const dir = tmp();
    const alert = makeAlert({ message: "$(touch pwned); `touch pwned2`" });
    // The hook's own script expands only its variables' values as words, never re-parses them.
    const r = await runAlertHook({ command: ["/bin/sh", "-c", 'printf "%s" "$AWL_MESSAGE"'] }, alert, { cwd: dir });
    expect(r.stdout).toBe("$(touch pwned); `touch pwned2`");
    expect(readdirSync(dir)).toEqual([]);
  });

  it("never passes awl's credentials on to the hook", async () => {
    const dir = tmp();
    const script = join(dir, "rec.cjs");
    writeFileSync(script, RECORDER);
    const out = join(dir, "out.json");
    await runAlertHook({ command: [process.execPath, script, out] }, makeAlert(), {
      env: { PATH: process.env.PATH, AWL_TELEGRAM_BOT_TOKEN: "123:tok", TELEGRAM_BOT_TOKEN: "123:tok", AWL_WEBHOOK_SECRET: "sec", AWL_TELEGRAM_CHAT_ID: "42" },
    });
    const env = JSON.parse(readFileSync(out, "utf8")).env;
    expect(env.AWL_TELEGRAM_BOT_TOKEN).toBeUndefined();
    expect(env.TELEGRAM_BOT_TOKEN).toBeUndefined();
    expect(env.AWL_WEBHOOK_SECRET).toBeUndefined();
    expect(env.AWL_TELEGRAM_CHAT_ID).toBe("42");
  });

  it("records a failing hook's exit status and bounded output", async () => {
    const r = await runAlertHook(
      { command: [process.execPath, "-e", "process.stdout.write('o'.repeat(20000)); process.stderr.write('bad'); process.exit(3)"] },
      makeAlert(),
      { maxOutputBytes: 100 },
    );
    expect(r).toMatchObject({ exitCode: 3, timedOut: false, stderr: "bad", truncated: true });
    expect(r.stdout).toBe("o".repeat(100));
  });

  it("kills the hook and its children at the timeout", async () => {
    const dir = tmp();
    const pidFile = join(dir, "child.pid");
    // The hook starts a grandchild that would outlive it, then hangs.
    const code = `
      const { spawn } = require("node:child_process");
      const c = spawn(process.execPath, ["-e", "setInterval(() => {}, 1000)"], { stdio: "ignore" });
      require("node:fs").writeFileSync(${JSON.stringify(pidFile)}, String(c.pid));
      setInterval(() => {}, 1000);`;
    const r = await runAlertHook({ command: [process.execPath, "-e", code], timeoutMs: 500 }, makeAlert());
    expect(r.timedOut).toBe(true);
    expect(r.exitCode).toBeNull();
    expect(r.error).toBe("timed out after 500 ms");
    const grandchild = Number(readFileSync(pidFile, "utf8"));
    await expect.poll(() => alive(grandchild), { timeout: 3000 }).toBe(false);
  });

  it("reports a program that does not exist", async () => {
    const r = await runAlertHook({ command: ["/nonexistent/hook"] }, makeAlert());
    expect(r.exitCode).toBeNull();
    expect(r.error).toMatch(/^ENOENT/);
  });

  it("hookEnv leaves out absent values and removes NUL", () => {
    const env = hookEnv(makeAlert({ tool_name: undefined, task_id: null, message: "a\0b" }));
    expect(env.AWL_TOOL_NAME).toBeUndefined();
    expect(env.AWL_TASK_ID).toBeUndefined();
    expect(env.AWL_MESSAGE).toBe("ab");
    expect(env.AWL_OCCURRENCES).toBe("4");
    expect(existsSync(join(process.cwd(), "pwned"))).toBe(false);
  });
});

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
