import type { z } from "zod";
import { type AwlEvent, type EventInput, eventInputSchema, eventSchema } from "./event.js";
import { type MetricsRecord, metricsRecordSchema } from "./metrics.js";

/** A value did not match the schema; the message names each field and the reason, on one line. */
export class ValidationError extends Error {
  override name = "ValidationError";
  constructor(
    readonly what: string,
    readonly issues: readonly z.core.$ZodIssue[],
  ) {
    super(`invalid ${what}: ${formatIssues(issues)}`);
  }
}

export function formatIssues(issues: readonly z.core.$ZodIssue[]): string {
  return issues
    .slice(0, 5)
    .map((issue) => {
      const path = issue.path.length ? issue.path.map(String).join(".") : "(root)";
      return `${path}: ${issue.message.replace(/\s+/g, " ")}`;
    })
    .concat(issues.length > 5 ? [`… and ${issues.length - 5} more`] : [])
    .join("; ");
}

export function parseEventInput(value: unknown): EventInput {
  const r = eventInputSchema.safeParse(value);
  if (!r.success) throw new ValidationError("event", r.error.issues);
  return r.data;
}

export function parseEvent(value: unknown): AwlEvent {
  const r = eventSchema.safeParse(value);
  if (!r.success) throw new ValidationError("event", r.error.issues);
  return r.data;
}

export function isEvent(value: unknown): value is AwlEvent {
  return eventSchema.safeParse(value).success;
}

export function parseMetricsRecord(value: unknown): MetricsRecord {
  const r = metricsRecordSchema.safeParse(value);
  if (!r.success) throw new ValidationError("metrics record", r.error.issues);
  return r.data;
}
