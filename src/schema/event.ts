import { z } from "zod";
import {
  COMPLETION_STATUSES,
  ERROR_CATEGORIES,
  ERROR_SOURCES,
  PROMPT_TYPES,
  SCHEMA_VERSION,
  SOURCES,
  STREAM_TYPES,
  TOOL_RESULTS,
} from "./vocabulary.js";

/**
 * The event schema: the seed design's envelope and per-type payloads plus awl's
 * optional extensions. Payloads are loose objects: fields an agent adds that awl does
 * not know are kept, never stripped, so nothing an agent reported is lost.
 */

const count = z.number().int().nonnegative();
const text = z.string();

/** Tokens of one model request (or a session total), one bucket per kind, each token counted once. */
export const usageSchema = z.looseObject({
  input: count.optional().describe("uncached input tokens"),
  output: count.optional().describe("visible output tokens (reasoning excluded)"),
  cache_read: count.optional(),
  cache_creation: count.optional(),
  reasoning: count.optional(),
  total_tokens: count.optional().describe("sum of the buckets"),
});
export type Usage = z.infer<typeof usageSchema>;

export const sessionStartData = z.looseObject({
  prompt: text.optional(),
  prompt_type: z.enum(PROMPT_TYPES).optional(),
  followup_reason: text.optional(),
  command: z.array(text).optional().describe("argv of the supervised agent"),
  cwd: text.optional(),
  git_head: text.optional(),
});

export const agentOutputData = z.looseObject({
  output: text,
  stream_type: z.enum(STREAM_TYPES).optional(),
  usage: usageSchema.optional(),
  record_type: text.optional().describe("the agent's own record type, for records awl keeps unparsed"),
  raw: z.unknown().optional(),
});

export const agentThinkingData = z.looseObject({
  thinking: text,
  usage: usageSchema.optional(),
});

export const toolCallData = z.looseObject({
  tool_name: text.min(1),
  tool_params: z.unknown().optional(),
  tool_call_id: text.optional(),
  usage: usageSchema.optional(),
});

export const toolResultData = z.looseObject({
  tool_name: text.optional(),
  result: z.enum(TOOL_RESULTS),
  result_data: z.unknown().optional(),
  tool_call_id: text.optional(),
  duration_ms: count.optional(),
  exit_code: z.number().int().optional(),
});

export const errorData = z.looseObject({
  error_message: text,
  error_fingerprint: text.optional(),
  error_category: z.enum(ERROR_CATEGORIES).optional(),
  error_template: text.optional().describe("normalized message an unknown error was grouped by"),
  error_source: z.enum(ERROR_SOURCES).optional(),
  stack_trace: text.optional(),
  tool_call_id: text.optional(),
  tool_name: text.optional(),
  http_status: z.number().int().optional(),
});

export const sessionEndData = z.looseObject({
  completion_status: z.enum(COMPLETION_STATUSES),
  duration_ms: count.optional(),
  exit_code: z.number().int().nullable().optional(),
  signal: text.optional(),
  total_tokens: count.optional(),
  usage: usageSchema.optional(),
  cost_usd: z.number().nonnegative().optional(),
  cost_estimated: z.boolean().optional().describe("true where cost came from a price table, not the agent"),
  tool_calls: count.optional(),
  errors: count.optional(),
});

export const followupSentData = z.looseObject({
  prompt: text.optional(),
  followup_reason: text.optional(),
  alert_id: text.optional(),
  action: text.optional().describe("what awl did: fresh_session, autofix_command, …"),
});

/** Identifiers and metadata every event may carry; the writer fills the bookkeeping fields. */
const envelope = {
  schema_version: z.literal(SCHEMA_VERSION).optional(),
  timestamp: z.iso.datetime({ offset: true }).describe("when the event happened (the agent's own time where it reports one)"),
  attempt_id: text.min(1, "must not be empty"),
  session_id: text.nullish(),
  task_id: text.nullish(),
  task_title: text.nullish(),
  task_description: text.nullish(),
  project_id: text.nullish(),
  executor: text.nullish(),
  executor_variant: text.nullish(),
  model: text.nullish(),
  branch: text.nullish(),
  base_branch: text.nullish(),
  commits_ahead: count.nullish(),
  commits_behind: count.nullish(),
  elapsed_ms: z.number().int().describe("milliseconds since the attempt's session_start"),
  sequence_num: count.describe("0, 1, 2, … within an attempt, no gaps"),
  tags: z.array(text).optional(),
  manual_notes: text.nullish(),
  source: z.enum(SOURCES).optional().describe("how the event was captured"),
};

const variants = {
  session_start: sessionStartData,
  agent_output: agentOutputData,
  agent_thinking: agentThinkingData,
  tool_call: toolCallData,
  tool_result: toolResultData,
  error: errorData,
  session_end: sessionEndData,
  followup_sent: followupSentData,
} as const;

export const DATA_SCHEMAS = variants;

function union<E extends Record<string, z.ZodType>>(shape: E) {
  return z.discriminatedUnion("event_type", [
    z.object({ ...shape, event_type: z.literal("session_start"), data: variants.session_start }),
    z.object({ ...shape, event_type: z.literal("agent_output"), data: variants.agent_output }),
    z.object({ ...shape, event_type: z.literal("agent_thinking"), data: variants.agent_thinking }),
    z.object({ ...shape, event_type: z.literal("tool_call"), data: variants.tool_call }),
    z.object({ ...shape, event_type: z.literal("tool_result"), data: variants.tool_result }),
    z.object({ ...shape, event_type: z.literal("error"), data: variants.error }),
    z.object({ ...shape, event_type: z.literal("session_end"), data: variants.session_end }),
    z.object({ ...shape, event_type: z.literal("followup_sent"), data: variants.followup_sent }),
  ]);
}

/** An event as it stands in the log files. */
export const eventSchema = union(envelope);
export type AwlEvent = z.infer<typeof eventSchema>;

/**
 * An event as a producer hands it to the writer: the writer assigns `sequence_num`,
 * `elapsed_ms` and `schema_version`, and `timestamp` defaults to now.
 */
export const eventInputSchema = union({
  ...envelope,
  timestamp: envelope.timestamp.optional(),
  elapsed_ms: envelope.elapsed_ms.optional(),
  sequence_num: envelope.sequence_num.optional(),
});
export type EventInput = z.input<typeof eventInputSchema>;

export type EventOf<T extends AwlEvent["event_type"]> = Extract<AwlEvent, { event_type: T }>;
export type DataOf<T extends AwlEvent["event_type"]> = EventOf<T>["data"];
