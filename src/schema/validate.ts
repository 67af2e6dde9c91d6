import type { z } from "zod";
import { type AwlEvent, type EventInput, eventInputSchema, eventSchema } from "./event.js";
import { ValidationError } from "./issues.js";
import { type MetricsRecord, metricsRecordSchema } from "./metrics.js";

// Kept apart so that code that only reports errors (the CLI, config loading) does not build the event schemas.
export { formatIssues, ValidationError } from "./issues.js";

/**
 * Validates an event a producer hands in. The hot path of every write: instead of the whole
 * discriminated union (every envelope field of the variant checked, present or not), it uses
 * that same variant picked down to the fields the value has plus the required ones, cached by
 * the value's key set (a producer sends the same keys again and again). Same schemas, same
 * output: absent optional fields check nothing either way, and unknown keys are stripped by
 * both. A value that fails is parsed again by the full union, for its error message.
 */
export function parseEventInput(value: unknown): EventInput {
  const fast = pickedVariant(value)?.safeParse(value);
  const r = fast?.success ? fast : eventInputSchema.safeParse(value);
  if (!r.success) throw new ValidationError("event", r.error.issues);
  const event = r.data as EventInput;
  // `data` may hold what an agent printed, as deep as it was: past a few thousand levels
  // JSON.stringify overflows the stack, so such an event is refused here, before any is written.
  if (nestsDeeperThan(event.data, MAX_DEPTH)) {
    throw new ValidationError("event", [{ code: "custom", path: ["data"], message: `nested deeper than ${MAX_DEPTH} levels`, input: undefined } as z.core.$ZodIssue]);
  }
  return event;
}

/** Objects and arrays in an event's `data`, one inside the other, at most. */
export const MAX_DEPTH = 512;

/** True when `value` nests objects or arrays more than `limit` deep. Iterative: it never overflows the stack itself. */
export function nestsDeeperThan(value: unknown, limit: number): boolean {
  if (typeof value !== "object" || value === null) return false;
  const stack: unknown[] = [value];
  const depths: number[] = [1];
  while (stack.length > 0) {
    const v = stack.pop() as Record<string, unknown> | unknown[];
    const d = depths.pop() as number;
    if (d > limit) return true;
    if (Array.isArray(v)) {
      for (const c of v) {
        if (typeof c === "object" && c !== null) {
          stack.push(c);
          depths.push(d + 1);
        }
      }
    } else {
      for (const k in v) {
        const c = v[k];
        if (typeof c === "object" && c !== null) {
          stack.push(c);
          depths.push(d + 1);
        }
      }
    }
  }
  return false;
}

type Variant = (typeof eventInputSchema.options)[number];
const VARIANTS = new Map<string, Variant>(eventInputSchema.options.map((o) => [o.shape.event_type.value, o]));
const REQUIRED = { attempt_id: true, event_type: true, data: true } as const;
const picked = new Map<string, z.ZodType>();
const MAX_PICKED = 256;

function pickedVariant(value: unknown): z.ZodType | undefined {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return undefined;
  const type = (value as { event_type?: unknown }).event_type;
  const variant = typeof type === "string" ? VARIANTS.get(type) : undefined;
  if (!variant) return undefined;
  const keys = Object.keys(value);
  const signature = `${type}|${keys.join(",")}`;
  let schema = picked.get(signature);
  if (!schema) {
    // In the variant's own field order, so the output's key order is the full schema's.
    const present = new Set(keys);
    const mask: Record<string, true> = {};
    for (const k of Object.keys(variant.shape)) if (k in REQUIRED || present.has(k)) mask[k] = true;
    schema = variant.pick(mask as never) as unknown as z.ZodType;
    if (picked.size >= MAX_PICKED) picked.clear(); // producers with ever-changing key sets: start over
    picked.set(signature, schema);
  }
  return schema;
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
