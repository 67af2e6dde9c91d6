import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { type FakeBotApi, startFakeBotApi } from "../../test/helpers/fake-bot-api.js";
import { writeHandHistory } from "../../test/helpers/hand-history.js";
import { useTmpDir } from "../../test/helpers/tmp.js";
import { type AwlConfig, loadConfig } from "../config/index.js";
import { claimWatcher } from "../live/instance.js";
import { logPaths } from "../store/paths.js";
import { loadScheduleState, nextWeeklySlot } from "./schedule.js";
import { type MonitorStatus, runMonitor, weeklyReportJob } from "./service.js";

const tmp = useTmpDir("awl-service-");
const TOKEN = "31337:service";
let api: FakeBotApi | undefined;
afterEach(async () => {
  await api?.close();
  api = undefined;
});

function setup(over: (c: AwlConfig) => void = () => undefined) {
  const dir = tmp();
  writeHandHistory(dir);
  const config = loadConfig({ env: { AGENT_WORK_LOG_DIR: dir }, cwd: dir });
  config.analyzer.enabled = false; // the schedule is what these tests are about
  config.reports = { weekly: true, day: 1, hour: 9 }; // Monday 09:00 local: the week that just ended is complete
  config.notify.telegram = { botToken: TOKEN, chatId: "42", apiBase: api!.url };
  over(config);
  return { dir, config };
}

/** A clock the scheduler drives: its sleep advances the time instead of waiting. */
function fakeClock(start: number) {
  let t = start;
  const sleeps: number[] = [];
  let onSleep: (() => void) | undefined;
  return {
    now: () => t,
    sleeps,
    /** Resolves at the scheduler's next sleep (it has finished a pass). */
    nextSleep: () => new Promise<void>((resolve) => (onSleep = resolve)),
    sleep: async (ms: number, signal?: AbortSignal) => {
      sleeps.push(ms);
      const cb = onSleep;
      onSleep = undefined;
      cb?.();
      if (signal?.aborted) return;
      t += ms;
      await new Promise((r) => setImmediate(r));
    },
  };
}

// Monday 2026-11-23 09:00 local time: the slot after the hand history's last week (2026-W47).
const SLOT = nextWeeklySlot(Date.parse("2026-11-20T12:00:00Z"), 1, 9);

describe("runMonitor's schedule (injected clock)", () => {
  it("writes the weekly report at the slot and sends its summary once, also across a restart", { timeout: 60_000 }, async () => {
    api = await startFakeBotApi({ token: TOKEN });
    const { dir, config } = setup();
    const clock = fakeClock(SLOT - 5 * 60_000);
    const controller = new AbortController();
    const statuses: MonitorStatus[] = [];
    const run = runMonitor({ config, signal: controller.signal, now: clock.now, sleep: clock.sleep, onStatus: (s) => statuses.push(s) });
    await api.waitFor(1);
    controller.abort("SIGTERM");
    const last = await run;

    const text = api.messages()[0]!;
    expect(text).toMatch(/^awl weekly report 2026-W47 \(2026-11-16 to 2026-11-23\)\nSessions: \d+/);
    expect(api.received[0]!.body).toMatchObject({ chat_id: "42", parse_mode: "HTML" });
    expect(clock.now()).toBeGreaterThanOrEqual(SLOT); // not before its time
    expect(clock.now() - SLOT).toBeLessThan(60_000);
    for (const ext of ["json", "md", "html"]) expect(existsSync(join(logPaths(dir).reports, `weekly-2026-11-16.${ext}`))).toBe(true);
    expect(last).toMatchObject({ state: "stopped", last_report: { week: "2026-W47", sent_to: ["telegram"] }, next_report: new Date(nextWeeklySlot(SLOT, 1, 9)).toISOString() });
    expect(last.last_rotation).not.toBeNull();
    expect(statuses[0]!.state).toBe("running");
    expect(loadScheduleState(logPaths(dir).state).weeklyDoneSlot).toBe(new Date(SLOT).toISOString());

    // Restarted after the slot, the same week: nothing is sent again.
    const again = new AbortController();
    const clock2 = fakeClock(SLOT + 10 * 60_000);
    const pass = clock2.nextSleep();
    const run2 = runMonitor({ config, signal: again.signal, now: clock2.now, sleep: clock2.sleep });
    await pass;
    again.abort("SIGTERM");
    await run2;
    expect(api.received).toHaveLength(1);
  });

  it("a fresh install does not send a report for a week it never watched; a slot missed while down runs once at the next start", { timeout: 60_000 }, async () => {
    api = await startFakeBotApi({ token: TOKEN });
    const { config } = setup();
    const c1 = fakeClock(SLOT + 60 * 60_000); // first start an hour after the slot
    const ctl = new AbortController();
    const pass = c1.nextSleep();
    const run = runMonitor({ config, signal: ctl.signal, now: c1.now, sleep: c1.sleep });
    await pass;
    ctl.abort();
    await run;
    expect(api.received).toHaveLength(0);

    // Down for the whole next week; started again after its slot: that week's report, once.
    const c2 = fakeClock(nextWeeklySlot(SLOT, 1, 9) + 3 * 3600_000);
    const ctl2 = new AbortController();
    const run2 = runMonitor({ config, signal: ctl2.signal, now: c2.now, sleep: c2.sleep });
    await api.waitFor(1);
    ctl2.abort();
    await run2;
    expect(api.messages()[0]).toMatch(/^awl weekly report 2026-W48 /);
  });
});

describe("weeklyReportJob", () => {
  it("a channel that fails makes the job fail; the retry sends only what is missing", { timeout: 60_000 }, async () => {
    api = await startFakeBotApi({ token: TOKEN });
    const probe = await startFakeBotApi();
    const deadUrl = `${probe.url}/hook`;
    await probe.close();
    const { config } = setup((c) => {
      c.notify.webhook = { url: deadUrl };
    });
    await expect(weeklyReportJob(config, SLOT, { backoffBaseMs: 1 })).rejects.toThrow(/^weekly report 2026-W47 written; not sent to webhook \(webhook: network error: ECONNREFUSED\)$/);
    expect(api.messages()).toHaveLength(1);

    config.notify.webhook = { url: `${api.url}/hook` };
    expect(await weeklyReportJob(config, SLOT)).toEqual({ week: "2026-W47", sentTo: ["telegram", "webhook"] });
    expect(api.messages()).toHaveLength(1); // Telegram not again
    const hook = api.received.find((r) => r.path === "/hook")!;
    expect(hook.headers["x-awl-delivery"]).toBe("weekly-2026-W47");
    expect(hook.body).toMatchObject({ source: "awl", type: "weekly_report", week: "2026-W47" });
    expect(String(hook.body.text)).toMatch(/^awl weekly report 2026-W47/);
    expect(String(hook.body.text)).not.toMatch(/&(amp|lt|gt);/);
  });

  it("without a channel it writes the report and sends nothing", async () => {
    api = await startFakeBotApi({ token: TOKEN });
    const { dir, config } = setup((c) => {
      c.notify.telegram = undefined;
    });
    expect(await weeklyReportJob(config, SLOT)).toEqual({ week: "2026-W47", sentTo: [] });
    expect(JSON.parse(readFileSync(join(logPaths(dir).reports, "weekly-2026-11-16.json"), "utf8")).week.label).toBe("2026-W47");
  });
});

describe("runMonitor supervision", () => {
  it("another awl watch on the log directory ends the monitor at once with what to do (a restart cannot fix it)", async () => {
    api = await startFakeBotApi({ token: TOKEN });
    const { dir, config } = setup((c) => {
      c.analyzer.enabled = true;
    });
    const release = claimWatcher(logPaths(dir).state); // as a running `awl watch` holds it
    try {
      const errors: string[] = [];
      await expect(runMonitor({ config, signal: new AbortController().signal, onError: (p, m) => errors.push(`${p}: ${m}`) })).rejects.toThrow(
        /^analyzer: another awl watch \(pid \d+ on .+\) is watching this log directory; .* \(or set AGENT_WORK_ANALYZER_ENABLED=false to run the monitor without its analyzer\)$/,
      );
      expect(errors).toEqual([]); // not restarted
    } finally {
      release();
    }
  });

  it("a part that keeps failing is reported, restarted with backoff, and ends the monitor non-zero with its error", { timeout: 30_000 }, async () => {
    api = await startFakeBotApi({ token: TOKEN });
    const { dir, config } = setup((c) => {
      c.rotation.maxAgeHours = 1_000_000; // the old hand history is not rotated meanwhile
    });
    // The schedule's state file is a directory: every pass of the scheduler fails to save.
    mkdirSync(join(logPaths(dir).state, "schedule.json"), { recursive: true });
    const errors: string[] = [];
    const ctl = new AbortController();
    await expect(
      runMonitor({ config, signal: ctl.signal, restartBaseMs: 1, onError: (part, m) => errors.push(`${part}: ${m}`) }),
    ).rejects.toThrow(/failed 5 times in a row, giving up/);
    expect(errors.length).toBeGreaterThanOrEqual(5);
    expect(errors[0]).toMatch(/^scheduler: crashed \(E\w+: .+\); restarting in 0 s$/);
    expect(errors.at(-1)).toMatch(/^scheduler: scheduler failed 5 times in a row, giving up: E\w+/);
    expect(existsSync(join(logPaths(dir).state, "monitor.pid"))).toBe(false); // released
  });
});
