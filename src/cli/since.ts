import { isoTimeMs } from "../analytics/filters.js";
import { UsageError } from "./errors.js";

const UNITS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 7 * 86_400_000 };

/** `--since`: an ISO date/time, or a duration back from now (`30m`, `2h`, `7d`). */
export function parseSince(flag: string, value: string, now: number = Date.now()): Date {
  const rel = /^\s*(\d+)\s*([smhdw])\s*$/.exec(value);
  // Past ±8.64e15 ms a Date is invalid, and every comparison with it false: nothing would match, silently.
  if (rel) return valid(flag, value, new Date(now - Number(rel[1]) * UNITS[rel[2]!]!));
  if (/^\d{4}-\d{2}-\d{2}/.test(value.trim())) {
    const t = isoTimeMs(value.trim());
    if (Number.isFinite(t)) return new Date(t);
  }
  throw new UsageError(`${flag} ${JSON.stringify(value)}: expected an ISO date (2026-11-25 or 2026-11-25T06:00:00Z) or a duration such as 30m, 2h, 7d`);
}

function valid(flag: string, value: string, d: Date): Date {
  if (Number.isNaN(d.getTime())) throw new UsageError(`${flag} ${JSON.stringify(value)}: too far back`);
  return d;
}
