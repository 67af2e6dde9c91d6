import { z } from "zod";
import { ALERT_TYPES, SEVERITIES } from "../schema/vocabulary.js";

/** How awl run hands the recovery prompt to a restarted agent. */
export const PROMPT_VIA = ["auto", "replace", "append", "stdin", "env"] as const;
export type PromptVia = (typeof PROMPT_VIA)[number];

/** What a recovery template may name (monitor/actions/intervene.ts fills them in). */
export const RECOVERY_PLACEHOLDERS = ["type", "message", "tool", "fingerprint", "category", "occurrences", "alert_id", "attempt_id", "n", "max", "prompt"] as const;

/** The words between braces that are not placeholders (`{{` and `}}` are literal braces). */
export function unknownPlaceholders(template: string): string[] {
  const out: string[] = [];
  for (const m of template.replaceAll("{{", "").replaceAll("}}", "").matchAll(/\{([^{}]*)\}/g)) {
    if (!(RECOVERY_PLACEHOLDERS as readonly string[]).includes(m[1]!)) out.push(m[1]!);
  }
  return out;
}

export const DEFAULT_RECOVERY_TEMPLATE =
  "[awl recovery] Your previous session on this task was stopped because it was stuck in a loop ({type}: {message}). " +
  "Start afresh. Do not repeat the same command with the same arguments: find out why it keeps repeating or failing, " +
  "and take a different approach. If you cannot make progress, stop and explain what blocks you.\n\nThe task: {prompt}";

/** Where a notification can go. */
export const NOTIFY_CHANNELS = ["telegram", "webhook"] as const;
export type NotifyChannel = (typeof NOTIFY_CHANNELS)[number];

/**
 * The configuration, as one zod schema: it validates the config file (`awl.config.json`),
 * each environment variable's value, and the merged result; the JSON Schema of the file
 * (schema/config.schema.json) is generated from it.
 */
const int = (min: number, max = Number.MAX_SAFE_INTEGER) => z.number().int().min(min).max(max);

export const configFileSchema = z
  .object({
    $schema: z.string().optional(),
    enabled: z.boolean().optional().describe("AGENT_WORK_LOGGING_ENABLED: false turns every writer into a no-op"),
    logDir: z.string().min(1).optional().describe("AGENT_WORK_LOG_DIR: the log directory (relative to this file)"),
    streamFile: z
      .string()
      .regex(/^[A-Za-z0-9_-][A-Za-z0-9._-]*$/, "must be a plain file name inside the log directory")
      .optional()
      .describe("AGENT_WORK_STREAM_FILE: name of the stream file inside the log directory"),
    retention: z
      .strictObject({
        sessions: int(1).optional().describe("AGENT_SESSION_LOG_RETENTION: keep the last N session files"),
        streamDays: int(1).optional().describe("AWL_RETENTION_STREAM_DAYS: delete stream archives older than this"),
        errorsDays: int(1).optional().describe("AWL_RETENTION_ERRORS_DAYS: delete error-log archives older than this"),
        alertsDays: int(1).optional().describe("AWL_RETENTION_ALERTS_DAYS: delete alert-log archives older than this"),
        sessionArchiveDays: int(1).optional().describe("delete gzipped session files (archive/agent-sessions) older than this"),
        sessionIdleHours: int(1).optional().describe("a session file beyond the newest N is archived only once idle this long"),
      })
      .optional(),
    rotation: z
      .strictObject({
        maxSizeMb: int(1).optional().describe("AGENT_WORK_LOG_MAX_SIZE_MB: rotate a log at this size"),
        maxAgeHours: int(1).optional().describe("AWL_ROTATION_MAX_AGE_HOURS: rotate a log whose first line is older than this"),
        gzipGraceMs: int(0, 600_000).optional().describe("a renamed log is compressed only after it has been quiet this long"),
        // At most a day: a timer longer than Node's limit (24.8 days) fires at once, over and over.
        checkIntervalMs: int(1000, 86_400_000).optional().describe("how often awl monitor checks whether a rotation is due"),
      })
      .optional(),
    notify: z
      .strictObject({
        telegram: z
          .strictObject({
            botToken: z.string().min(1).optional().describe("AWL_TELEGRAM_BOT_TOKEN (or TELEGRAM_BOT_TOKEN); prefer the environment to a file"),
            chatId: z.string().min(1).optional().describe("AWL_TELEGRAM_CHAT_ID (or TELEGRAM_CHAT_ID)"),
            apiBase: z.url().optional().describe("AWL_TELEGRAM_API_BASE: Bot API base URL (default https://api.telegram.org)"),
          })
          .optional(),
        webhook: z
          .strictObject({
            url: z.url().optional().describe("AWL_WEBHOOK_URL: alerts are POSTed here as JSON"),
            secret: z.string().min(1).optional().describe("AWL_WEBHOOK_SECRET: signs the body (X-Awl-Signature: sha256=HMAC)"),
          })
          .optional(),
        routes: z
          .array(
            z.strictObject({
              channel: z.enum(NOTIFY_CHANNELS),
              minSeverity: z.enum(SEVERITIES).optional(),
              types: z.array(z.enum(ALERT_TYPES)).min(1).optional(),
            }),
          )
          .optional()
          .describe("which channel gets which alerts; default: every configured channel gets warning and above"),
        cooldownMinutes: int(0).optional().describe("AWL_NOTIFY_COOLDOWN_MINUTES: one notification per task and alert type in this window"),
        maxAgeMinutes: int(0)
          .optional()
          .describe("AWL_NOTIFY_MAX_AGE_MINUTES: alerts whose last event is older than this are not sent nor hooked (replayed history); 0 = no limit"),
        maxAttempts: int(1, 100).optional().describe("sends of one notification before it is given up"),
        timeoutMs: int(100, 600_000).optional().describe("timeout of one HTTP request"),
      })
      .optional(),
    hooks: z
      .strictObject({
        onAlert: z
          .strictObject({
            command: z.array(z.string().min(1)).min(1).describe("argv of a program run per alert (no shell): alert in AWL_* variables and as JSON on stdin"),
            timeoutMs: int(100, 3_600_000).optional(),
          })
          .optional(),
      })
      .optional(),
    analyzer: z
      .strictObject({
        enabled: z.boolean().optional().describe("AGENT_WORK_ANALYZER_ENABLED"),
        pollIntervalMs: int(10, 600_000).optional().describe("AGENT_WORK_ANALYZER_POLL_INTERVAL_MS: safety-net poll of the tail"),
        errorLoopThreshold: int(2).optional().describe("AGENT_ERROR_LOOP_THRESHOLD"),
        toolLoopThreshold: int(2).optional().describe("AGENT_TOOL_LOOP_THRESHOLD"),
        providerErrorThreshold: int(1).optional().describe("AGENT_PROVIDER_ERROR_THRESHOLD"),
        stuckMinutes: int(1, 10_080).optional().describe("AGENT_STUCK_MINUTES: an open session silent this long is stuck"),
        restartThreshold: int(1).optional().describe("excessive_restarts fires at this many retries of one task"),
        failedSessionErrorThreshold: int(1).optional().describe("failed_session_high_errors: a failed session with at least this many agent errors"),
        contextWindowRatio: z.number().gt(0).max(1).optional().describe("context_exhaustion fires when one request's prompt reaches this share of the model's window"),
        contextWindows: z
          .record(z.string().min(1), int(1))
          .optional()
          .describe("context window (tokens) per model name pattern (a substring, case-insensitive), added to the built-in table"),
        costBudgetUsd: z
          .strictObject({
            default: z.number().positive().optional().describe("budget of one session in USD"),
            byExecutor: z.record(z.string().min(1), z.number().positive()).optional(),
            byModel: z.record(z.string().min(1), z.number().positive()).optional().describe("keys are model name substrings; the longest match wins over byExecutor"),
          })
          .optional(),
      })
      .optional(),
    interventions: z
      .strictObject({
        enabled: z.boolean().optional().describe("AWL_INTERVENTIONS_ENABLED: awl run stops a looping agent and starts a fresh session (false: it only records)"),
        types: z.array(z.enum(ALERT_TYPES)).min(1).optional().describe("alert types awl run intervenes on (default tool_loop; add error_loop to restart or autofix on repeated errors)"),
        maxPerAttempt: int(0, 100).optional().describe("AWL_INTERVENTIONS_MAX: interventions per awl run before it gives up and marks the session failed"),
        graceMs: int(0, 600_000).optional().describe("between SIGTERM to the agent's process group and SIGKILL"),
        recoveryTemplate: z
          .string()
          .min(1)
          .refine((t) => unknownPlaceholders(t).length === 0, { message: `unknown placeholder; known: ${RECOVERY_PLACEHOLDERS.map((p) => `{${p}}`).join(" ")}` })
          .optional()
          .describe("the fresh session's prompt: {type} {message} {tool} {fingerprint} {category} {occurrences} {alert_id} {attempt_id} {n} {max} {prompt}; {{ and }} for braces"),
        promptVia: z
          .enum(PROMPT_VIA)
          .optional()
          .describe("how the recovery prompt reaches the agent: auto (replace the argument equal to the task prompt, else append), replace, append, stdin, env (AWL_RECOVERY_PROMPT only)"),
        autofixCommand: z.array(z.string().min(1)).min(1).optional().describe("error_loop: argv of a program run instead of a restart (no shell; the alert in AWL_* and as JSON on stdin)"),
        autofixTimeoutMs: int(100, 3_600_000).optional(),
        autofixRestart: z.boolean().optional().describe("after the autofix command, also restart the agent with the recovery prompt (default: it keeps running)"),
        followAlerts: z.boolean().optional().describe("also act on alerts for the run's attempt that other processes (awl watch) write to agent-alerts.jsonl"),
      })
      .optional(),
    serve: z
      .strictObject({
        host: z.string().min(1).optional().describe("awl serve: address to bind (default 127.0.0.1; any other needs a token)"),
        port: int(0, 65535).optional().describe("AWL_SERVE_PORT: awl serve's port (0 = any free port)"),
        token: z.string().min(16).optional().describe("AWL_SERVE_TOKEN: bearer token for awl serve's API (required off loopback)"),
      })
      .optional(),
    reports: z
      .strictObject({
        weekly: z.boolean().optional().describe("AGENT_ANALYTICS_WEEKLY_REPORT"),
        day: int(0, 6).optional().describe("AGENT_ANALYTICS_REPORT_DAY: 0 = Sunday"),
        hour: int(0, 23).optional().describe("AGENT_ANALYTICS_REPORT_HOUR"),
      })
      .optional(),
  })
  .strict();
export type ConfigFile = z.infer<typeof configFileSchema>;

export interface NotifyRoute {
  channel: NotifyChannel;
  minSeverity?: (typeof SEVERITIES)[number];
  types?: (typeof ALERT_TYPES)[number][];
}

export interface AwlConfig {
  enabled: boolean;
  /** Absolute path. */
  logDir: string;
  streamFile: string;
  retention: { sessions: number; streamDays: number; errorsDays: number; alertsDays: number; sessionArchiveDays: number; sessionIdleHours: number };
  rotation: { maxSizeMb: number; maxAgeHours: number; gzipGraceMs: number; checkIntervalMs: number };
  notify: {
    telegram?: { botToken?: string; chatId?: string; apiBase?: string };
    webhook?: { url?: string; secret?: string };
    routes?: NotifyRoute[];
    cooldownMinutes: number;
    /** Alerts whose `last_seen` is older than this (event time) are recorded as skipped; 0 = no limit. */
    maxAgeMinutes: number;
    maxAttempts: number;
    timeoutMs: number;
  };
  hooks: { onAlert?: { command: string[]; timeoutMs?: number } };
  analyzer: {
    enabled: boolean;
    pollIntervalMs: number;
    errorLoopThreshold: number;
    toolLoopThreshold: number;
    providerErrorThreshold: number;
    stuckMinutes: number;
    restartThreshold: number;
    failedSessionErrorThreshold: number;
    contextWindowRatio: number;
    contextWindows: Record<string, number>;
    costBudgetUsd: { default?: number; byExecutor: Record<string, number>; byModel: Record<string, number> };
  };
  interventions: {
    enabled: boolean;
    types: (typeof ALERT_TYPES)[number][];
    maxPerAttempt: number;
    graceMs: number;
    recoveryTemplate: string;
    promptVia: PromptVia;
    autofixCommand?: string[];
    autofixTimeoutMs: number;
    autofixRestart: boolean;
    followAlerts: boolean;
  };
  reports: { weekly: boolean; day: number; hour: number };
  serve: { host: string; port: number; token?: string };
  /** Where each value came from, for `--help`-style diagnostics. */
  sources: { configFile?: string; dotenv?: string };
}

export const DEFAULTS: Omit<AwlConfig, "logDir" | "sources"> & { logDir: string } = {
  enabled: true,
  logDir: ".cache/agent-work-logs",
  streamFile: "agent-work-stream.jsonl",
  retention: { sessions: 100, streamDays: 30, errorsDays: 90, alertsDays: 365, sessionArchiveDays: 30, sessionIdleHours: 24 },
  rotation: { maxSizeMb: 500, maxAgeHours: 24, gzipGraceMs: 2000, checkIntervalMs: 60_000 },
  notify: { cooldownMinutes: 30, maxAgeMinutes: 60, maxAttempts: 8, timeoutMs: 10_000 },
  hooks: {},
  analyzer: { enabled: true, pollIntervalMs: 5000, errorLoopThreshold: 4, toolLoopThreshold: 10, providerErrorThreshold: 3,
    stuckMinutes: 15,
    restartThreshold: 3,
    failedSessionErrorThreshold: 5,
    contextWindowRatio: 0.9,
    contextWindows: {},
    costBudgetUsd: { default: 10, byExecutor: {}, byModel: {} },
  },
  interventions: {
    enabled: true,
    types: ["tool_loop"],
    maxPerAttempt: 2,
    graceMs: 5000,
    recoveryTemplate: DEFAULT_RECOVERY_TEMPLATE,
    promptVia: "auto",
    autofixTimeoutMs: 300_000,
    autofixRestart: false,
    followAlerts: true,
  },
  reports: { weekly: true, day: 0, hour: 9 },
  serve: { host: "127.0.0.1", port: 7777 },
};
