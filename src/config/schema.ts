import { z } from "zod";

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
        streamDays: int(1).optional(),
        errorsDays: int(1).optional(),
      })
      .optional(),
    rotation: z
      .strictObject({
        maxSizeMb: int(1).optional().describe("AGENT_WORK_LOG_MAX_SIZE_MB: rotate a log at this size"),
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

export interface AwlConfig {
  enabled: boolean;
  /** Absolute path. */
  logDir: string;
  streamFile: string;
  retention: { sessions: number; streamDays: number; errorsDays: number };
  rotation: { maxSizeMb: number };
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
  reports: { weekly: boolean; day: number; hour: number };
  /** Where each value came from, for `--help`-style diagnostics. */
  sources: { configFile?: string; dotenv?: string };
}

export const DEFAULTS: Omit<AwlConfig, "logDir" | "sources"> & { logDir: string } = {
  enabled: true,
  logDir: ".cache/agent-work-logs",
  streamFile: "agent-work-stream.jsonl",
  retention: { sessions: 100, streamDays: 30, errorsDays: 90 },
  rotation: { maxSizeMb: 500 },
  analyzer: { enabled: true, pollIntervalMs: 5000, errorLoopThreshold: 4, toolLoopThreshold: 10, providerErrorThreshold: 3,
    stuckMinutes: 15,
    restartThreshold: 3,
    failedSessionErrorThreshold: 5,
    contextWindowRatio: 0.9,
    contextWindows: {},
    costBudgetUsd: { default: 10, byExecutor: {}, byModel: {} },
  },
  reports: { weekly: true, day: 0, hour: 9 },
};
