import { createHmac } from "node:crypto";
import { type HttpOptions, postJson, type SendOutcome } from "./http.js";

export interface WebhookTarget {
  url: string;
  /** When set, the body is signed: `X-Awl-Signature: sha256=<hex HMAC-SHA256 of the body>`. */
  secret?: string;
}

export const SIGNATURE_HEADER = "x-awl-signature";
export const TIMESTAMP_HEADER = "x-awl-timestamp";
/** The same id on every retry of one notification: receivers deduplicate on it. */
export const DELIVERY_HEADER = "x-awl-delivery";

export function signBody(secret: string, body: string): string {
  return `sha256=${createHmac("sha256", secret).update(body, "utf8").digest("hex")}`;
}

/**
 * POSTs a JSON body to the webhook. The body is sent exactly as signed (the signature covers
 * the bytes on the wire, which carry `sent_at` themselves so a receiver can refuse replays).
 * 2xx is success; 408, 429 and 5xx are worth retrying; any other status is final.
 */
export async function sendWebhook(
  target: WebhookTarget,
  body: string,
  deliveryId: string,
  opts: HttpOptions & { now?: () => number } = {},
): Promise<SendOutcome> {
  const headers: Record<string, string> = {
    [TIMESTAMP_HEADER]: String(Math.floor((opts.now ?? Date.now)() / 1000)),
    [DELIVERY_HEADER]: deliveryId,
  };
  if (target.secret) headers[SIGNATURE_HEADER] = signBody(target.secret, body);
  const scrub = (s: string) => (target.secret ? s.split(target.secret).join("<secret>") : s);
  const r = await postJson(target.url, body, headers, opts, scrub);
  if ("error" in r) return { ok: false, retry: true, error: `webhook: ${r.error}` };
  if (r.status >= 200 && r.status < 300) return { ok: true, detail: `HTTP ${r.status}` };
  const why = `webhook: HTTP ${r.status}`;
  if (r.status === 429) {
    const after = Number(r.headers.get("retry-after") ?? Number.NaN);
    return { ok: false, retry: true, error: why, retryAfterMs: Number.isFinite(after) ? after * 1000 : undefined };
  }
  if (r.status === 408 || r.status >= 500) return { ok: false, retry: true, error: why };
  return { ok: false, retry: false, error: why };
}
