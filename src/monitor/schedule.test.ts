import { describe, expect, it } from "vitest";
import { useTmpDir } from "../../test/helpers/tmp.js";
import { dueAt, loadScheduleState, nextWakeAt, nextWeeklySlot, previousWeeklySlot, runScheduler, saveScheduleState, WEEKLY_RETRY_MS } from "./schedule.js";

// Local time is the report's time: the tests pin a zone with daylight saving.
process.env.TZ = "Europe/Berlin";
const tmp = useTmpDir();
const local = (y: number, mo: number, d: number, h = 0, mi = 0) => new Date(y, mo - 1, d, h, mi).getTime();
const iso = (ms: number) => new Date(ms).toISOString();

describe("weekly slots (Sunday 09:00 local)", () => {
  it.each([
    ["Wednesday noon → last Sunday 09:00", local(2026, 11, 25, 12), local(2026, 11, 22, 9), local(2026, 11, 29, 9)],
    ["Sunday 08:59 → the Sunday before", local(2026, 11, 29, 8, 59), local(2026, 11, 22, 9), local(2026, 11, 29, 9)],
    ["Sunday 09:00 exactly → this one", local(2026, 11, 29, 9), local(2026, 11, 29, 9), local(2026, 12, 6, 9)],
    ["Saturday 23:59", local(2026, 11, 28, 23, 59), local(2026, 11, 22, 9), local(2026, 11, 29, 9)],
    ["across the autumn clock change: still 09:00 local", local(2026, 10, 21, 12), local(2026, 10, 18, 9), local(2026, 10, 25, 9)],
  ])("%s", (_name, now, prev, next) => {
    expect(iso(previousWeeklySlot(now, 0, 9))).toBe(iso(prev));
    expect(iso(nextWeeklySlot(now, 0, 9))).toBe(iso(next));
    expect(new Date(nextWeeklySlot(now, 0, 9)).getHours()).toBe(9);
  });

  it("an hour that does not exist on the spring change day becomes the next valid time", () => {
    const slot = previousWeeklySlot(local(2026, 3, 29, 12), 0, 2);
    expect(new Date(slot).getDate()).toBe(29);
    expect(new Date(slot).getHours()).toBe(3);
  });

  it.each([
    [1, 8, local(2026, 11, 23, 8)],
    [6, 23, local(2026, 11, 21, 23)],
  ])("day %i hour %i", (day, hour, prev) => expect(iso(previousWeeklySlot(local(2026, 11, 25, 12), day, hour))).toBe(iso(prev)));
});

describe("dueAt", () => {
  const spec = { weekly: { enabled: true, day: 0, hour: 9 }, rotationIntervalMs: 60_000 };
  const now = local(2026, 11, 25, 12);
  const thisSlot = iso(local(2026, 11, 22, 9));
  it.each([
    ["fresh install: nothing due, counting starts at the current slot", { v: 1 as const }, undefined],
    ["done this week: nothing due", { v: 1 as const, weeklyDoneSlot: thisSlot }, undefined],
    ["down over the slot: due once, for the latest slot", { v: 1 as const, weeklyDoneSlot: iso(local(2026, 11, 8, 9)) }, thisSlot],
    ["failed 5 minutes ago: waits", { v: 1 as const, weeklyDoneSlot: iso(local(2026, 11, 15, 9)), weeklyFailedAt: now - 5 * 60_000 }, undefined],
    ["failed 16 minutes ago: due again", { v: 1 as const, weeklyDoneSlot: iso(local(2026, 11, 15, 9)), weeklyFailedAt: now - 16 * 60_000 }, thisSlot],
  ])("%s", (_name, state, expected) => {
    const d = dueAt(state, now, spec);
    expect(d.weeklySlot === undefined ? undefined : iso(d.weeklySlot)).toBe(expected);
    expect(d.state.weeklyDoneSlot).toBeDefined();
  });

  it("weekly off: never due; rotation every interval", () => {
    const off = { ...spec, weekly: { ...spec.weekly, enabled: false } };
    expect(dueAt({ v: 1, weeklyDoneSlot: iso(0) }, now, off).weeklySlot).toBeUndefined();
    expect(dueAt({ v: 1 }, now, spec).rotation).toBe(true);
    expect(dueAt({ v: 1, rotationCheckedAt: now - 59_999 }, now, spec).rotation).toBe(false);
    expect(dueAt({ v: 1, rotationCheckedAt: now - 60_000 }, now, spec).rotation).toBe(true);
    expect(nextWakeAt({ v: 1, rotationCheckedAt: now }, now, spec)).toBe(now + 60_000);
    expect(nextWakeAt({ v: 1, rotationCheckedAt: now }, now, { ...spec, rotationIntervalMs: 30 * 86_400_000 })).toBe(local(2026, 11, 29, 9));
    expect(WEEKLY_RETRY_MS).toBe(900_000);
  });
});

describe("runScheduler", () => {
  /** A fake clock: sleeping moves it forward; the run stops after `until`. */
  function clock(start: number, until: number) {
    let t = start;
    const controller = new AbortController();
    return {
      now: () => t,
      signal: controller.signal,
      sleep: async (ms: number) => {
        t += Math.max(ms, 1);
        if (t >= until) controller.abort();
      },
    };
  }

  it("runs the report once per week across restarts, and a slot missed while down once on start", async () => {
    const stateDir = tmp();
    const reports: string[] = [];
    let rotations = 0;
    const jobs = {
      stateDir,
      weekly: { enabled: true, day: 0, hour: 9 },
      rotationIntervalMs: 6 * 3_600_000,
      weeklyReport: async (slot: number) => {
        reports.push(iso(slot));
      },
      rotate: async () => {
        rotations++;
      },
    };
    saveScheduleState(stateDir, { v: 1, weeklyDoneSlot: iso(local(2026, 11, 22, 9)) });
    // Wednesday to the Tuesday after next: two Sundays pass.
    await runScheduler({ ...jobs, ...clock(local(2026, 11, 25, 12), local(2026, 12, 8, 12)) });
    expect(reports).toEqual([iso(local(2026, 11, 29, 9)), iso(local(2026, 12, 6, 9))]);
    expect(rotations).toBeGreaterThanOrEqual(13 * 4);
    // Restart the same day: nothing again.
    await runScheduler({ ...jobs, ...clock(local(2026, 12, 8, 13), local(2026, 12, 8, 14)) });
    expect(reports).toHaveLength(2);
    // Down from Tuesday to the Wednesday after the next Sunday: once on start.
    await runScheduler({ ...jobs, ...clock(local(2026, 12, 16, 8), local(2026, 12, 16, 9)) });
    expect(reports).toEqual([iso(local(2026, 11, 29, 9)), iso(local(2026, 12, 6, 9)), iso(local(2026, 12, 13, 9))]);
    expect(loadScheduleState(stateDir).weeklyDoneSlot).toBe(iso(local(2026, 12, 13, 9)));
  });

  it("a failing report is retried after the retry delay, then recorded done", async () => {
    const stateDir = tmp();
    saveScheduleState(stateDir, { v: 1, weeklyDoneSlot: iso(local(2026, 11, 15, 9)) });
    let calls = 0;
    const errors: string[] = [];
    await runScheduler({
      stateDir,
      weekly: { enabled: true, day: 0, hour: 9 },
      rotationIntervalMs: 86_400_000,
      weeklyReport: async () => {
        calls++;
        if (calls === 1) throw new Error("duckdb busy");
      },
      rotate: async () => undefined,
      onError: (job, err) => errors.push(`${job}: ${(err as Error).message}`),
      ...clock(local(2026, 11, 25, 12), local(2026, 11, 25, 13)),
    });
    expect(calls).toBe(2);
    expect(errors).toEqual(["weekly: duckdb busy"]);
    expect(loadScheduleState(stateDir)).toMatchObject({ weeklyDoneSlot: iso(local(2026, 11, 22, 9)) });
    expect(loadScheduleState(stateDir).weeklyError).toBeUndefined();
  });
});
