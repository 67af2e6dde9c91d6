import type { AwlConfig, NotifyChannel } from "../../config/schema.js";
import { splitMessage } from "./format.js";
import { backoffMs, type FetchLike, type SendOutcome } from "./http.js";
import { sendTelegramMessage } from "./telegram.js";
import { sendWebhook } from "./webhook.js";

/** Channels with a complete configuration (both Telegram values, a webhook URL). */
export function configuredChannels(config: Pick<AwlConfig, "notify">): NotifyChannel[] {
  const out: NotifyChannel[] = [];
  if (config.notify.telegram?.botToken && config.notify.telegram.chatId) out.push("telegram");
  if (config.notify.webhook?.url) out.push("webhook");
  return out;
}

export class NoChannelError extends Error {
  override name = "NoChannelError";
}

/** A message that is not an alert (the weekly summary): Telegram gets the HTML, the webhook a JSON body. */
export interface TextMessage {
  /** Telegram HTML (parse_mode HTML): every value already escaped. */
  html: string;
  /** The same as plain text (webhook `text`). */
  text: string;
  /** What it is, in the webhook body (`type`), e.g. "weekly_report". */
  type: string;
  /** Stable id of this message: the webhook's X-Awl-Delivery, the same on every retry. */
  id: string;
  /** Extra fields of the webhook body. */
  extra?: Record<string, unknown>;
}

export interface BroadcastOptions {
  fetch?: FetchLike;
  now?: () => number;
  /** Sends of one channel before it is given up (default 3); waits honour a 429's retry_after. */
  attempts?: number;
  backoffBaseMs?: number;
  signal?: AbortSignal;
  /** Only these channels (those not yet delivered after an earlier partial failure). */
  only?: readonly NotifyChannel[];
}

export type BroadcastResult = { channel: NotifyChannel; outcome: SendOutcome; attempts: number };

/**
 * Sends one text to every configured channel, side by side, each retried on what is worth
 * retrying. Never throws for a failed send (the results say); throws NoChannelError when no
 * channel is configured. Telegram text longer than one message is split at line breaks.
 */
export async function broadcast(config: Pick<AwlConfig, "notify">, msg: TextMessage, opts: BroadcastOptions = {}): Promise<BroadcastResult[]> {
  const channels = configuredChannels(config).filter((c) => !opts.only || opts.only.includes(c));
  if (configuredChannels(config).length === 0) {
    throw new NoChannelError("no notification channel is configured: set AWL_TELEGRAM_BOT_TOKEN and AWL_TELEGRAM_CHAT_ID, or AWL_WEBHOOK_URL");
  }
  const http = { fetch: opts.fetch, timeoutMs: config.notify.timeoutMs };
  const now = opts.now ?? Date.now;
  const once = async (channel: NotifyChannel, progress: { part: number }): Promise<SendOutcome> => {
    if (channel === "telegram") {
      const tg = config.notify.telegram!;
      const parts = splitMessage(msg.html);
      let last: SendOutcome = { ok: true };
      while (progress.part < parts.length) {
        last = await sendTelegramMessage({ botToken: tg.botToken!, chatId: tg.chatId!, apiBase: tg.apiBase }, parts[progress.part]!, http);
        if (!last.ok) return last;
        progress.part++; // a retry continues after the parts already delivered
      }
      return { ok: true, detail: `telegram ${last.ok ? (last.detail ?? "sent") : ""}${parts.length > 1 ? ` (${parts.length} parts)` : ""}` };
    }
    const wh = config.notify.webhook!;
    const body = JSON.stringify({ source: "awl", type: msg.type, sent_at: new Date(now()).toISOString(), text: msg.text, ...msg.extra });
    return sendWebhook({ url: wh.url!, secret: wh.secret }, body, msg.id, { ...http, now });
  };
  const attempts = opts.attempts ?? 3;
  return Promise.all(
    channels.map(async (channel) => {
      const progress = { part: 0 };
      let n = 0;
      for (;;) {
        n++;
        const outcome = await once(channel, progress);
        if (outcome.ok || !outcome.retry || n >= attempts || opts.signal?.aborted) return { channel, outcome, attempts: n };
        await wait(Math.min(outcome.retryAfterMs ?? backoffMs(n, opts.backoffBaseMs ?? 1000), 60_000), opts.signal);
      }
    }),
  );
}

function wait(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal?.removeEventListener("abort", done);
      resolve();
    }
    signal?.addEventListener("abort", done, { once: true });
  });
}

/** Undoes the five entities `escapeHtml` writes: the webhook's plain `text` of an HTML summary. */
export function unescapeHtml(s: string): string {
  return s.replace(/&(amp|lt|gt|quot|#39);/g, (_, e: string) => ({ amp: "&", lt: "<", gt: ">", quot: '"', "#39": "'" })[e]!);
}
