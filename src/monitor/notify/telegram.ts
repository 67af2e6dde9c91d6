import { type HttpOptions, postJson, type SendOutcome } from "./http.js";

export const TELEGRAM_API_BASE = "https://api.telegram.org";

export interface TelegramTarget {
  botToken: string;
  chatId: string;
  /** Bot API base URL; tests point it at a local server. */
  apiBase?: string;
}

/**
 * Sends one message part with the Bot API's `sendMessage` (parse_mode HTML, link previews off).
 * The bot token is part of the request URL: no error text ever contains the URL or the token.
 * A 429 carries `parameters.retry_after` (seconds): it comes back as `retryAfterMs` so the
 * caller waits exactly that long.
 */
export async function sendTelegramMessage(target: TelegramTarget, html: string, opts: HttpOptions = {}): Promise<SendOutcome> {
  const base = (target.apiBase ?? TELEGRAM_API_BASE).replace(/\/+$/, "");
  const url = `${base}/bot${target.botToken}/sendMessage`;
  const scrub = (s: string) => s.split(target.botToken).join("<token>");
  const body = JSON.stringify({ chat_id: target.chatId, text: html, parse_mode: "HTML", link_preview_options: { is_disabled: true } });
  const r = await postJson(url, body, {}, opts, scrub);
  if ("error" in r) return { ok: false, retry: true, error: `telegram: ${r.error}` };
  let reply: { ok?: boolean; description?: string; parameters?: { retry_after?: number }; result?: { message_id?: number } } = {};
  try {
    reply = JSON.parse(r.text);
  } catch {
    // a proxy's HTML error page: judged by its status below
  }
  if (r.status === 200 && reply.ok !== false) {
    return { ok: true, detail: reply.result?.message_id !== undefined ? `message ${reply.result.message_id}` : undefined };
  }
  const why = scrub(`telegram: HTTP ${r.status}${reply.description ? `: ${reply.description}` : ""}`);
  if (r.status === 429) {
    const after = reply.parameters?.retry_after ?? Number(r.headers.get("retry-after") ?? Number.NaN);
    return { ok: false, retry: true, error: why, retryAfterMs: Number.isFinite(after) ? Math.max(0, after) * 1000 : undefined };
  }
  if (r.status >= 500) return { ok: false, retry: true, error: why };
  return { ok: false, retry: false, error: why };
}
