import {
  COMPLETION_STATUSES,
  type CompletionStatus,
  OUTCOME_STATUSES,
  type OutcomeStatus,
} from "../schema/vocabulary.js";

/**
 * THE success rule of awl, the only place it is written. A finished attempt succeeded when:
 *
 * 1. its latest outcome (`awl outcome --status`, metrics `outcome.status`) says so — an outcome
 *    overrides what the session itself reported, because it arrives later and knows more
 *    (`completed` = success; `failed` and `manual_review` = not a success);
 * 2. otherwise its completion status says so (the merged metrics record's
 *    `metrics.completion_status`, else `session_end.data.completion_status`: `success` = success;
 *    `failed`, `timeout`, `interrupted` = not);
 * 3. otherwise the metrics record's `metrics.success` boolean.
 *
 * Anything else (a running session, a session known only from a few events) is NULL: not
 * finished, and left out of every rate's denominator.
 *
 * The SQL below is generated from the vocabulary lists, so renaming a status word there
 * changes it here; a word that is neither success nor failure fails the module's load.
 */
export const SUCCESS_OUTCOMES = ["completed"] as const satisfies readonly OutcomeStatus[];
export const SUCCESS_COMPLETIONS = ["success"] as const satisfies readonly CompletionStatus[];

const failedOutcomes = OUTCOME_STATUSES.filter((s) => !(SUCCESS_OUTCOMES as readonly string[]).includes(s));
const failedCompletions = COMPLETION_STATUSES.filter((s) => !(SUCCESS_COMPLETIONS as readonly string[]).includes(s));

export function sqlList(words: readonly string[]): string {
  for (const w of words) if (!/^[a-z_]+$/.test(w)) throw new Error(`not a vocabulary word: ${JSON.stringify(w)}`);
  return `(${words.map((w) => `'${w}'`).join(", ")})`;
}

/** `awl_success(outcome_status, completion_status, metrics_success)`: TRUE, FALSE or NULL (not finished). */
export function successMacroSql(): string {
  return `CREATE OR REPLACE TEMP MACRO awl_success(outcome_status, completion_status, metrics_success) AS CASE
  WHEN outcome_status IN ${sqlList(SUCCESS_OUTCOMES)} THEN TRUE
  WHEN outcome_status IN ${sqlList(failedOutcomes)} THEN FALSE
  WHEN completion_status IN ${sqlList(SUCCESS_COMPLETIONS)} THEN TRUE
  WHEN completion_status IN ${sqlList(failedCompletions)} THEN FALSE
  ELSE metrics_success END`;
}

/** The same rule in TypeScript, for tests and for callers holding one record. */
export function isSuccess(outcome: string | null | undefined, completion: string | null | undefined, metricsSuccess: boolean | null | undefined): boolean | null {
  if (outcome && (SUCCESS_OUTCOMES as readonly string[]).includes(outcome)) return true;
  if (outcome && (failedOutcomes as readonly string[]).includes(outcome)) return false;
  if (completion && (SUCCESS_COMPLETIONS as readonly string[]).includes(completion)) return true;
  if (completion && (failedCompletions as readonly string[]).includes(completion)) return false;
  return metricsSuccess ?? null;
}
