import type { ErrorCategory } from "../schema/vocabulary.js";

/**
 * Planning rules: what a task's history says about how it was planned. Category rules are
 * written against the shared taxonomy (`ErrorCategory`): a category name that is not in
 * src/schema/vocabulary.ts does not compile, so classifier and rules cannot drift apart
 * (the seed's rules never fired because they did not).
 */
export interface PlanningRule {
  id: string;
  title: string;
  advice: string;
  /** Fires when the task's errors include any of these categories… */
  categories?: readonly ErrorCategory[];
  /** …and (or only) this condition over the task row (SQL over tasks_f columns) holds. */
  when?: string;
}

/** A task with at least this many attempts was not planned well enough to finish. */
export const TOO_MANY_ATTEMPTS = 3;

export const PLANNING_RULES: readonly PlanningRule[] = [
  {
    id: "missing_dependency_setup",
    title: "Missing dependency setup",
    categories: ["dependency"],
    advice: "Install and pin the task's dependencies in a setup step (lockfile, registry access, caches) before the agent starts.",
  },
  {
    id: "missing_environment",
    title: "Missing environment or credentials",
    categories: ["api_key", "permission", "command_not_found"],
    advice: "Provide the environment up front: API keys and credentials, the tools the task needs on PATH, file permissions.",
  },
  {
    id: "scope_too_large",
    title: "Scope too large for the context window",
    categories: ["context_window"],
    advice: "Split the task into smaller steps, or give the agent only the files it needs: its scope exhausted the context window.",
  },
  {
    id: "flaky_tests",
    title: "Flaky tests",
    categories: ["test"],
    when: "successes > 0 AND failures > 0",
    advice: "Test failures came and went across attempts of the same task: stabilise or quarantine the flaky tests before retrying.",
  },
  {
    id: "too_many_attempts",
    title: "Too many attempts",
    when: `attempts >= ${TOO_MANY_ATTEMPTS}`,
    advice: "Rewrite the task with clear acceptance criteria and a smaller first step before retrying again.",
  },
  {
    id: "executor_switching",
    title: "Executor switching",
    when: "len(executors) >= 2",
    advice: "The task moved between executors: pick the executor that succeeds on this kind of task and keep it.",
  },
];

/** A SQL boolean expression for one rule over a tasks_f row. */
export function ruleSql(rule: PlanningRule): string {
  const parts: string[] = [];
  if (rule.categories?.length) {
    for (const c of rule.categories) if (!/^[a-z_]+$/.test(c)) throw new Error(`bad category ${c}`);
    parts.push(`list_has_any(category_names, [${rule.categories.map((c) => `'${c}'`).join(", ")}])`);
  }
  if (rule.when) parts.push(`(${rule.when})`);
  return parts.join(" AND ") || "FALSE";
}
