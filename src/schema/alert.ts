import { z } from "zod";
import { ACTION_STATUSES, ALERT_ACTIONS, ALERT_TYPES, ERROR_CATEGORIES, RECOMMENDATIONS, SCHEMA_VERSION, SEVERITIES } from "./vocabulary.js";

/**
 * The lines of agent-alerts.jsonl. Two record kinds share the file, told apart by
 * `record_type`: an `alert` is raised once per episode by the live analyzer; an `action`
 * says what awl did about one (a notification sent, an intervention, a hook run), so
 * the alert's history is one file that every later stage (analytics, reports, the
 * dashboard) reads without joining anything else.
 */

const isoTime = z.iso.datetime({ offset: true });
const count = z.number().int().nonnegative();

export const alertSchema = z.looseObject({
  record_type: z.literal("alert"),
  schema_version: z.literal(SCHEMA_VERSION).optional(),
  /** Stable across replays and restarts: derived from the attempt, the type, the subject and the episode's first event. */
  alert_id: z.string().min(1),
  type: z.enum(ALERT_TYPES),
  severity: z.enum(SEVERITIES),
  /** When the alert line was written (wall clock). */
  timestamp: isoTime,
  attempt_id: z.string().min(1),
  session_id: z.string().nullish(),
  task_id: z.string().nullish(),
  project_id: z.string().nullish(),
  executor: z.string().nullish(),
  model: z.string().nullish(),
  occurrences: count,
  /** Event time of the first and last events of the episode. */
  first_seen: isoTime,
  last_seen: isoTime,
  recommendation: z.enum(RECOMMENDATIONS),
  message: z.string(),
  error_fingerprint: z.string().optional(),
  error_category: z.enum(ERROR_CATEGORIES).optional(),
  tool_name: z.string().optional(),
  /** The event that completed the condition: detection latency is measured from it. */
  trigger_sequence_num: count.optional(),
  details: z.record(z.string(), z.unknown()).optional(),
});
export type Alert = z.infer<typeof alertSchema>;

export const alertActionSchema = z.looseObject({
  record_type: z.literal("action"),
  schema_version: z.literal(SCHEMA_VERSION).optional(),
  timestamp: isoTime,
  alert_id: z.string().min(1),
  attempt_id: z.string().min(1),
  action: z.enum(ALERT_ACTIONS),
  status: z.enum(ACTION_STATUSES),
  /** A channel name, the command run, the new attempt's id: whatever says what was done. */
  detail: z.string().optional(),
  exit_code: z.number().int().nullable().optional(),
  error: z.string().optional(),
});
export type AlertActionRecord = z.infer<typeof alertActionSchema>;

export const alertRecordSchema = z.discriminatedUnion("record_type", [alertSchema, alertActionSchema]);
export type AlertRecord = z.infer<typeof alertRecordSchema>;
