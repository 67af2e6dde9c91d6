import { isoTimeMs } from "../analytics/filters.js";

/**
 * Query parameter parsing for the API: each parser returns the value or throws a
 * BadQuery naming the parameter, which the app answers with 400.
 */
export class BadQuery extends Error {
  override name = "BadQuery";
  constructor(
    readonly parameter: string,
    message: string,
  ) {
    super(`${parameter}: ${message}`);
  }
}

export type Query = Record<string, string>;

/** Refuses parameters the endpoint does not know (a typo would otherwise be silently ignored). */
export function onlyKnown(q: Query, known: readonly string[]): void {
  for (const k of Object.keys(q)) if (!known.includes(k)) throw new BadQuery(k, `unknown parameter (known: ${known.join(", ")})`);
}

export function intParam(q: Query, name: string, min: number, max: number): number | undefined {
  const raw = q[name];
  if (raw === undefined) return undefined;
  if (!/^\d+$/.test(raw) || Number(raw) < min || Number(raw) > max) throw new BadQuery(name, `expected a whole number from ${min} to ${max}`);
  return Number(raw);
}

const DATE = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})?)?$/;

/** A date or date-time; returned as an ISO string in UTC. */
export function timeParam(q: Query, name: string): string | undefined {
  const raw = q[name];
  if (raw === undefined) return undefined;
  const ms = DATE.test(raw) ? isoTimeMs(raw) : Number.NaN;
  if (Number.isNaN(ms)) throw new BadQuery(name, "expected a date (YYYY-MM-DD) or an ISO date-time");
  return new Date(ms).toISOString();
}

export function textParam(q: Query, name: string, maxLength = 200): string | undefined {
  const raw = q[name];
  if (raw === undefined) return undefined;
  if (raw.length === 0 || raw.length > maxLength) throw new BadQuery(name, `expected a non-empty value of at most ${maxLength} characters`);
  return raw;
}

export function enumParam<T extends string>(q: Query, name: string, values: readonly T[]): T | undefined {
  const raw = q[name];
  if (raw === undefined) return undefined;
  if (!(values as readonly string[]).includes(raw)) throw new BadQuery(name, `expected one of ${values.join(", ")}`);
  return raw as T;
}
