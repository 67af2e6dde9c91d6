/** A mistake in how awl was called: printed as one line, exit code 2. */
export class UsageError extends Error {
  override name = "UsageError";
}

/** Exit codes: 0 done, 1 failed while working, 2 bad input (usage, validation, configuration). */
export const EXIT = { ok: 0, failure: 1, usage: 2 } as const;
