import { readFileSync } from "node:fs";
import { join } from "node:path";
import { writeFileAtomic } from "../store/fs.js";

/**
 * The monitor's clock-driven jobs: the weekly report (AGENT_ANALYTICS_REPORT_DAY/_HOUR, local
 * time) and the rotation check (every `rotation.checkIntervalMs`). What is due is a pure
 * function of the time and a small state persisted in `.state/schedule.json`, so the report
 * runs once per week whatever the restarts: a slot that passed while the monitor was down
 * runs once at the next start; a fresh install (no state) starts counting from the slot it
 * is in and does not send a report for a week it never watched.
 */
export interface ScheduleState {
  v: 1;
  /** The weekly slot (ISO, the slot's own time) last completed. */
  weeklyDoneSlot?: string;
  /** A failed run of the slot: retried after `retryMs`. */
  weeklyFailedAt?: number;
  weeklyError?: string;
  /** Wall clock of the last rotation check. */
  rotationCheckedAt?: number;
}

export interface WeeklySpec {
  enabled: boolean;
  /** 0 = Sunday … 6 = Saturday, local time. */
  day: number;
  hour: number;
}

/** The latest weekly slot at or before `now` (local time; DST handled by the Date arithmetic). */
export function previousWeeklySlot(now: number, day: number, hour: number): number {
  const d = new Date(now);
  const back = (d.getDay() - day + 7) % 7;
  let slot = new Date(d.getFullYear(), d.getMonth(), d.getDate() - back, hour, 0, 0, 0);
  if (slot.getTime() > now) slot = new Date(slot.getFullYear(), slot.getMonth(), slot.getDate() - 7, hour, 0, 0, 0);
  return slot.getTime();
}

/** The first weekly slot after `now`. */
export function nextWeeklySlot(now: number, day: number, hour: number): number {
  const prev = new Date(previousWeeklySlot(now, day, hour));
  return new Date(prev.getFullYear(), prev.getMonth(), prev.getDate() + 7, hour, 0, 0, 0).getTime();
}

export const WEEKLY_RETRY_MS = 15 * 60_000;

/** What is due at `now` given the state: the weekly slot to run (if any) and whether to check rotation. */
export function dueAt(
  state: ScheduleState,
  now: number,
  spec: { weekly: WeeklySpec; rotationIntervalMs: number },
): { weeklySlot?: number; rotation: boolean; state: ScheduleState } {
  let next = state;
  let weeklySlot: number | undefined;
  if (spec.weekly.enabled) {
    const slot = previousWeeklySlot(now, spec.weekly.day, spec.weekly.hour);
    if (next.weeklyDoneSlot === undefined) {
      next = { ...next, weeklyDoneSlot: new Date(slot).toISOString() }; // fresh install: start counting here
    } else if (Date.parse(next.weeklyDoneSlot) < slot) {
      const waiting = next.weeklyFailedAt !== undefined && now - next.weeklyFailedAt < WEEKLY_RETRY_MS;
      if (!waiting) weeklySlot = slot;
    }
  }
  const rotation = next.rotationCheckedAt === undefined || now - next.rotationCheckedAt >= spec.rotationIntervalMs;
  return { weeklySlot, rotation, state: next };
}

/** When anything can next become due (ms), for the runner's sleep. */
export function nextWakeAt(state: ScheduleState, now: number, spec: { weekly: WeeklySpec; rotationIntervalMs: number }): number {
  const times = [(state.rotationCheckedAt ?? now) + spec.rotationIntervalMs];
  if (spec.weekly.enabled) {
    times.push(nextWeeklySlot(now, spec.weekly.day, spec.weekly.hour));
    if (state.weeklyFailedAt !== undefined) times.push(state.weeklyFailedAt + WEEKLY_RETRY_MS);
  }
  return Math.max(now, Math.min(...times));
}

export function loadScheduleState(stateDir: string): ScheduleState {
  try {
    const s = JSON.parse(readFileSync(join(stateDir, "schedule.json"), "utf8")) as ScheduleState;
    return s.v === 1 ? s : { v: 1 };
  } catch {
    return { v: 1 };
  }
}

export function saveScheduleState(stateDir: string, state: ScheduleState): void {
  writeFileAtomic(join(stateDir, "schedule.json"), JSON.stringify(state));
}

export interface SchedulerOptions {
  stateDir: string;
  weekly: WeeklySpec;
  rotationIntervalMs: number;
  /** The weekly report for the slot (ms of the slot's time). Built elsewhere (`awl report weekly`). */
  weeklyReport: (slot: number) => Promise<void>;
  /** Rotation and retention. */
  rotate: () => Promise<void>;
  signal?: AbortSignal;
  now?: () => number;
  /** Waits `ms` or until the signal aborts (tests inject a fake). */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  onError?: (job: "weekly" | "rotate", err: unknown) => void;
}

/** Runs what is due, persists the state, sleeps until the next thing can be due; until the signal aborts. */
export async function runScheduler(opts: SchedulerOptions): Promise<void> {
  const now = opts.now ?? Date.now;
  const sleep = opts.sleep ?? defaultSleep;
  const spec = { weekly: opts.weekly, rotationIntervalMs: opts.rotationIntervalMs };
  let state = loadScheduleState(opts.stateDir);
  while (!opts.signal?.aborted) {
    state = await runDue(state, now(), spec, opts);
    if (opts.signal?.aborted) break;
    const t = now();
    await sleep(Math.min(nextWakeAt(state, t, spec) - t, 60 * 60_000), opts.signal);
  }
}

/** One pass: runs what is due at `t` and returns the saved state. */
export async function runDue(state: ScheduleState, t: number, spec: { weekly: WeeklySpec; rotationIntervalMs: number }, opts: SchedulerOptions): Promise<ScheduleState> {
  const due = dueAt(state, t, spec);
  let next = due.state;
  if (due.weeklySlot !== undefined) {
    try {
      await opts.weeklyReport(due.weeklySlot);
      next = { ...next, weeklyDoneSlot: new Date(due.weeklySlot).toISOString(), weeklyFailedAt: undefined, weeklyError: undefined };
    } catch (err) {
      next = { ...next, weeklyFailedAt: t, weeklyError: (err as Error).message };
      opts.onError?.("weekly", err);
    }
  }
  if (due.rotation) {
    try {
      await opts.rotate();
    } catch (err) {
      opts.onError?.("rotate", err);
    }
    next = { ...next, rotationCheckedAt: t };
  }
  if (next !== state) saveScheduleState(opts.stateDir, next);
  return next;
}

function defaultSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const t = setTimeout(done, Math.max(0, ms));
    function done() {
      clearTimeout(t);
      signal?.removeEventListener("abort", done);
      resolve();
    }
    signal?.addEventListener("abort", done, { once: true });
  });
}
