import { z } from "zod";
import { COMPLETION_STATUSES, ERROR_CATEGORIES, OUTCOME_STATUSES, SCHEMA_VERSION, SOURCES } from "./vocabulary.js";
import { usageSchema } from "./event.js";

const count = z.number().int().nonnegative();

export const sessionMetricsSchema = z.looseObject({
  duration_ms: count.optional(),
  total_tokens: count.optional(),
  usage: usageSchema.optional(),
  cost_usd: z.number().nonnegative().optional(),
  cost_estimated: z.boolean().optional(),
  tool_calls: count.optional(),
  errors: count.optional(),
  files_modified: count.optional(),
  lines_added: count.optional(),
  lines_deleted: count.optional(),
  commits: count.optional(),
  success: z.boolean().optional(),
  completion_status: z.enum(COMPLETION_STATUSES).optional(),
  first_shot_success: z.boolean().optional(),
  retry_count: count.optional(),
});

export const outcomeSchema = z.looseObject({
  status: z.enum(OUTCOME_STATUSES).optional(),
  pr_created: z.boolean().optional(),
  pr_number: z.number().int().positive().optional(),
  pr_merged: z.boolean().optional(),
  test_passed: z.boolean().optional(),
  build_passed: z.boolean().optional(),
});

export const errorSummarySchema = z.looseObject({
  total_errors: count.optional(),
  error_categories: z.array(z.enum(ERROR_CATEGORIES)).optional(),
  error_fingerprints: z.array(z.string()).optional(),
  resolved_by_agent: count.optional(),
  resolved_by_intervention: count.optional(),
});

/**
 * One line of agent-metrics.jsonl. A session's recorder writes one when it ends; an
 * orchestrator may add later ones (`awl outcome`) for the same attempt. See
 * `mergeMetricsRecords` for how they combine.
 */
export const metricsRecordSchema = z.object({
  schema_version: z.literal(SCHEMA_VERSION).optional(),
  timestamp: z.iso.datetime({ offset: true }),
  attempt_id: z.string().min(1, "must not be empty"),
  session_id: z.string().nullish(),
  task_id: z.string().nullish(),
  task_title: z.string().nullish(),
  project_id: z.string().nullish(),
  executor: z.string().nullish(),
  executor_variant: z.string().nullish(),
  model: z.string().nullish(),
  metrics: sessionMetricsSchema.optional(),
  outcome: outcomeSchema.optional(),
  error_summary: errorSummarySchema.optional(),
  source: z.enum(SOURCES).optional(),
});
export type MetricsRecord = z.infer<typeof metricsRecordSchema>;
export type MetricsRecordInput = z.input<typeof metricsRecordSchema>;

const SECTIONS = ["metrics", "outcome", "error_summary"] as const;

/**
 * The merge rule for several records of one attempt, applied in file order: every field
 * a later record sets replaces the earlier value, at the level of the fields inside
 * `metrics`, `outcome` and `error_summary` (arrays are replaced whole, never concatenated);
 * a field a later record leaves out (or sets to null at the top level) keeps its earlier
 * value. So `awl outcome --pr-merged` after a session's own record adds the merge without
 * erasing the session's tokens, and a second `--status` corrects the first.
 */
export function mergeMetricsRecords(records: readonly MetricsRecord[]): MetricsRecord | undefined {
  let merged: MetricsRecord | undefined;
  for (const record of records) {
    if (!merged) {
      merged = structuredClone(record);
      continue;
    }
    if (record.attempt_id !== merged.attempt_id) {
      throw new Error(`cannot merge metrics of attempt ${record.attempt_id} into ${merged.attempt_id}`);
    }
    for (const [key, value] of Object.entries(record)) {
      if (value === undefined || value === null) continue;
      if ((SECTIONS as readonly string[]).includes(key)) {
        const section = key as (typeof SECTIONS)[number];
        merged[section] = { ...(merged[section] ?? {}), ...dropUndefined(value as Record<string, unknown>) };
      } else {
        (merged as Record<string, unknown>)[key] = value;
      }
    }
  }
  return merged;
}

function dropUndefined(obj: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(obj)) if (v !== undefined) out[k] = v;
  return out;
}
