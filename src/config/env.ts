/**
 * Every environment variable awl reads (SPEC §5), where it lands in the configuration,
 * how its text is parsed, and what it does. This table is the documentation: the README
 * and `awl config` print it.
 */
export type EnvKind =
  | { kind: "bool" }
  | { kind: "int"; min: number; max?: number }
  | { kind: "path" }
  | { kind: "filename" }
  | { kind: "text" }
  | { kind: "url" }
  /** A credential: never echoed back in an error. */
  | { kind: "secret"; minLength: number };

export interface EnvVar {
  name: string;
  /** Dotted path into AwlConfig. */
  path: string;
  type: EnvKind;
  effect: string;
  /** The value is a credential: never printed, never written anywhere. */
  secret?: boolean;
}

export const ENV_VARS: readonly EnvVar[] = [
  { name: "AGENT_WORK_LOGGING_ENABLED", path: "enabled", type: { kind: "bool" }, effect: "false makes every writer (run, emit, outcome, import, the library) a no-op; callers still succeed" },
  { name: "AGENT_WORK_LOG_DIR", path: "logDir", type: { kind: "path" }, effect: "the log directory (default .cache/agent-work-logs)" },
  { name: "AGENT_WORK_STREAM_FILE", path: "streamFile", type: { kind: "filename" }, effect: "file name of the all-events stream inside the log directory" },
  { name: "AGENT_SESSION_LOG_RETENTION", path: "retention.sessions", type: { kind: "int", min: 1 }, effect: "retention keeps the newest N session files (awl rotate / monitor)" },
  { name: "AGENT_WORK_LOG_MAX_SIZE_MB", path: "rotation.maxSizeMb", type: { kind: "int", min: 1 }, effect: "rotation archives a log once it reaches this size (awl rotate / monitor)" },
  { name: "AGENT_WORK_ANALYZER_ENABLED", path: "analyzer.enabled", type: { kind: "bool" }, effect: "false keeps awl monitor from running the live analyzer" },
  { name: "AGENT_WORK_ANALYZER_POLL_INTERVAL_MS", path: "analyzer.pollIntervalMs", type: { kind: "int", min: 10, max: 600_000 }, effect: "safety-net poll of the live tail beside fs.watch (and the stuck check's timer)" },
  { name: "AGENT_ERROR_LOOP_THRESHOLD", path: "analyzer.errorLoopThreshold", type: { kind: "int", min: 2 }, effect: "error_loop fires at this many errors of one fingerprint in 10 minutes" },
  { name: "AGENT_TOOL_LOOP_THRESHOLD", path: "analyzer.toolLoopThreshold", type: { kind: "int", min: 2 }, effect: "tool_loop fires at this many calls of one tool in 60 seconds" },
  { name: "AGENT_PROVIDER_ERROR_THRESHOLD", path: "analyzer.providerErrorThreshold", type: { kind: "int", min: 1 }, effect: "provider_errors fires at this many API failures in 10 minutes" },
  { name: "AWL_INTERVENTIONS_ENABLED", path: "interventions.enabled", type: { kind: "bool" }, effect: "false: awl run only records, it never stops or restarts a looping agent (also --no-intervene)" },
  { name: "AWL_INTERVENTIONS_MAX", path: "interventions.maxPerAttempt", type: { kind: "int", min: 0, max: 100 }, effect: "interventions per awl run before it gives up and marks the session failed" },
  { name: "AGENT_STUCK_MINUTES", path: "analyzer.stuckMinutes", type: { kind: "int", min: 1, max: 10_080 }, effect: "stuck fires when an open session has been silent this many minutes" },
  { name: "AGENT_ANALYTICS_WEEKLY_REPORT", path: "reports.weekly", type: { kind: "bool" }, effect: "false keeps awl monitor from writing the weekly report" },
  { name: "AGENT_ANALYTICS_REPORT_DAY", path: "reports.day", type: { kind: "int", min: 0, max: 6 }, effect: "weekday of the weekly report, 0 = Sunday" },
  { name: "AGENT_ANALYTICS_REPORT_HOUR", path: "reports.hour", type: { kind: "int", min: 0, max: 23 }, effect: "hour (local time) of the weekly report" },
  { name: "AWL_ROTATION_MAX_AGE_HOURS", path: "rotation.maxAgeHours", type: { kind: "int", min: 1 }, effect: "rotation archives a log whose first line is older than this" },
  { name: "AWL_RETENTION_STREAM_DAYS", path: "retention.streamDays", type: { kind: "int", min: 1 }, effect: "retention deletes stream archives older than this (default 30)" },
  { name: "AWL_RETENTION_ERRORS_DAYS", path: "retention.errorsDays", type: { kind: "int", min: 1 }, effect: "retention deletes error-log archives older than this (default 90)" },
  { name: "AWL_RETENTION_ALERTS_DAYS", path: "retention.alertsDays", type: { kind: "int", min: 1 }, effect: "retention deletes alert-log archives older than this (default 365)" },
  // The common unprefixed names first: when both are set, the AWL_ name (later in this table) wins.
  { name: "TELEGRAM_BOT_TOKEN", path: "notify.telegram.botToken", type: { kind: "text" }, effect: "Telegram bot token (same as AWL_TELEGRAM_BOT_TOKEN)", secret: true },
  { name: "TELEGRAM_CHAT_ID", path: "notify.telegram.chatId", type: { kind: "text" }, effect: "Telegram chat id (same as AWL_TELEGRAM_CHAT_ID)" },
  { name: "AWL_TELEGRAM_BOT_TOKEN", path: "notify.telegram.botToken", type: { kind: "text" }, effect: "Telegram bot token: alerts are sent with the Bot API", secret: true },
  { name: "AWL_TELEGRAM_CHAT_ID", path: "notify.telegram.chatId", type: { kind: "text" }, effect: "the chat (user, group or channel id) alerts are sent to" },
  { name: "AWL_TELEGRAM_API_BASE", path: "notify.telegram.apiBase", type: { kind: "url" }, effect: "Bot API base URL (default https://api.telegram.org)" },
  { name: "AWL_WEBHOOK_URL", path: "notify.webhook.url", type: { kind: "url" }, effect: "alerts are POSTed to this URL as JSON" },
  { name: "AWL_WEBHOOK_SECRET", path: "notify.webhook.secret", type: { kind: "text" }, effect: "HMAC-SHA256 key: the webhook carries X-Awl-Signature: sha256=<hex>", secret: true },
  { name: "AWL_NOTIFY_COOLDOWN_MINUTES", path: "notify.cooldownMinutes", type: { kind: "int", min: 0 }, effect: "at most one notification per task and alert type in this many minutes (default 30)" },
  { name: "AWL_NOTIFY_MAX_AGE_MINUTES", path: "notify.maxAgeMinutes", type: { kind: "int", min: 0 }, effect: "alerts whose last event is older than this are recorded as skipped, not sent nor hooked (replayed history); 0 = no limit (default 60)" },
  { name: "AWL_SERVE_PORT", path: "serve.port", type: { kind: "int", min: 0, max: 65535 }, effect: "port of awl serve (default 7777; 0 = any free port)" },
  { name: "AWL_SERVE_TOKEN", path: "serve.token", type: { kind: "secret", minLength: 16 }, effect: "bearer token awl serve requires on its API; required to bind to a non-loopback address" },
];

const TRUE = new Set(["1", "true", "yes", "on"]);
const FALSE = new Set(["0", "false", "no", "off"]);

export function describeKind(t: EnvKind): string {
  switch (t.kind) {
    case "bool":
      return "true or false (also 1/0, yes/no, on/off)";
    case "int":
      return t.max === undefined ? `a whole number >= ${t.min}` : `a whole number from ${t.min} to ${t.max}`;
    case "path":
      return "a directory path";
    case "filename":
      return "a plain file name (letters, digits, . _ -), no directory";
    case "text":
      return "a non-empty value";
    case "url":
      return "an http:// or https:// URL";
    case "secret":
      return `a token of at least ${t.minLength} characters without spaces`;
  }
}

/** Parses one variable's text; throws a one-line error naming the variable and the expected form. */
export function parseEnvValue(v: EnvVar, raw: string, origin: string): boolean | number | string {
  const text = raw.trim();
  const fail = (): never => {
    const shown = v.secret || v.type.kind === "secret" ? "<hidden>" : JSON.stringify(raw);
    throw new ConfigError(`${v.name}=${shown} (${origin}): expected ${describeKind(v.type)}`);
  };
  switch (v.type.kind) {
    case "bool": {
      const lower = text.toLowerCase();
      if (TRUE.has(lower)) return true;
      if (FALSE.has(lower)) return false;
      return fail();
    }
    case "int": {
      if (!/^[+-]?\d+$/.test(text)) return fail();
      const n = Number(text);
      if (!Number.isSafeInteger(n) || n < v.type.min || (v.type.max !== undefined && n > v.type.max)) return fail();
      return n;
    }
    case "path":
      if (text === "" || text.includes("\0")) return fail();
      return text;
    case "filename":
      if (!/^[A-Za-z0-9_-][A-Za-z0-9._-]*$/.test(text)) return fail();
      return text;
    case "secret":
      if (text.length < v.type.minLength || /\s/.test(text)) return fail();
      return text;
    case "text":
      if (text === "" || /[\0\r\n]/.test(text)) return fail();
      return text;
    case "url":
      if (!isHttpUrl(text)) return fail();
      return text;
  }
}

function isHttpUrl(text: string): boolean {
  try {
    const u = new URL(text);
    return u.protocol === "http:" || u.protocol === "https:";
  } catch {
    return false;
  }
}

export class ConfigError extends Error {
  override name = "ConfigError";
}
