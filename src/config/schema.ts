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
  retention: { sessions: 100, streamDays: 30, errorsDays: 90 },
  rotation: { maxSizeMb: 500 },
  analyzer: { enabled: true, pollIntervalMs: 5000, errorLoopThreshold: 4, toolLoopThreshold: 10, providerErrorThreshold: 3 },
  reports: { weekly: true, day: 0, hour: 9 },
  serve: { host: "127.0.0.1", port: 7777 },
};
