/**
 * The one vocabulary of awl. Writer, detectors, analytics and reports import these
 * lists instead of spelling the words themselves: an earlier implementation of this
 * design reported 0 % success because its writer said `success` and its reader `completed`.
 */

export const SCHEMA_VERSION = 1 as const;

export const EVENT_TYPES = [
  "session_start",
  "agent_output",
  "agent_thinking",
  "tool_call",
  "tool_result",
  "error",
  "session_end",
  "followup_sent",
] as const;
export type EventType = (typeof EVENT_TYPES)[number];

/** How a session ended, as the recorder saw it (`session_end.data.completion_status`). */
export const COMPLETION_STATUSES = ["success", "failed", "timeout", "interrupted"] as const;
export type CompletionStatus = (typeof COMPLETION_STATUSES)[number];

/** What became of the work afterwards (`metrics.outcome.status`), reported by an orchestrator. */
export const OUTCOME_STATUSES = ["completed", "failed", "manual_review"] as const;
export type OutcomeStatus = (typeof OUTCOME_STATUSES)[number];

export const PROMPT_TYPES = ["initial", "followup", "retry"] as const;
export type PromptType = (typeof PROMPT_TYPES)[number];

export const TOOL_RESULTS = ["success", "error"] as const;
export type ToolResultStatus = (typeof TOOL_RESULTS)[number];

export const STREAM_TYPES = ["stdout", "stderr"] as const;
export type StreamType = (typeof STREAM_TYPES)[number];

/** Where an error came from: a failed tool, the model provider, the agent itself, plain output, an orchestrator. */
export const ERROR_SOURCES = ["tool", "api", "agent", "output", "orchestrator"] as const;
export type ErrorSource = (typeof ERROR_SOURCES)[number];

/**
 * The category taxonomy shared by the fingerprint rules, the detectors and the planning
 * rules of analytics. Adding a category here is the only way to add one.
 */
export const ERROR_CATEGORIES = [
  "git",
  "dependency",
  "context_window",
  "api_key",
  "rate_limit",
  "provider",
  "network",
  "test",
  "build",
  "type_check",
  "lint",
  "syntax",
  "permission",
  "file_not_found",
  "merge_conflict",
  "out_of_memory",
  "command_not_found",
  "timeout",
  "runtime",
  "agent",
  "unknown",
] as const;
export type ErrorCategory = (typeof ERROR_CATEGORIES)[number];

/** Categories caused by the model provider rather than by the agent's own work. */
export const PROVIDER_CATEGORIES: readonly ErrorCategory[] = ["api_key", "rate_limit", "provider"];

export const SEVERITIES = ["info", "warning", "error", "critical"] as const;
export type Severity = (typeof SEVERITIES)[number];

/** How an event reached the log. */
export const SOURCES = ["emit", "api", "run", "import", "otlp"] as const;
export type Source = (typeof SOURCES)[number];

/** A session with a start and no end yet: the status listings show beside COMPLETION_STATUSES. */
export const RUNNING = "running" as const;
export type SessionStatus = CompletionStatus | typeof RUNNING;

/** What the live analyzer raises (SPEC §4). Detectors, actions, analytics and the dashboard use these names. */
export const ALERT_TYPES = [
  "error_loop",
  "tool_loop",
  "stuck",
  "context_exhaustion",
  "cost_budget",
  "provider_errors",
  "excessive_restarts",
  "failed_session_high_errors",
] as const;
export type AlertType = (typeof ALERT_TYPES)[number];

/** What an alert advises; the intervention pipeline acts on these. */
export const RECOMMENDATIONS = [
  "trigger_ai_autofix",
  "fresh_session",
  "check_agent",
  "compact_or_split_task",
  "stop_session",
  "switch_provider_or_backoff",
  "review_task",
] as const;
export type Recommendation = (typeof RECOMMENDATIONS)[number];

/** What awl did about an alert (`action` records in agent-alerts.jsonl). */
export const ALERT_ACTIONS = ["notify", "intervene", "autofix", "hook", "give_up"] as const;
export type AlertAction = (typeof ALERT_ACTIONS)[number];

export const ACTION_STATUSES = ["ok", "failed", "skipped"] as const;
export type ActionStatus = (typeof ACTION_STATUSES)[number];
