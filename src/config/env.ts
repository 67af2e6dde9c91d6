/**
 * Every environment variable awl reads (SPEC §5), where it lands in the configuration,
 * how its text is parsed, and what it does. This table is the documentation: the README
 * and `awl config` print it.
 */
export type EnvKind = { kind: "bool" } | { kind: "int"; min: number; max?: number } | { kind: "path" } | { kind: "filename" };

export interface EnvVar {
  name: string;
  /** Dotted path into AwlConfig. */
  path: string;
  type: EnvKind;
  effect: string;
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
  { name: "AGENT_STUCK_MINUTES", path: "analyzer.stuckMinutes", type: { kind: "int", min: 1, max: 10_080 }, effect: "stuck fires when an open session has been silent this many minutes" },
  { name: "AGENT_ANALYTICS_WEEKLY_REPORT", path: "reports.weekly", type: { kind: "bool" }, effect: "false keeps awl monitor from writing the weekly report" },
  { name: "AGENT_ANALYTICS_REPORT_DAY", path: "reports.day", type: { kind: "int", min: 0, max: 6 }, effect: "weekday of the weekly report, 0 = Sunday" },
  { name: "AGENT_ANALYTICS_REPORT_HOUR", path: "reports.hour", type: { kind: "int", min: 0, max: 23 }, effect: "hour (local time) of the weekly report" },
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
  }
}

/** Parses one variable's text; throws a one-line error naming the variable and the expected form. */
export function parseEnvValue(v: EnvVar, raw: string, origin: string): boolean | number | string {
  const text = raw.trim();
  const fail = (): never => {
    throw new ConfigError(`${v.name}=${JSON.stringify(raw)} (${origin}): expected ${describeKind(v.type)}`);
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
  }
}

export class ConfigError extends Error {
  override name = "ConfigError";
}
