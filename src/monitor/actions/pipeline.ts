import { createHash } from "node:crypto";
import { closeSync, fstatSync, openSync, readFileSync, readSync, statSync } from "node:fs";
import { join } from "node:path";
import type { AwlConfig } from "../../config/schema.js";
import { type Alert, alertRecordSchema } from "../../schema/alert.js";
import { follow } from "../../store/follow.js";
import { ensureDir, writeFileAtomic } from "../../store/fs.js";
import { type LogPaths, logPaths } from "../../store/paths.js";
import { readLines } from "../../store/reader.js";
import { historyFiles } from "../../store/rotate.js";
import { configuredChannels } from "../notify/broadcast.js";
import { formatAlertHtml, formatAlertText, splitMessage } from "../notify/format.js";
import { backoffMs, type FetchLike, type SendOutcome } from "../notify/http.js";
import { Outbox, type OutboxEntry, outboxId } from "../notify/outbox.js";
import { type CooldownState, pruneCooldown, routeAlert, selectChannels } from "../notify/route.js";
import { sendTelegramMessage } from "../notify/telegram.js";
import { sendWebhook } from "../notify/webhook.js";
import { type ActionRecordInput, appendActionRecords } from "../alerts-log.js";
import { hookOutcome, runAlertHook } from "./hook.js";

/**
 * The action pipeline: turns the alerts in agent-alerts.jsonl (written by any `awl watch`
 * process) into notifications and hook runs, each recorded as an `action` line in the same
 * file. Durable end to end:
 *
 * 1. It follows agent-alerts.jsonl from an offset kept in `.state/actions.json` (with the
 *    file's inode and the notification cooldowns), so a restart resumes where it stopped;
 *    after a rotation while it was down, it re-reads the archives written since.
 * 2. For each alert it queues one outbox entry per channel (and one for the hook) BEFORE
 *    saving the offset; entry ids derive from the alert id, so reading an alert twice never
 *    queues it twice.
 * 3. The outbox is drained separately: an entry is sent, then marked done (tombstone), then
 *    the `action` record is appended. Failures are retried with backoff (a 429's retry_after
 *    honoured) until `notify.maxAttempts`, then given up and recorded.
 *
 * Exactly once, and its one window: killed before a send, the entry is pending and is sent
 * once after the restart. Killed after the server accepted a request but before the
 * tombstone was written (the time of one response's trip back plus one small file write),
 * the message is sent again after the restart: the Bot API has no idempotency key to prevent
 * it. Webhooks carry the same `X-Awl-Delivery` id on every try so a receiver can deduplicate.
 * A multi-part Telegram message saves its progress after each part, so only the part in
 * flight can repeat.
 */
export interface PipelineOptions {
  config: AwlConfig;
  signal?: AbortSignal;
  /** Process the alerts there now, try what is due once, and return (no following). */
  once?: boolean;
  fetch?: FetchLike;
  /** Wall clock (ms): record timestamps, retry times, staleness. */
  now?: () => number;
  /** Environment the hook inherits (credentials removed). */
  env?: NodeJS.ProcessEnv;
  /** First retry delay; doubles per attempt (default 1000 ms). */
  backoffBaseMs?: number;
  /**
   * An alert whose last event (`last_seen`, event time) is older than this when read is
   * recorded as skipped instead of sent or hooked: `awl watch --replay` over months of
   * history must not page anyone. Default `notify.maxAgeMinutes`; 0 = no limit.
   */
  maxAgeMs?: number;
  /** Observes what the pipeline does (status lines, tests, benchmarks). */
  onEvent?: (e: PipelineEvent) => void;
}

export type PipelineEvent =
  | { type: "alert"; alert: Alert }
  | { type: "queued"; id: string; kind: OutboxEntry["kind"]; alert_id: string }
  | { type: "sent"; id: string; kind: OutboxEntry["kind"]; alert_id: string }
  | { type: "retry"; id: string; kind: OutboxEntry["kind"]; error: string; at: number }
  | { type: "failed"; id: string; kind: OutboxEntry["kind"]; error: string }
  | { type: "skipped"; alert_id: string; channel: string; reason: string };

export interface PipelineStats {
  alerts: number;
  invalid: number;
  stale: number;
  queued: number;
  sent: number;
  failed: number;
  skipped: number;
  hooks: number;
}

interface ActionsState {
  v: 1;
  ino: number;
  /** The file's first bytes (length and SHA-256): an inode number alone is reused once a rotated file is compressed. */
  head?: { len: number; sha256: string };
  offset: number;
  cooldown: CooldownState;
  /** Wall clock of the last save: archives written after it may hold unread alerts. */
  saved_at: number;
}

function statePath(paths: LogPaths): string {
  return join(paths.state, "actions.json");
}

function loadState(paths: LogPaths): ActionsState | undefined {
  try {
    const s = JSON.parse(readFileSync(statePath(paths), "utf8")) as ActionsState;
    return s.v === 1 && Number.isInteger(s.offset) && typeof s.ino === "number" ? { ...s, cooldown: s.cooldown ?? {} } : undefined;
  } catch {
    return undefined;
  }
}

const HEAD_BYTES = 256;

/** The first bytes of a file (up to HEAD_BYTES) as its identity beside the inode; undefined if it is not that inode any more. */
function fileHead(path: string, ino: number): ActionsState["head"] {
  let fd: number | undefined;
  try {
    fd = openSync(path, "r");
    if (fstatSync(fd).ino !== ino) return undefined;
    const buf = Buffer.alloc(HEAD_BYTES);
    const n = readSync(fd, buf, 0, HEAD_BYTES, 0);
    return { len: n, sha256: createHash("sha256").update(buf.subarray(0, n)).digest("hex") };
  } catch {
    return undefined;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

function sameHead(path: string, head: ActionsState["head"]): boolean {
  if (!head) return true; // nothing recorded yet (an empty file): the inode must do
  let fd: number | undefined;
  try {
    fd = openSync(path, "r");
    const buf = Buffer.alloc(head.len);
    const n = readSync(fd, buf, 0, head.len, 0);
    return n === head.len && createHash("sha256").update(buf.subarray(0, n)).digest("hex") === head.sha256;
  } catch {
    return false;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

function formatAge(ms: number): string {
  const min = Math.floor(ms / 60_000);
  if (min < 120) return `${min} min`;
  const h = Math.floor(min / 60);
  return h < 48 ? `${h} h` : `${Math.floor(h / 24)} d`;
}

export { configuredChannels };

export async function runActionPipeline(opts: PipelineOptions): Promise<PipelineStats> {
  const { config } = opts;
  const now = opts.now ?? Date.now;
  const paths = logPaths(config.logDir, config.streamFile);
  const outbox = new Outbox(paths.state);
  const channels = configuredChannels(config);
  const stats: PipelineStats = { alerts: 0, invalid: 0, stale: 0, queued: 0, sent: 0, failed: 0, skipped: 0, hooks: 0 };
  const maxAge = opts.maxAgeMs ?? config.notify.maxAgeMinutes * 60_000;
  const emit = opts.onEvent ?? (() => undefined);
  ensureDir(paths.dir);
  ensureDir(paths.state);
  outbox.prune(now(), 30);

  const prior = loadState(paths);
  const state: ActionsState = prior ?? { v: 1, ino: 0, offset: 0, cooldown: {}, saved_at: 0 };
  const save = () => {
    state.saved_at = now();
    let latest = "";
    for (const v of Object.values(state.cooldown)) if (v.at > latest) latest = v.at;
    if (latest) state.cooldown = pruneCooldown(state.cooldown, config.notify.cooldownMinutes, latest);
    writeFileAtomic(statePath(paths), JSON.stringify(state));
  };

  let kick: () => void = () => undefined;

  const handleLines = (lines: string[]) => {
    const records: ActionRecordInput[] = [];
    for (const line of lines) {
      if (!line.trim()) continue;
      let value: unknown;
      try {
        value = JSON.parse(line);
      } catch {
        stats.invalid++;
        continue;
      }
      const r = alertRecordSchema.safeParse(value);
      if (!r.success) {
        stats.invalid++;
        continue;
      }
      if (r.data.record_type !== "alert") continue;
      const alert = r.data;
      stats.alerts++;
      emit({ type: "alert", alert });
      const age = now() - Date.parse(alert.last_seen);
      if (maxAge > 0 && age > maxAge) {
        stats.stale++;
        const reason = `stale: last event ${formatAge(age)} ago (notify.maxAgeMinutes ${Math.round(maxAge / 60_000)})`;
        const targets: OutboxEntry["kind"][] = [...selectChannels(alert, { channels, routes: config.notify.routes })];
        if (config.hooks.onAlert) targets.push("hook");
        for (const kind of targets) {
          const id = outboxId(kind, alert.alert_id);
          if (outbox.known(id)) continue; // read again after a restart: recorded once
          outbox.finish(entryFor(kind, alert, id), { status: "skipped", at: new Date(now()).toISOString(), attempts: 0, detail: reason });
          records.push({ alert_id: alert.alert_id, attempt_id: alert.attempt_id, action: kind === "hook" ? "hook" : "notify", status: "skipped", detail: `${kind}: ${reason}` });
          stats.skipped++;
          emit({ type: "skipped", alert_id: alert.alert_id, channel: kind, reason });
        }
        continue;
      }
      const decision = routeAlert(alert, { channels, routes: config.notify.routes, cooldownMinutes: config.notify.cooldownMinutes }, state.cooldown);
      state.cooldown = decision.cooldown;
      for (const ch of decision.send) queue(ch, alert);
      for (const s of decision.skip) {
        const id = outboxId(s.channel, alert.alert_id);
        if (outbox.known(id)) continue;
        outbox.finish(entryFor(s.channel, alert, id), { status: "skipped", at: new Date(now()).toISOString(), attempts: 0, detail: s.reason });
        records.push({ alert_id: alert.alert_id, attempt_id: alert.attempt_id, action: "notify", status: "skipped", detail: `${s.channel}: ${s.reason}` });
        stats.skipped++;
        emit({ type: "skipped", alert_id: alert.alert_id, channel: s.channel, reason: s.reason });
      }
      if (config.hooks.onAlert) queue("hook", alert);
    }
    if (records.length) appendActionRecords(paths, records, now);
    kick();
  };

  const entryFor = (kind: OutboxEntry["kind"], alert: Alert, id: string): OutboxEntry => {
    const entry: OutboxEntry = {
      id,
      kind,
      alert_id: alert.alert_id,
      attempt_id: alert.attempt_id,
      created: new Date(now()).toISOString(),
      attempts: 0,
      next_at: 0,
      alert,
    };
    if (kind === "telegram") {
      entry.parts = splitMessage(formatAlertHtml(alert));
      entry.parts_sent = 0;
    } else if (kind === "webhook") {
      entry.body = JSON.stringify({ source: "awl", sent_at: new Date(now()).toISOString(), text: formatAlertText(alert), alert });
    }
    return entry;
  };

  const queue = (kind: OutboxEntry["kind"], alert: Alert) => {
    const id = outboxId(kind, alert.alert_id);
    if (!outbox.enqueue(entryFor(kind, alert, id))) return;
    stats.queued++;
    emit({ type: "queued", id, kind, alert_id: alert.alert_id });
  };

  // ---- delivery ----
  const http = { fetch: opts.fetch, timeoutMs: config.notify.timeoutMs };

  const sendOnce = async (entry: OutboxEntry): Promise<SendOutcome> => {
    if (entry.kind === "telegram") {
      const tg = config.notify.telegram;
      if (!tg?.botToken || !tg.chatId) return { ok: false, retry: false, error: "telegram is no longer configured" };
      const parts = entry.parts ?? [];
      let last: SendOutcome = { ok: true };
      while ((entry.parts_sent ?? 0) < parts.length) {
        last = await sendTelegramMessage({ botToken: tg.botToken, chatId: tg.chatId, apiBase: tg.apiBase }, parts[entry.parts_sent ?? 0]!, http);
        if (!last.ok) return last;
        entry.parts_sent = (entry.parts_sent ?? 0) + 1;
        if (entry.parts_sent < parts.length) outbox.update(entry); // progress survives a crash: no part is sent twice
      }
      return { ok: true, detail: `telegram ${last.ok ? (last.detail ?? "sent") : ""}${parts.length > 1 ? ` (${parts.length} parts)` : ""}` };
    }
    if (entry.kind === "webhook") {
      const wh = config.notify.webhook;
      if (!wh?.url) return { ok: false, retry: false, error: "the webhook is no longer configured" };
      const r = await sendWebhook({ url: wh.url, secret: wh.secret }, entry.body ?? "{}", entry.id, { ...http, now });
      return r.ok ? { ok: true, detail: `webhook ${r.detail ?? ""}`.trim() } : r;
    }
    return { ok: false, retry: false, error: "unknown entry" };
  };

  const deliver = async (entry: OutboxEntry): Promise<void> => {
    const at = () => new Date(now()).toISOString();
    if (entry.kind === "hook") {
      const hook = config.hooks.onAlert;
      if (!hook) {
        outbox.finish(entry, { status: "failed", at: at(), attempts: entry.attempts, error: "no on_alert hook configured any more" });
        return;
      }
      entry.attempts++;
      outbox.update(entry); // a hook killed with us is run again, never silently dropped
      const r = await runAlertHook(hook, entry.alert, { env: opts.env });
      const ok = r.exitCode === 0;
      outbox.finish(entry, { status: ok ? "ok" : "failed", at: at(), attempts: entry.attempts, detail: `exit ${r.exitCode}` });
      appendActionRecords(
        paths,
        [
          {
            alert_id: entry.alert_id,
            attempt_id: entry.attempt_id,
            action: "hook",
            detail: hook.command[0],
            ...hookOutcome(r),
          },
        ],
        now,
      );
      stats.hooks++;
      emit(ok ? { type: "sent", id: entry.id, kind: "hook", alert_id: entry.alert_id } : { type: "failed", id: entry.id, kind: "hook", error: r.error ?? `exit ${r.exitCode}` });
      return;
    }
    entry.attempts++;
    const r = await sendOnce(entry);
    if (r.ok) {
      outbox.finish(entry, { status: "ok", at: at(), attempts: entry.attempts, detail: r.detail });
      appendActionRecords(paths, [{ alert_id: entry.alert_id, attempt_id: entry.attempt_id, action: "notify", status: "ok", detail: r.detail ?? entry.kind, attempts: entry.attempts }], now);
      stats.sent++;
      emit({ type: "sent", id: entry.id, kind: entry.kind, alert_id: entry.alert_id });
      return;
    }
    if (r.retry && entry.attempts < config.notify.maxAttempts) {
      entry.last_error = r.error;
      entry.next_at = now() + (r.retryAfterMs ?? backoffMs(entry.attempts, opts.backoffBaseMs ?? 1000));
      outbox.update(entry);
      emit({ type: "retry", id: entry.id, kind: entry.kind, error: r.error, at: entry.next_at });
      return;
    }
    const error = r.retry ? `gave up after ${entry.attempts} attempts: ${r.error}` : r.error;
    outbox.finish(entry, { status: "failed", at: at(), attempts: entry.attempts, error });
    appendActionRecords(paths, [{ alert_id: entry.alert_id, attempt_id: entry.attempt_id, action: "notify", status: "failed", detail: entry.kind, error, attempts: entry.attempts }], now);
    stats.failed++;
    emit({ type: "failed", id: entry.id, kind: entry.kind, error });
  };

  /**
   * Sends every due entry, oldest first within a channel and the channels side by side (a slow
   * hook or an unreachable Bot API holds up only its own queue). Returns when the next entry is
   * due (ms), or undefined if none is pending.
   */
  const drainDue = async (): Promise<number | undefined> => {
    const queues = new Map<OutboxEntry["kind"], OutboxEntry[]>();
    for (const entry of outbox.pending()) {
      if (entry.next_at > now()) continue;
      const q = queues.get(entry.kind);
      if (q) q.push(entry);
      else queues.set(entry.kind, [entry]);
    }
    await Promise.all(
      [...queues.values()].map(async (q) => {
        for (const entry of q) {
          if (opts.signal?.aborted) return;
          await deliver(entry);
        }
      }),
    );
    let next: number | undefined;
    for (const entry of outbox.pending()) next = next === undefined ? entry.next_at : Math.min(next, entry.next_at);
    return next;
  };

  // ---- reading ----
  const liveIno = (): number | undefined => {
    try {
      return statSync(paths.alerts).ino;
    } catch {
      return undefined;
    }
  };
  let start = 0;
  const ino = liveIno();
  if (prior && ino !== undefined && ino === prior.ino && sameHead(paths.alerts, prior.head)) {
    start = Math.min(prior.offset, statSync(paths.alerts).size);
  } else if (prior && prior.ino !== 0 && prior.offset > 0) {
    // Rotated while we were down: the archives written since the last save may hold unread alerts.
    for (const f of historyFiles(paths, "agent-alerts")) {
      if (f.kind !== "archive") continue;
      if (statSync(f.path).mtimeMs + 1000 < prior.saved_at) continue;
      for await (const batch of readLines(f.path)) handleLines(batch);
    }
    save();
  }

  if (opts.once) {
    if (ino !== undefined) {
      const it = readLines(paths.alerts, { start });
      let r = await it.next();
      while (!r.done) {
        handleLines(r.value);
        r = await it.next();
      }
      state.ino = ino;
      state.head = fileHead(paths.alerts, ino);
      state.offset = r.value.endOffset || start;
      save();
    }
    await drainDue();
    return stats;
  }

  // Following and delivering run side by side: a slow send never holds up reading.
  let wake: (() => void) | undefined;
  let kicked = false;
  kick = () => {
    kicked = true;
    wake?.();
  };
  opts.signal?.addEventListener("abort", () => wake?.(), { once: true });
  const deliveryLoop = (async () => {
    while (!opts.signal?.aborted) {
      kicked = false;
      const next = await drainDue();
      if (kicked || opts.signal?.aborted) continue;
      const wait = next === undefined ? 60_000 : Math.max(0, next - now());
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, Math.min(wait, 60_000));
        wake = () => {
          clearTimeout(t);
          resolve();
        };
      });
      wake = undefined;
    }
  })();
  try {
    await follow(paths.alerts, {
      start,
      pollMs: config.analyzer.pollIntervalMs,
      signal: opts.signal,
      rotation: { journal: paths.rotations, archiveDir: paths.archive },
      onLines: (lines, endOffset, info) => {
        handleLines(lines);
        if (info.from === "current") {
          if (state.ino !== info.ino || !state.head || state.head.len < HEAD_BYTES) state.head = fileHead(paths.alerts, info.ino);
          state.ino = info.ino;
          state.offset = endOffset;
          save();
        }
      },
      onReset: () => {
        state.offset = 0;
      },
    });
  } finally {
    kick();
    await deliveryLoop;
  }
  return stats;
}
