import type { NotifyChannel, NotifyRoute } from "../../config/schema.js";
import type { Alert } from "../../schema/alert.js";
import { SEVERITIES, type Severity } from "../../schema/vocabulary.js";

/** Without routes in the configuration, every configured channel gets alerts of this severity and above. */
export const DEFAULT_MIN_SEVERITY: Severity = "warning";

/**
 * When a task/attempt last got a notification of one alert type: the alert's own time
 * (`last_seen`, event time), so a replay or a restart decides exactly as the live run did.
 */
export type CooldownState = Record<string, { at: string; severity: Severity }>;

export interface RouteDecision {
  /** Channels that get this alert. */
  send: NotifyChannel[];
  /** Channels a route selects that stay quiet, and why. */
  skip: { channel: NotifyChannel; reason: string }[];
  /** The cooldown state after this alert (the input is not modified). */
  cooldown: CooldownState;
}

export interface RouteConfig {
  /** Channels with a complete configuration (token and chat, or URL). */
  channels: readonly NotifyChannel[];
  routes?: readonly NotifyRoute[];
  cooldownMinutes: number;
}

const rank = (s: Severity) => SEVERITIES.indexOf(s);

/** The key a cooldown is kept under: the task (else the attempt) and the alert type. */
export function cooldownKey(alert: Alert): string {
  return `${alert.task_id ? `task:${alert.task_id}` : `attempt:${alert.attempt_id}`}|${alert.type}`;
}

/** Channels the routes select for an alert (before cooldown), each once, in the order routes name them. */
export function selectChannels(alert: Alert, cfg: Pick<RouteConfig, "channels" | "routes">): NotifyChannel[] {
  const routes: readonly NotifyRoute[] = cfg.routes ?? cfg.channels.map((channel) => ({ channel, minSeverity: DEFAULT_MIN_SEVERITY }));
  const out: NotifyChannel[] = [];
  for (const r of routes) {
    if (!cfg.channels.includes(r.channel) || out.includes(r.channel)) continue;
    if (r.minSeverity && rank(alert.severity) < rank(r.minSeverity)) continue;
    if (r.types && !r.types.includes(alert.type)) continue;
    out.push(r.channel);
  }
  return out;
}

/**
 * Decides who hears about an alert. A flapping agent raises a new alert each episode; within
 * `cooldownMinutes` (in event time) of the last notified alert of the same task and type it
 * stays quiet, unless it is more severe than that one was. An alert whose time is not later
 * than the last notified one (a replay of older history) is judged the same way.
 */
export function routeAlert(alert: Alert, cfg: RouteConfig, cooldown: CooldownState): RouteDecision {
  const channels = selectChannels(alert, cfg);
  if (channels.length === 0) return { send: [], skip: [], cooldown };
  const key = cooldownKey(alert);
  const last = cooldown[key];
  const at = Date.parse(alert.last_seen);
  if (last && cfg.cooldownMinutes > 0) {
    const since = at - Date.parse(last.at);
    if (since < cfg.cooldownMinutes * 60_000 && rank(alert.severity) <= rank(last.severity)) {
      const reason = `cooldown: ${cfg.cooldownMinutes} min after the ${last.at} notification for ${key}`;
      return { send: [], skip: channels.map((channel) => ({ channel, reason })), cooldown };
    }
  }
  return { send: channels, skip: [], cooldown: { ...cooldown, [key]: { at: alert.last_seen, severity: alert.severity } } };
}

/** Drops cooldown entries that can no longer silence anything (older than the window before `nowIso`). */
export function pruneCooldown(cooldown: CooldownState, cooldownMinutes: number, latest: string): CooldownState {
  const horizon = Date.parse(latest) - Math.max(cooldownMinutes, 1) * 60_000 * 2;
  return Object.fromEntries(Object.entries(cooldown).filter(([, v]) => Date.parse(v.at) >= horizon));
}
