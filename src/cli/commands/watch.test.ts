import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runCli } from "../../../test/helpers/io.js";
import { useTmpDir } from "../../../test/helpers/tmp.js";

const tmp = useTmpDir("awl-cli-watch-");
const FIXTURE = join(import.meta.dirname, "..", "..", "..", "test", "fixtures", "real", "claude", "error_loop.session.jsonl");

describe("awl watch and awl alerts", () => {
  it("replays an imported error loop into one alert, lists it, and filters it", async () => {
    const cwd = tmp();
    const logDir = join(cwd, "logs");
    expect((await runCli(["import", "--log-dir", logDir, FIXTURE], { cwd })).code).toBe(0);
    const w = await runCli(["watch", "--replay", "--once", "--json", "--log-dir", logDir], { cwd });
    expect(w.code).toBe(0);
    const alerts = w.stdout.trim().split("\n").map((l) => JSON.parse(l) as { type: string; error_fingerprint: string; alert_id: string });
    expect(alerts.map((a) => [a.type, a.error_fingerprint])).toEqual([["error_loop", "git_remote_not_found"]]);
    expect(w.stderr).toMatch(/watch: 23 events, 1 new alert/);

    // Once more: nothing new, the alert is recognized as written.
    const again = await runCli(["watch", "--replay", "--once", "--log-dir", logDir], { cwd });
    expect(again.stdout).toBe("");
    expect(again.stderr).toMatch(/0 new alerts, 1 already written/);

    const list = await runCli(["alerts", "--json", "--log-dir", logDir], { cwd });
    expect((JSON.parse(list.stdout) as { alert_id: string }[]).map((a) => a.alert_id)).toEqual([alerts[0]!.alert_id]);
    const human = await runCli(["alerts", "--log-dir", logDir], { cwd });
    expect(human.stdout).toMatch(/error_loop .*git_remote_not_found: the same error/);
    expect(JSON.parse((await runCli(["alerts", "--json", "--type", "tool_loop", "--log-dir", logDir], { cwd })).stdout)).toEqual([]);
    expect(JSON.parse((await runCli(["alerts", "--json", "--since", "2026-11-25", "--log-dir", logDir], { cwd })).stdout)).toHaveLength(1);
    expect(JSON.parse((await runCli(["alerts", "--json", "--attempt-id", "other", "--log-dir", logDir], { cwd })).stdout)).toEqual([]);
  });

  it("a dry run with another threshold backtests without writing", async () => {
    const cwd = tmp();
    const logDir = join(cwd, "logs");
    await runCli(["import", "--log-dir", logDir, FIXTURE], { cwd });
    const w = await runCli(["watch", "--replay", "--once", "--dry-run", "--log-dir", logDir], { cwd, env: { AGENT_ERROR_LOOP_THRESHOLD: "6" } });
    expect(w.stderr).toMatch(/0 new alerts/);
    const w2 = await runCli(["watch", "--replay", "--once", "--dry-run", "--log-dir", logDir], { cwd, env: { AGENT_ERROR_LOOP_THRESHOLD: "2" } });
    expect(w2.stdout).toMatch(/error_loop/);
    expect((await runCli(["alerts", "--json", "--log-dir", logDir], { cwd })).stdout.trim()).toBe("[]");
  });

  it.each([
    [["alerts", "--type", "loops"], /--type "loops": expected one of error_loop/],
    [["alerts", "--since", "yesterday"], /--since "yesterday": expected an ISO date/],
    [["watch", "--once", "--since", "soon"], /--since "soon"/],
  ])("%j is a one-line usage error", async (args, message) => {
    const cwd = tmp();
    const r = await runCli([...args, "--log-dir", join(cwd, "logs")], { cwd });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
  });
});
