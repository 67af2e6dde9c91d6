/** ISO weeks (Monday to Monday, UTC): `2026-W47` ↔ its Monday. */
export interface IsoWeek {
  /** "2026-W47" */
  label: string;
  /** Monday 00:00 UTC, ISO text. */
  start: string;
  /** The next Monday 00:00 UTC (exclusive). */
  end: string;
}

const DAY = 86_400_000;

function mondayOf(d: Date): Date {
  const t = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate());
  const dow = (new Date(t).getUTCDay() + 6) % 7; // Monday = 0
  return new Date(t - dow * DAY);
}

export function weekOf(d: Date): IsoWeek {
  const monday = mondayOf(d);
  // The ISO year is the year of the week's Thursday.
  const thursday = new Date(monday.getTime() + 3 * DAY);
  const year = thursday.getUTCFullYear();
  const week1 = mondayOf(new Date(Date.UTC(year, 0, 4)));
  const n = Math.round((monday.getTime() - week1.getTime()) / (7 * DAY)) + 1;
  return { label: `${year}-W${String(n).padStart(2, "0")}`, start: monday.toISOString(), end: new Date(monday.getTime() + 7 * DAY).toISOString() };
}

export function parseWeek(label: string): IsoWeek {
  const m = /^(\d{4})-W(\d{2})$/.exec(label);
  if (!m) throw new RangeError(`--week ${JSON.stringify(label)}: expected YYYY-Www, e.g. 2026-W47`);
  const year = Number(m[1]);
  const n = Number(m[2]);
  const monday = new Date(mondayOf(new Date(Date.UTC(year, 0, 4))).getTime() + (n - 1) * 7 * DAY);
  const w = weekOf(monday);
  if (n < 1 || w.label !== label) throw new RangeError(`--week ${label}: ${year} has no week ${n}`);
  // The report's queries take the week's bounds as TIMESTAMP literals: four-digit years only.
  if (Date.parse(w.end) >= Date.UTC(10000, 0, 1)) throw new RangeError(`--week ${label}: ends after the year 9999`);
  return w;
}

/** The last complete week before `now`. */
export function lastCompleteWeek(now: Date): IsoWeek {
  return weekOf(new Date(mondayOf(now).getTime() - DAY));
}

export function previousWeek(w: IsoWeek): IsoWeek {
  return weekOf(new Date(Date.parse(w.start) - DAY));
}
