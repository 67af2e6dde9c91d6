import type { z } from "zod";

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
