/** What one notification request came to, as the outbox needs it to decide what happens next. */
export type SendOutcome =
  | { ok: true; detail?: string }
  /** Worth trying again: a 429 (with the server's wait), a 5xx, a timeout, a network failure. */
  | { ok: false; retry: true; error: string; retryAfterMs?: number }
  /** Trying again cannot help (400 bad request, 401/403/404: wrong token, chat or URL). */
  | { ok: false; retry: false; error: string };

export type FetchLike = (input: string, init: RequestInit) => Promise<Response>;

export interface HttpOptions {
  fetch?: FetchLike;
  timeoutMs?: number;
}

/**
 * One POST with a timeout; never throws. `scrub` removes a credential from any error text
 * (a Telegram bot token is part of the URL, and a URL must never reach a log or a record).
 */
export async function postJson(
  url: string,
  body: string,
  headers: Record<string, string>,
  opts: HttpOptions,
  scrub: (s: string) => string,
): Promise<{ status: number; text: string; headers: Headers } | { error: string; timeout: boolean }> {
  const doFetch = opts.fetch ?? fetch;
  try {
    const res = await doFetch(url, {
      method: "POST",
      headers: { "content-type": "application/json", ...headers },
      body,
      signal: AbortSignal.timeout(opts.timeoutMs ?? 10_000),
    });
    const text = await res.text();
    return { status: res.status, text, headers: res.headers };
  } catch (err) {
    const e = err as Error & { cause?: { code?: string; message?: string } };
    const timeout = e.name === "TimeoutError" || e.name === "AbortError";
    const why = timeout ? `timed out after ${opts.timeoutMs ?? 10_000} ms` : (e.cause?.code ?? e.cause?.message ?? e.message);
    return { error: scrub(`network error: ${why}`), timeout };
  }
}

/** Exponential backoff with a cap: 1 s, 2 s, 4 s … for the n-th retry (n >= 1). */
export function backoffMs(n: number, baseMs = 1000, capMs = 5 * 60_000): number {
  return Math.min(capMs, baseMs * 2 ** Math.max(0, n - 1));
}
